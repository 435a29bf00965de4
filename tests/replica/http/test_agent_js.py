"""The official JS agents (`@dfinity/agent` 3.4.3 and `@icp-sdk/core` 5.4.0, under tests/js) against
the HTTP interface.

It fetches the root key from status, makes an update on each subnet (v3 with
the certificate verified, through the NNS delegation on the application
subnet) and a query (node signature verified), and refuses the certificates
under a wrong pinned root key. Without the v3 endpoint it falls back to the
v2 call and polls read_state.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.replica.http.network import APP_COUNTER, NNS_COUNTER, network_in_thread

JS_DIRECTORY = Path(__file__).resolve().parents[2] / "js"


@pytest.mark.parametrize(
    ("flavour", "api_options"),
    [
        ("dfinity", {}),
        ("dfinity", {"enable_v3_call": False}),
        ("icp-sdk", {}),
    ],
    ids=["agent-3.4.3-v3", "agent-3.4.3-v2-fallback", "icp-sdk-core-5.4.0"],
)
def test_agent_js_updates_and_queries_with_verification(
    tmp_path: Path, flavour: str, api_options: dict[str, bool]
) -> None:
    node = shutil.which("node")
    if node is None or not (JS_DIRECTORY / "node_modules" / "@dfinity" / "agent").is_dir():
        pytest.skip("node or tests/js/node_modules missing (npm ci --prefix tests/js)")
    with network_in_thread(tmp_path, None, **api_options) as urls:
        targets = [f"{urls[0]}={NNS_COUNTER}", f"{urls[1]}={APP_COUNTER}"]
        done = subprocess.run(
            [node, "agent_js_check.mjs", flavour, *targets],
            cwd=JS_DIRECTORY,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads(done.stdout.strip().splitlines()[-1])
    for canister in (NNS_COUNTER, APP_COUNTER):
        assert results[str(canister)] == {"added": "5", "read": "5", "wrongRootKey": "refused"}
