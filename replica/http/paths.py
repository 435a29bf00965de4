"""Which state-tree paths a read_state request may ask for.

The IC's rules (`rs/http_endpoints/public/src/read_state/canister.rs` and
`subnet.rs`, `verify_paths`):

- `/time`, `/subnet/...` (the subnet, its public key, canister ranges, nodes
  and node keys) and `/canister_ranges/<subnet>` may be read by anyone;
- `/canister/<id>/module_hash|controllers|metadata/<name>` only with `<id>`
  the effective canister id of the URL (400 otherwise); icbox also allows
  `/canister/<registry>/certified_data` for the NNS registry canister alone (a
  deliberate difference: the IC hands certified data out only inside a query's
  data certificate, which icbox's system canisters do not get; node
  orchestrators read the registry's certified changelog head this way);
- `/request_status/<id>[/status|reply|reject_code|reject_message|error_code]`:
  one request id per request (400), 32 bytes long (400), and only by the
  sender of that request (403), for a canister its delegations allow (403);
- anything else is 404 "Invalid path requested.".

The subnet endpoint allows `/time`, `/subnet/...` and `/canister_ranges/...` only.
On `/api/v3/canister/<id>/read_state` the flat `/subnet/<id>/canister_ranges`
of subnets other than the NNS may not be asked for, and is pruned from what
a wider path reveals (agents of v3 read the ranges from `/canister_ranges`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Final

from replica.canister.nns_ids import REGISTRY_CANISTER_ID
from replica.crypto import hashtree
from replica.crypto.hashtree import HashTree
from replica.http.backend import IngressOrigin
from replica.http.requests import RequestError, VerifiedReadState
from replica.types import Principal, PrincipalError

REQUEST_ID_BYTES: Final = 32
_REQUEST_STATUS_FIELDS: Final = frozenset(
    {b"status", b"reply", b"reject_code", b"reject_message", b"error_code"}
)


def _principal(raw: bytes) -> Principal:
    try:
        return Principal(raw)
    except PrincipalError as error:
        raise RequestError(400, f"Could not parse principal ID: {error}.") from error


def _is_public_path(path: Sequence[bytes]) -> bool:
    """Paths anyone may read on either endpoint: time, subnets, canister ranges."""
    if list(path) == [b"time"]:
        return True
    if path and path[0] == b"subnet":
        if len(path) <= 2:
            return True
        if len(path) == 3:
            return path[2] in (b"public_key", b"canister_ranges", b"node")
        return path[2] == b"node" and (
            len(path) == 4 or (len(path) == 5 and path[4] == b"public_key")
        )
    return bool(path) and path[0] == b"canister_ranges" and len(path) <= 3


def check_subnet_paths(paths: Sequence[Sequence[bytes]]) -> None:
    for path in paths:
        if not _is_public_path(path):
            raise RequestError(404, "Invalid path requested.")


def check_canister_paths(
    request: VerifiedReadState,
    effective_canister_id: Principal,
    ingress_origin: Callable[[bytes], IngressOrigin | None],
) -> None:
    seen_request_id: bytes | None = None
    for path in request.content.paths:
        if _is_public_path(path):
            continue
        if (
            path
            and path[0] == b"canister"
            and (
                (len(path) == 3 and path[2] in (b"controllers", b"module_hash"))
                or (
                    len(path) == 3
                    and path[2] == b"certified_data"
                    and path[1] == REGISTRY_CANISTER_ID.raw
                )
                or (len(path) == 4 and path[2] == b"metadata")
            )
        ):
            canister_id = _principal(path[1])
            if canister_id != effective_canister_id:
                raise RequestError(
                    400,
                    f"Effective principal id in URL {effective_canister_id} does not match requested principal id: {canister_id}.",
                )
            continue
        if (
            path
            and path[0] == b"request_status"
            and (len(path) == 2 or (len(path) == 3 and path[2] in _REQUEST_STATUS_FIELDS))
        ):
            request_id = path[1]
            if len(request_id) != REQUEST_ID_BYTES:
                raise RequestError(
                    400,
                    f"Invalid request id in paths. Maybe the request ID is not of {REQUEST_ID_BYTES} bytes in length?!",
                )
            if seen_request_id is not None and seen_request_id != request_id:
                raise RequestError(
                    400,
                    "More than one non-unique request ID exists in request_status paths: "
                    f"{seen_request_id.hex()} and {request_id.hex()}.",
                )
            seen_request_id = request_id
            origin = ingress_origin(request_id)
            if origin is not None and origin.sender != request.authorized.sender:
                raise RequestError(
                    403, "The user tries to access Request ID not signed by the caller."
                )
            if origin is not None and not request.authorized.allows(origin.canister_id):
                raise RequestError(
                    403,
                    "The user tries to access request IDs for canisters not belonging to sender delegation targets.",
                )
            continue
        raise RequestError(404, "Invalid path requested.")


def check_v3_canister_ranges(paths: Sequence[Sequence[bytes]], nns_subnet_id: Principal) -> None:
    """v3 read_state: `/subnet/<id>/canister_ranges` may be asked only of the NNS subnet (IC `Version::V3`)."""
    for path in paths:
        if (
            len(path) == 3
            and path[0] == b"subnet"
            and path[2] == b"canister_ranges"
            and path[1] != nns_subnet_id.raw
        ):
            raise RequestError(404, "Invalid path requested.")


def without_flat_canister_ranges(
    tree: HashTree, paths: Sequence[Sequence[bytes]], nns_subnet_id: Principal
) -> list[list[bytes]]:
    """The paths to reveal so that no subnet but the NNS shows its flat `/subnet/<id>/canister_ranges`.

    The IC prunes those from v3 read_state certificates (`DeprecatedCanisterRangesFilter::KeepOnlyNNS`):
    a path that covers one is replaced by the paths of its other children.
    """
    revealed: list[list[bytes]] = []
    for path in paths:
        if not path or path[0] != b"subnet" or len(path) > 2:
            revealed.append(list(path))
            continue
        if len(path) == 2:
            subnets = [path[1]]
        else:
            found = hashtree.lookup_subtree(tree, ["subnet"])
            subnets = (
                []
                if isinstance(found, hashtree.Absent | hashtree.Unknown)
                else [label for label, _ in hashtree.labeled_children(found)]
            )
            if not subnets:
                revealed.append(list(path))
        for subnet in subnets:
            if subnet == nns_subnet_id.raw:
                revealed.append([b"subnet", subnet])
                continue
            found = hashtree.lookup_subtree(tree, ["subnet", subnet])
            children = (
                []
                if isinstance(found, hashtree.Absent | hashtree.Unknown)
                else [label for label, _ in hashtree.labeled_children(found)]
            )
            revealed.extend(
                [b"subnet", subnet, child] for child in children if child != b"canister_ranges"
            )
            if not children:
                revealed.append([b"subnet", subnet])
    return revealed
