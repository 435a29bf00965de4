"""`icbox canister ...` on a live network: a Motoko module built by the official compiler is
created, installed, called, queried, upgraded (its count survives: enhanced orthogonal
persistence keeps main memory), topped up, stopped, started and deleted through the management
canister of the application subnet, each command with its exit code.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from replica.types import Principal
from tests.e2e.conftest import REPOSITORY, LiveNetwork, running_network
from tui.cli import main

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("e2e")]

BUILT = REPOSITORY / "tests" / "fixtures" / "wasm" / "built"
COUNTER = BUILT / "motoko_counter_eop.wasm"


class Icbox:
    def __init__(self, network: LiveNetwork, home: Path) -> None:
        self.network, self.home = network, home

    def __call__(self, *arguments: str) -> tuple[int, str, str]:
        result = CliRunner().invoke(
            main,
            ["--directory", str(self.network.directory), *arguments],
            env={"ICBOX_HOME": str(self.home)},
            prog_name="icbox",
        )
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        return result.exit_code, result.stdout, result.stderr

    def json(self, *arguments: str) -> Any:
        code, out, err = self(*arguments, "--json")
        assert code == 0, out + err
        return json.loads(out)


@pytest.fixture(scope="module")
def icbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Icbox]:
    with running_network(tmp_path_factory.mktemp("network"), unassigned=0) as network:
        yield Icbox(network, tmp_path_factory.mktemp("icbox-home"))


def test_a_motoko_canister_lives_its_whole_life_through_the_command_line(icbox: Icbox) -> None:
    canister = icbox.json("canister", "create")["canister_id"]
    # on the application subnet, whose range starts at 2^20 (the NNS subnet's at 0)
    assert (Principal.from_text(canister).canister_index() or 0) >> 20 == 1

    installed = icbox.json("canister", "install", canister, str(COUNTER))
    assert installed["module_hash"] == hashlib.sha256(COUNTER.read_bytes()).hexdigest()
    assert icbox.json("canister", "call", canister, "inc")["reply"] == "(1 : nat)"
    code, out, _ = icbox("canister", "call", canister, "inc")
    assert (code, out.strip()) == (0, "(2 : nat)")
    assert icbox.json("canister", "query", canister, "get")["reply"] == "(2 : nat)"

    upgraded = icbox.json("canister", "upgrade", canister, str(COUNTER))
    assert upgraded["wasm_memory_persistence"] == "keep"
    assert icbox.json("canister", "query", canister, "get")["reply"] == "(2 : nat)"

    status = icbox.json("canister", "status", canister)
    assert status["status"] == "running"
    assert status["module_hash"] == installed["module_hash"]
    assert status["controllers"] == [icbox.network.network["identity"]["principal"]]
    topped = icbox.json("canister", "deposit-cycles", "1T", canister)
    assert topped["cycles"] >= status["cycles"] + 10**12 - 10**10

    code, _, err = icbox("canister", "call", canister, "inc", "(1, 2)", "--json")
    assert code == 1 and json.loads(err)["error"]["kind"] == "BadArgument"
    code, _, err = icbox("canister", "call", canister, "nope", "--json")
    assert code == 1 and json.loads(err)["error"]["kind"] == "NoSuchMethod"

    assert icbox.json("canister", "stop", canister)["done"] == "stop"
    assert icbox.json("canister", "status", canister)["status"] == "stopped"
    code, _, err = icbox("canister", "call", canister, "inc", "--json")
    assert code == 3 and "stopped" in json.loads(err)["error"]["message"].lower()
    icbox.json("canister", "start", canister)
    assert icbox.json("canister", "call", canister, "inc")["reply"] == "(3 : nat)"

    code, _, err = icbox("canister", "delete", canister, "--json")
    assert code == 3, err  # a running canister cannot be deleted
    icbox.json("canister", "stop", canister)
    icbox.json("canister", "delete", canister)
    code, _, err = icbox("canister", "status", canister, "--json")
    assert code == 3 and "not found" in json.loads(err)["error"]["message"].lower()
