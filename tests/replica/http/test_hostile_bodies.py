"""Whatever a client sends, the endpoints answer with a refusal, never an internal error."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from replica.http import cbor
from replica.http.api import HttpApi
from replica.http.local import LocalNetwork, LocalSubnetSpec
from replica.sim.canister import COUNTER_FACTORIES, install_counter
from replica.types import Principal

CANISTER = Principal.from_canister_id(0)
PATHS = [
    f"/api/{v}/canister/{CANISTER}/{e}"
    for v in ("v2", "v3")
    for e in ("call", "query", "read_state")
] + [
    "/api/v2/subnet/aaaaa-aa/read_state",
    "/api/v2/canister/not-a-principal/call",
    "/api/v4/canister/x/call",
]
SCALARS = st.one_of(
    st.binary(max_size=40),
    st.text(max_size=12),
    st.integers(-(2**70), 2**70),
    st.booleans(),
    st.none(),
    st.floats(allow_nan=False),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=20,
)
FIELD_NAMES = st.sampled_from(
    [
        "request_type",
        "canister_id",
        "method_name",
        "arg",
        "sender",
        "ingress_expiry",
        "nonce",
        "paths",
        "sender_info",
    ]
)
CONTENTS = st.dictionaries(
    FIELD_NAMES,
    st.one_of(
        VALUES,
        st.sampled_from(["call", "query", "read_state"]),
        st.just(CANISTER.raw),
        st.just(b"\x04"),
        st.just(time.time_ns() + 60 * 10**9),
    ),
    max_size=9,
)
ENVELOPES = st.fixed_dictionaries(
    {"content": CONTENTS},
    optional={
        "sender_pubkey": VALUES,
        "sender_sig": VALUES,
        "sender_delegation": VALUES,
    },
)


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> HttpApi:
    path: Path = tmp_path_factory.mktemp("hostile")
    network = LocalNetwork(
        path, [LocalSubnetSpec(factories=COUNTER_FACTORIES, install_genesis=install_counter)]
    )
    return HttpApi(network.replicas[0])


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    path=st.sampled_from(PATHS),
    envelope=ENVELOPES,
    raw=st.binary(max_size=64),
    use_raw=st.booleans(),
)
def test_hostile_bodies_get_refusals_not_errors(
    api: HttpApi, path: str, envelope: dict[str, object], raw: bytes, use_raw: bool
) -> None:
    body = raw if use_raw else cbor.encode(envelope)
    response = asyncio.run(api.handle("POST", path, "application/cbor", body))
    assert response.status in (200, 400, 403, 404, 413), (response.status, response.body[:200])
    assert b"\n" not in response.body or response.content_type == "application/cbor"
