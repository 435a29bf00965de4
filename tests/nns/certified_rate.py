"""Setting the ICP/XDR rate by proposal and reading it back certified, over the agent (shared by
the local-network test and the live end-to-end test)."""

from __future__ import annotations

import time
from typing import Any

from nns.cycles_minting.interface import arguments, results
from replica.agent.errors import RejectError
from replica.agent.sync import Agent
from replica.candid import decode, encode
from replica.canister.nns_ids import CYCLES_MINTING_CANISTER_ID

ICP_XDR_CONVERSION_RATE_FUNCTION = 10  # NnsFunction::IcpXdrConversionRate


def propose_rate(governance: Any, neuron_id: int, *, permyriad: int, timestamp_seconds: int) -> int:
    payload = encode(
        arguments("set_icp_xdr_conversion_rate"),
        [
            {
                "data_source": "test",
                "timestamp_seconds": timestamp_seconds,
                "xdr_permyriad_per_icp": permyriad,
                "reason": None,
            }
        ],
    )
    proposal_id: int = governance.make_proposal(
        neuron_id=neuron_id,
        title="A new ICP/XDR rate",
        summary="",
        action={
            "ExecuteNnsFunction": {
                "nns_function": ICP_XDR_CONVERSION_RATE_FUNCTION,
                "payload": payload,
            }
        },
    )
    return proposal_id


def query_rate(agent: Agent) -> dict[str, Any]:
    answer = agent.query(CYCLES_MINTING_CANISTER_ID, "get_icp_xdr_conversion_rate", encode([], []))
    (response,) = decode(answer, results("get_icp_xdr_conversion_rate"))
    reply: dict[str, Any] = response
    return reply


def wait_for_certified_rate(agent: Agent, *, timeout_s: float = 60) -> dict[str, Any]:
    """The rate once it is set and the state holding it is certified (the certificate is empty
    until the certified data in the certified state is the canister's current one)."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            response = query_rate(agent)
        except RejectError:  # no rate yet: the query is refused until the proposal executes
            response = {"certificate": b""}
        if response["certificate"]:
            return response
        if time.monotonic() > deadline:
            raise TimeoutError("the CMC's rate was not certified in time")
        time.sleep(0.2)
