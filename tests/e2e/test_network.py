"""`icbox up`, `status` and `down` on a real network, reached through the agent.

One network (an NNS subnet of 4, an application subnet of 4, 3 unassigned
nodes) serves the whole module; its last test brings it down and up again.
"""

from __future__ import annotations

import json
import socket
import ssl
from pathlib import Path

import httpx
import pytest

from nns.clients.governance import GovernanceCanister
from nns.clients.ledger import LedgerCanister
from nns.ledger.accounts import AccountIdentifier
from replica.agent.errors import AgentError
from replica.agent.identity import sign_envelope
from replica.candid import decode, encode
from replica.candid.types import Nat
from replica.crypto.certificate import Certificate
from replica.crypto.keys import NodeSecretKeys
from replica.http.envelope import call_content
from replica.p2p.tls import write_tls_files
from replica.types import Principal
from tests.e2e.conftest import LiveNetwork, assert_gone, icbox, wait_until
from tui.network.identity import identity_principal

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("e2e-network")]

E8S = 100_000_000
MOTION_STATUS_EXECUTED = 4


def counter_of(network: LiveNetwork, subnet: int) -> Principal:
    return Principal.from_canister_id(subnet << 20)


def test_up_writes_the_network_file_a_dfx_identity_and_the_logs(live_network: LiveNetwork) -> None:
    network = live_network.network
    assert len(network["subnets"]) == 2 and network["subnets"][0]["type"] == "system"
    assert sum(1 for node in network["nodes"] if node["subnet_id"] is None) == 3
    pem = Path(network["identity"]["pem"])
    assert pem.read_text().startswith("-----BEGIN PRIVATE KEY-----")
    assert (
        str(identity_principal(pem))
        == network["identity"]["principal"]
        == str(live_network.identity.principal)
    )
    status = live_network.agent(live_network.subnet_nodes(0)[0]).status()
    assert status["root_key"] == live_network.root_key
    assert status["replica_health_status"] == "healthy"
    assert all(Path(node["log"]).is_file() for node in network["nodes"])


def test_a_second_up_says_the_network_is_running(live_network: LiveNetwork) -> None:
    pids = live_network.all_pids()
    result = icbox(live_network.directory, "up")
    assert result.returncode == 0 and "already running" in result.stdout
    assert sorted(live_network.all_pids()) == sorted(pids)


def test_status_shows_every_subnet_certifying_and_every_process_alive(
    live_network: LiveNetwork,
) -> None:
    result = icbox(live_network.directory, "status", "--json")
    report = json.loads(result.stdout)
    assert report["running"] and report["processes_alive"] == 11 + 8
    for subnet in report["subnets"]:
        assert all(
            replica["alive"] and replica["certified_height"] > 0 for replica in subnet["replicas"]
        )
    table = icbox(live_network.directory, "status")
    assert table.returncode == 0 and "19 processes alive" in table.stdout


def test_a_ledger_transfer_is_certified_and_a_tampered_certificate_fails(
    live_network: LiveNetwork,
) -> None:
    agent = live_network.agent(live_network.subnet_nodes(0)[1])
    ledger = LedgerCanister.create(agent)
    bob = AccountIdentifier.of(Principal.self_authenticating(b"e2e-bob"))
    block = ledger.transfer(to=bob.raw, amount_e8s=3 * E8S)
    assert block >= 0
    assert ledger.account_balance(bob.raw, certified=False) == 3 * E8S
    paths = [[b"time"]]
    certificate = agent.read_state(Principal.from_canister_id(2), paths)
    data = bytearray(certificate.to_cbor())
    data[-5] ^= 0x01
    tampered = Certificate.from_cbor(bytes(data))
    with pytest.raises(AgentError):
        agent.run(agent.inner.verify(tampered.to_cbor(), Principal.from_canister_id(2)))


def test_a_motion_proposal_is_adopted_by_the_default_neuron_and_executed(
    live_network: LiveNetwork,
) -> None:
    agent = live_network.agent(live_network.subnet_nodes(0)[2])
    governance = GovernanceCanister.create(agent)
    neuron_id = live_network.network["identity"]["neuron_id"]
    proposal_id = governance.make_motion_proposal(
        neuron_id=neuron_id,
        title="Run the e2e suite",
        summary="A motion from the tests",
        motion_text="Aye",
    )

    def executed() -> bool:
        proposal = governance.get_proposal(proposal_id, certified=False)
        return bool(proposal and proposal.get("executed_timestamp_seconds"))

    wait_until(executed, timeout_s=60, what="the motion to be executed")
    assert governance.get_proposal(proposal_id, certified=False)["status"] == MOTION_STATUS_EXECUTED


