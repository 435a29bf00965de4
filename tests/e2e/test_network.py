"""`icbox up`, `status` and `down` on a real network, reached through the agent.

One network (an NNS subnet of 4, an application subnet of 4, 3 unassigned
nodes) serves the whole module; its last test brings it down and up again.
"""

from __future__ import annotations

import dataclasses
import json
import socket
import ssl
from pathlib import Path

import cbor2
import httpx
import pytest

from nns.clients.governance import GovernanceCanister
from nns.clients.ledger import LedgerCanister
from nns.cycles_minting.certified import verify_rate_response
from nns.ledger.accounts import AccountIdentifier
from replica.agent.errors import AgentError, RejectError
from replica.agent.identity import sign_envelope
from replica.candid import decode, encode
from replica.candid.types import Nat
from replica.crypto.certificate import Certificate
from replica.crypto.keys import NodeSecretKeys
from replica.http.envelope import call_content
from replica.p2p.tls import write_tls_files
from replica.types import Principal
from tests.e2e.conftest import LiveNetwork, assert_gone, icbox, wait_until
from tests.nns.certified_rate import propose_rate, wait_for_certified_rate
from tui.network.identity import identity_principal
from tui.network.operations import bring_down

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("e2e")]

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


def test_the_cmcs_rate_set_by_proposal_is_certified_by_the_nns_subnet(
    live_network: LiveNetwork,
) -> None:
    """The CMC answers get_icp_xdr_conversion_rate with the certificate of its certified data,
    which a live replica hands it in a non-replicated query (rs/nns/cmc/src/main.rs)."""
    agent = live_network.agent(live_network.subnet_nodes(0)[1])
    governance = GovernanceCanister.create(agent)
    neuron_id = live_network.network["identity"]["neuron_id"]
    propose_rate(governance, neuron_id, permyriad=52_000, timestamp_seconds=2_000)
    response = wait_for_certified_rate(agent, timeout_s=90)
    rate = verify_rate_response(response, live_network.root_key)
    assert rate.xdr_permyriad_per_icp == 52_000 and rate.timestamp_seconds == 2_000


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


def post_call(url: str, canister: Principal, body: bytes) -> httpx.Response:
    return httpx.post(
        f"{url}/api/v2/canister/{canister.to_text()}/call",
        content=body,
        headers={"content-type": "application/cbor"},
    )


def test_a_wrong_signature_an_expired_request_and_a_canister_elsewhere_are_refused(
    live_network: LiveNetwork,
) -> None:
    """Each gets the spec's answer (http-interface.md section 3) and the replica keeps serving."""
    node = live_network.subnet_nodes(1)[2]
    counter = counter_of(live_network, 1)
    agent = live_network.agent(node)
    identity = live_network.identity

    def content(canister: Principal, expiry_ns: int) -> dict[str, object]:
        return call_content(
            "call",
            canister_id=canister,
            method_name="add",
            arg=encode([Nat], [1]),
            sender=identity.principal,
            ingress_expiry_ns=expiry_ns,
        )

    before = decode(agent.query(counter, "get", encode([], [])), [Nat])[0]
    expiry = agent.inner._expiry_ns()
    signed = sign_envelope(identity, content(counter, expiry))
    assert signed.sender_sig is not None
    wrong = dataclasses.replace(
        signed, sender_sig=bytes([signed.sender_sig[0] ^ 0x01]) + signed.sender_sig[1:]
    )
    refused = post_call(node["http"], counter, wrong.to_cbor())
    assert refused.status_code == 400 and "signature" in refused.text.lower(), refused.text

    expired = sign_envelope(identity, content(counter, agent.inner.now_ns() - 600 * 10**9))
    refused = post_call(node["http"], counter, expired.to_cbor())
    assert refused.status_code == 400 and "expiry" in refused.text.lower(), refused.text

    # The NNS ledger lives on the NNS subnet: the application subnet answers with a
    # non-replicated rejection (DESTINATION_INVALID), through the agent as well.
    ledger = Principal.from_canister_id(2)
    answer = post_call(
        node["http"], ledger, sign_envelope(identity, content(ledger, expiry)).to_cbor()
    )
    assert answer.status_code == 200
    rejection = cbor2.loads(answer.content)
    assert rejection["reject_code"] == 3 and rejection["error_code"] == "IC0301", rejection
    with pytest.raises(RejectError) as raised:
        agent.update(ledger, "transfer", encode([], []))
    assert raised.value.reject_code == 3 and not raised.value.certified

    # Nothing of the refused calls ran, and the replica still executes calls.
    after = decode(agent.update(counter, "add", encode([Nat], [1])), [Nat])[0]
    assert after == before + 1


def test_a_second_network_runs_side_by_side_in_another_directory(
    live_network: LiveNetwork, tmp_path: Path
) -> None:
    """Free ports and per-directory state: a one-node network next to the module's network."""
    running = live_network.all_pids()
    directory = tmp_path / "second"
    directory.mkdir()
    result = icbox(directory, "up", "--nns-nodes", "1", "--app-subnets", "", "--unassigned", "0")
    second: LiveNetwork | None = None
    pids: list[int] = []
    try:
        assert result.returncode == 0, result.stdout + result.stderr
        second = LiveNetwork(directory)
        pids = second.all_pids()
        first_ports = {node["http"] for node in live_network.network["nodes"]}
        assert not first_ports & {node["http"] for node in second.network["nodes"]}
        assert second.network["root_key"] != live_network.network["root_key"]
        # Both answer, each with its own root of trust.
        for network in (live_network, second):
            node = network.subnet_nodes(0)[0]
            certificate = network.agent(node).read_state(Principal.from_canister_id(1), [[b"time"]])
            assert certificate.delegation is None
        second.close_agents()
    finally:
        pids += bring_down(directory)
        assert_gone(pids)
    # Bringing the second one down left the first one's processes alone.
    assert live_network.all_pids() == running


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
