"""A node on another host: its keys and registration payload, registered by its operator.

The registry's rules for `add_node` are those of
rs/registry/canister/src/mutations/node_management/do_add_node.rs: the caller
must have a node operator record, its allowance must not be zero, one
allowance is taken, and the node id is the self-authenticating principal of
the node signing key.
"""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from registry.decentralization import get_node_attributes
from registry.errors import InvalidPayload, Unauthorized
from registry.interface import registry_interface
from registry.records import DataCenterRecord, node_operator_record_key
from registry.requests import AddNodeOperatorPayload, AddOrRemoveDataCentersProposalPayload
from replica.agent.identity import Ed25519Identity
from replica.candid import decode, encode
from replica.crypto.keystore import load_node_directory
from replica.live.layout import KEYS_DIRECTORY
from replica.types import Principal
from tests.registry.world import GOVERNANCE, RegistryWorld, make_registry
from tui.ops.errors import UsageError
from tui.ops.nodes import OPERATOR_PEM_FILE, add_node_payload, init_node, read_registration


def send_add_node(world: RegistryWorld, caller: Principal, directory: Path) -> Principal:
    """`add_node` as the canister receives it: the payload through its Candid type."""
    spec = registry_interface(world.registry).method("add_node")
    assert spec is not None and spec.to_argument is not None
    wire = encode(spec.arguments, [add_node_payload(read_registration(directory))])
    node_id: Principal = world.registry.add_node(
        caller, spec.to_argument(decode(wire, spec.arguments))
    )
    return node_id


def operator_with(world: RegistryWorld, allowance: int) -> Principal:
    operator = Ed25519Identity.generate().principal
    world.registry.add_or_remove_data_centers(
        GOVERNANCE,
        AddOrRemoveDataCentersProposalPayload(
            data_centers_to_add=(DataCenterRecord(id="zh9", region="europe", owner="Green"),)
        ),
    )
    world.registry.add_node_operator(
        GOVERNANCE,
        AddNodeOperatorPayload(
            node_operator_principal_id=operator,
            node_provider_principal_id=Principal.self_authenticating(b"provider-9"),
            node_allowance=allowance,
            dc_id="zh9",
        ),
    )
    return operator


def test_init_writes_own_keys_and_a_payload_the_registry_accepts_from_the_operator(
    tmp_path: Path,
) -> None:
    pem = tmp_path / "operator.pem"
    pem.write_text(Ed25519Identity.generate().to_pem())
    made = init_node(tmp_path / "node", ip="127.0.0.2", operator_pem=pem)
    keys = load_node_directory(tmp_path / "node" / KEYS_DIRECTORY).keys
    assert keys.node_id == made.node_id
    assert made.xnet_endpoint.startswith("127.0.0.2:") and made.http_endpoint.startswith(
        "127.0.0.2:"
    )
    assert made.xnet_endpoint != made.http_endpoint
    assert stat.S_IMODE((tmp_path / "node" / OPERATOR_PEM_FILE).stat().st_mode) == 0o600
    with pytest.raises(UsageError, match="already holds a node"):
        init_node(tmp_path / "node", ip="127.0.0.2")

    world = make_registry()
    operator = operator_with(world, allowance=1)
    stranger = Ed25519Identity.generate().principal
    before = world.registry.state_hash()
    with pytest.raises(Unauthorized):
        send_add_node(world, stranger, tmp_path / "node")  # the wrong signer
    assert world.registry.state_hash() == before
    node_id = send_add_node(world, operator, tmp_path / "node")
    assert node_id == made.node_id
    operator_record = world.registry.registry.get(node_operator_record_key(operator))
    assert operator_record.node_allowance == 0
    client = world.client()
    assert node_id in client.get_unassigned_nodes()
    attributes = get_node_attributes(client, node_id)
    assert (attributes.data_center, attributes.data_center_owner) == ("zh9", "Green")

    second = init_node(tmp_path / "second", ip="127.0.0.2")
    before = world.registry.state_hash()
    with pytest.raises(InvalidPayload, match="allowance"):
        send_add_node(world, operator, tmp_path / "second")  # the allowance is used up
    assert world.registry.state_hash() == before
    assert second.node_id not in world.client().get_unassigned_nodes()


def test_init_refuses_a_bad_operator_key_and_equal_ports(tmp_path: Path) -> None:
    bad = tmp_path / "bad.pem"
    bad.write_text("not a key")
    with pytest.raises(UsageError):
        init_node(tmp_path / "a", ip="127.0.0.2", operator_pem=bad)
    with pytest.raises(UsageError, match="differ"):
        init_node(tmp_path / "b", ip="127.0.0.2", p2p_port=4100, http_port=4100)
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()