def test_an_update_on_each_subnet_is_certified_with_the_delegation_off_the_nns(
    live_network: LiveNetwork,
) -> None:
    app_agent = live_network.agent(live_network.subnet_nodes(1)[0])
    first = decode(app_agent.update(counter_of(live_network, 1), "add", encode([Nat], [1])), [Nat])[
        0
    ]
    second = decode(
        app_agent.update(counter_of(live_network, 1), "add", encode([Nat], [1])), [Nat]
    )[0]
    assert second == first + 1
    certificate = app_agent.read_state(counter_of(live_network, 1), [[b"time"]])
    assert certificate.delegation is not None
    nns_certificate = live_network.agent(live_network.subnet_nodes(0)[0]).read_state(
        Principal.from_canister_id(1), [[b"time"]]
    )
    assert nns_certificate.delegation is None


def test_a_call_submitted_to_two_replicas_executes_once(live_network: LiveNetwork) -> None:
    nodes = live_network.subnet_nodes(1)
    agent = live_network.agent(nodes[1])
    before = decode(agent.query(counter_of(live_network, 1), "get", encode([], [])), [Nat])[0]
    inner = agent.inner
    content = call_content(
        "call",
        canister_id=counter_of(live_network, 1),
        method_name="add",
        arg=encode([Nat], [1]),
        sender=live_network.identity.principal,
        ingress_expiry_ns=inner._expiry_ns(),
    )
    body = sign_envelope(live_network.identity, content).to_cbor()
    path = f"/api/v2/canister/{counter_of(live_network, 1).to_text()}/call"
    for node in nodes[1:3]:
        for _ in range(2):
            response = httpx.post(
                node["http"] + path, content=body, headers={"content-type": "application/cbor"}
            )
            assert response.status_code == 202

    def counted() -> int:
        return int(
            decode(agent.query(counter_of(live_network, 1), "get", encode([], [])), [Nat])[0]
        )

    wait_until(lambda: counted() > before, timeout_s=30, what="the call to execute")
    agent.update(counter_of(live_network, 1), "add", encode([Nat], [0]))  # a later round has run
    assert counted() == before + 1


def test_refusals_do_not_stop_the_replica(live_network: LiveNetwork) -> None:
    node = live_network.subnet_nodes(0)[3]
    url = node["http"]
    canister = Principal.from_canister_id(2).to_text()
    headers = {"content-type": "application/cbor"}
    huge = httpx.post(
        f"{url}/api/v2/canister/{canister}/call", content=bytes(10 * 1024 * 1024), headers=headers
    )
    assert huge.status_code == 413
    deep = b"\x81" * 1000 + b"\x00"
    assert (
        httpx.post(
            f"{url}/api/v2/canister/{canister}/call", content=deep, headers=headers
        ).status_code
        == 400
    )
    assert (
        httpx.post(
            f"{url}/api/v4/canister/{canister}/call", content=b"", headers=headers
        ).status_code
        == 404
    )
    assert httpx.get(f"{url}/api/v2/status").status_code == 200


def test_a_tls_client_whose_certificate_is_not_in_the_registry_cannot_join_p2p(
    live_network: LiveNetwork, tmp_path: Path
) -> None:
    node = live_network.subnet_nodes(0)[0]
    host, port = node["p2p"].rsplit(":", 1)
    stranger = NodeSecretKeys.from_seed(b"not in this registry", 0)
    certificate_path, key_path = write_tls_files(stranger, tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_3
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.load_cert_chain(str(certificate_path), str(key_path))
    # TLS 1.3: the client finishes its side of the handshake first; the replica then checks the
    # client's certificate, refuses it and closes, so the first read fails or finds the end.
    with (
        socket.create_connection((host, int(port)), timeout=10) as raw,
        context.wrap_socket(raw, server_hostname=None) as tls,
        pytest.raises((ssl.SSLError, ConnectionError, OSError)),
    ):
        tls.sendall(b"\x00\x00\x00\x11\x01" + bytes(16))
        if not tls.recv(1024):
            raise ConnectionError("closed by the replica")
    wait_until(
        lambda: "refused P2P connection" in Path(node["log"]).read_text(),
        timeout_s=10,
        what="the refusal in the log",
    )


def test_down_stops_every_process_and_up_resumes_from_disk(live_network: LiveNetwork) -> None:
    before = max(live_network.heights(0))
    pids = live_network.all_pids()
    live_network.close_agents()
    result = icbox(live_network.directory, "down")
    assert result.returncode == 0
    assert_gone(pids)
    assert "not running" in icbox(live_network.directory, "status").stdout
    resumed = icbox(live_network.directory, "up")
    assert resumed.returncode == 0 and "Resumed" in resumed.stdout, resumed.stdout + resumed.stderr
    assert min(h for h in live_network.heights(0) if h >= 0) >= before - 25
    agent = live_network.agent(live_network.subnet_nodes(0)[0])
    bob = AccountIdentifier.of(Principal.self_authenticating(b"e2e-bob"))
    assert LedgerCanister.create(agent).account_balance(bob.raw, certified=False) == 3 * E8S
