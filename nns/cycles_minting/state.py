"""The cycles minting canister's state and its governance-facing methods.

The payment flows live in `nns.cycles_minting.canister`, on top of this class.
Governance sets the ICP/XDR rate (`set_icp_xdr_conversion_rate`, the payload of
the IC's UpdateIcpXdrConversionRatePayload; a rate must be newer than the
current one, rs/nns/cmc/src/main.rs) and the subnet-type tables
(`update_subnet_type`, `change_subnet_type_assignment`,
`set_authorized_subnetwork_list`). The rate is certified (`rate.py`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from sqlalchemy import text
from sqlmodel import Field, SQLModel

from nns.cycles_minting.interface import arguments, results
from nns.cycles_minting.rate import (
    AVERAGE_LABEL,
    LATEST_LABEL,
    ConversionRate,
    build_rate_tree,
    compute_average,
    witness,
)
from replica.canister import codec
from replica.canister.errors import CanisterError
from replica.canister.sdk import CanisterEnvironment, query, update
from replica.canister.stable import StableStore
from replica.types import Principal

GOVERNANCE_CANISTER_ID: Final = Principal.from_canister_id(1)


class CmcValue(SQLModel, table=True):
    __tablename__ = "cmc_value"
    name: str = Field(primary_key=True)
    value: bytes


class CmcRate(SQLModel, table=True):
    __tablename__ = "cmc_rate"
    timestamp_seconds: int = Field(primary_key=True)
    xdr_permyriad_per_icp: int


class CmcNotification(SQLModel, table=True):
    __tablename__ = "cmc_notification"
    block_index: int = Field(primary_key=True)
    kind: str
    result: bytes | None = None


TABLES: Final = (CmcValue, CmcRate, CmcNotification)


class CyclesMintingState:
    """Rates, subnet tables and processed notifications, in the canister's stable store."""

    def __init__(self, environment: CanisterEnvironment, path: str | None, init: Any) -> None:
        self.environment = environment
        self.store = StableStore(list(TABLES), path)

    # -- stored values ------------------------------------------------------------------------

    def get_value(self, name: str, default: Any) -> Any:
        with self.store.connection() as connection:
            row = connection.execute(
                text("SELECT value FROM cmc_value WHERE name = :name"), {"name": name}
            ).first()
        return default if row is None else codec.decode(row[0])

    def put_value(self, name: str, value: Any) -> None:
        with self.store.transaction(savepoint=False) as session:
            session.connection().execute(
                text(
                    "INSERT INTO cmc_value (name, value) VALUES (:name, :value) "
                    "ON CONFLICT(name) DO UPDATE SET value = excluded.value"
                ),
                {"name": name, "value": codec.encode(value)},
            )

    def get_notification(self, block_index: int) -> tuple[str, Any] | None:
        with self.store.connection() as connection:
            row = connection.execute(
                text("SELECT kind, result FROM cmc_notification WHERE block_index = :index"),
                {"index": block_index},
            ).first()
        if row is None:
            return None
        return row[0], None if row[1] is None else codec.decode(row[1])

    def put_notification(self, block_index: int, kind: str, result: Any) -> None:
        with self.store.transaction(savepoint=False) as session:
            session.connection().execute(
                text(
                    "INSERT INTO cmc_notification (block_index, kind, result) VALUES (:index, "
                    ":kind, :result) "
                    "ON CONFLICT(block_index) DO UPDATE SET kind = excluded.kind, result = "
                    "excluded.result"
                ),
                {
                    "index": block_index,
                    "kind": kind,
                    "result": None if result is None else codec.encode(result),
                },
            )

    def forget_notification(self, block_index: int) -> None:
        with self.store.transaction(savepoint=False) as session:
            session.connection().execute(
                text("DELETE FROM cmc_notification WHERE block_index = :index"),
                {"index": block_index},
            )

    def rates(self) -> list[ConversionRate]:
        with self.store.connection() as connection:
            rows = connection.execute(
                text(
                    "SELECT timestamp_seconds, xdr_permyriad_per_icp FROM cmc_rate ORDER BY "
                    "timestamp_seconds"
                )
            ).all()
        return [
            ConversionRate(timestamp_seconds=row[0], xdr_permyriad_per_icp=row[1]) for row in rows
        ]

    def current_rate(self) -> ConversionRate | None:
        rates = self.rates()
        return rates[-1] if rates else None

    # -- the conversion rate ------------------------------------------------------------------

    @update(
        args=arguments("set_icp_xdr_conversion_rate"),
        results=results("set_icp_xdr_conversion_rate"),
    )
    def set_icp_xdr_conversion_rate(
        self, caller: Principal, payload: dict[str, Any]
    ) -> dict[str, Any]:
        """NNS governance sets the rate (an adopted IcpXdrConversionRate proposal); the rate is
        certified."""
        if caller != GOVERNANCE_CANISTER_ID:
            return {"Err": f"only NNS governance sets the ICP/XDR conversion rate, not {caller}"}
        proposed = ConversionRate(
            timestamp_seconds=payload["timestamp_seconds"],
            xdr_permyriad_per_icp=payload["xdr_permyriad_per_icp"],
        )
        if proposed.xdr_permyriad_per_icp <= 0:
            return {"Err": "the proposed rate must be positive"}
        current = self.current_rate()
        if current is not None and proposed.timestamp_seconds <= current.timestamp_seconds:
            return {
                "Err": (
                    f"the proposed rate's timestamp {proposed.timestamp_seconds} is not newer "
                    f"than the current rate's {current.timestamp_seconds}"
                )
            }
        with self.store.transaction(savepoint=False) as session:
            session.connection().execute(
                text(
                    "INSERT INTO cmc_rate (timestamp_seconds, xdr_permyriad_per_icp) VALUES "
                    "(:time, :rate)"
                ),
                {"time": proposed.timestamp_seconds, "rate": proposed.xdr_permyriad_per_icp},
            )
        tree = build_rate_tree(proposed, compute_average(self.rates(), proposed.timestamp_seconds))
        self.environment.set_certified_data(tree.digest)
        return {"Ok": None}

    def _rate_tree(self) -> tuple[ConversionRate, Any]:
        latest = self.current_rate()
        if latest is None:
            raise CanisterError("no ICP/XDR conversion rate has been set yet")
        return latest, build_rate_tree(
            latest, compute_average(self.rates(), latest.timestamp_seconds)
        )

    @query(results=results("get_icp_xdr_conversion_rate"))
    def get_icp_xdr_conversion_rate(
        self, caller: Principal, argument: object = None
    ) -> dict[str, Any]:
        latest, tree = self._rate_tree()
        return {
            "data": latest.to_candid(),
            "hash_tree": witness(tree, LATEST_LABEL),
            "certificate": self.environment.data_certificate() or b"",
        }

    @query(results=results("get_average_icp_xdr_conversion_rate"))
    def get_average_icp_xdr_conversion_rate(
        self, caller: Principal, argument: object = None
    ) -> dict[str, Any]:
        """The 30-day average and its witness (a hidden query of the IC's CMC, which governance
        reads for the node provider rewards)."""
        latest, tree = self._rate_tree()
        average = compute_average(self.rates(), latest.timestamp_seconds)
        if average is None:
            raise CanisterError("no ICP/XDR conversion rate in the last 30 days")
        return {
            "data": average.to_candid(),
            "hash_tree": witness(tree, AVERAGE_LABEL),
            "certificate": self.environment.data_certificate() or b"",
        }

    @query(results=results("neuron_maturity_modulation"))
    def neuron_maturity_modulation(
        self, caller: Principal, argument: object = None
    ) -> dict[str, Any]:
        return {"Ok": 0}

    @query(results=results("get_build_metadata"))
    def get_build_metadata(self, caller: Principal, argument: object = None) -> str:
        return "icbox cycles minting canister"

    # -- subnets ------------------------------------------------------------------------------

    def _require_governance(self, caller: Principal) -> None:
        if caller != GOVERNANCE_CANISTER_ID:
            raise CanisterError(f"only NNS governance may call this method, not {caller}")

    def _subnet_types(self) -> dict[str, list[Principal]]:
        types: dict[str, list[Principal]] = self.get_value("subnet_types", {})
        return types

    @query(results=results("get_subnet_types_to_subnets"))
    def get_subnet_types_to_subnets(
        self, caller: Principal, argument: object = None
    ) -> dict[str, Any]:
        return {
            "data": [
                (name, list(subnets)) for name, subnets in sorted(self._subnet_types().items())
            ]
        }

    @query(results=results("get_default_subnets"))
    def get_default_subnets(self, caller: Principal, argument: object = None) -> list[Principal]:
        subnets: list[Principal] = self.get_value("default_subnets", [])
        return list(subnets)

    @query(results=results("get_principals_authorized_to_create_canisters_to_subnets"))
    def get_principals_authorized_to_create_canisters_to_subnets(
        self, caller: Principal, argument: object = None
    ) -> dict[str, Any]:
        authorized: dict[str, list[Principal]] = self.get_value("authorized_subnets", {})
        return {
            "data": [
                (Principal.from_text(who), list(subnets))
                for who, subnets in sorted(authorized.items())
            ]
        }

    @update(args=arguments("set_authorized_subnetwork_list"), results=[])
    def set_authorized_subnetwork_list(self, caller: Principal, argument: dict[str, Any]) -> None:
        """`who = null` sets the default subnets; otherwise the subnets `who` may create canisters
        on."""
        self._require_governance(caller)
        who: Principal | None = argument["who"]
        subnets = list(dict.fromkeys(argument["subnets"]))
        if who is None:
            self.put_value("default_subnets", subnets)
            return
        authorized: dict[str, list[Principal]] = self.get_value("authorized_subnets", {})
        if subnets:
            authorized[who.to_text()] = subnets
        else:
            authorized.pop(who.to_text(), None)
        self.put_value("authorized_subnets", authorized)

    @update(args=arguments("update_subnet_type"), results=[])
    def update_subnet_type(self, caller: Principal, argument: Mapping[str, str]) -> None:
        self._require_governance(caller)
        ((action, name),) = argument.items()
        types = self._subnet_types()
        if action == "Add":
            if name in types:
                raise CanisterError(f"subnet type {name} already exists")
            types[name] = []
        else:
            if name not in types:
                raise CanisterError(f"subnet type {name} does not exist")
            if types[name]:
                raise CanisterError(f"subnet type {name} still has subnets assigned")
            del types[name]
        self.put_value("subnet_types", types)

    @update(args=arguments("change_subnet_type_assignment"), results=[])
    def change_subnet_type_assignment(
        self, caller: Principal, argument: Mapping[str, dict[str, Any]]
    ) -> None:
        self._require_governance(caller)
        ((action, change),) = argument.items()
        name, subnets = change["subnet_type"], list(change["subnets"])
        types = self._subnet_types()
        if name not in types:
            raise CanisterError(f"subnet type {name} does not exist")
        if action == "Add":
            defaults = set(self.get_default_subnets(caller))
            for subnet in subnets:
                if subnet in defaults:
                    raise CanisterError(
                        f"subnet {subnet} is a default subnet and cannot get a type"
                    )
                if any(subnet in assigned for assigned in types.values()):
                    raise CanisterError(f"subnet {subnet} is already assigned to a subnet type")
            types[name] = [*types[name], *subnets]
        else:
            missing = [subnet for subnet in subnets if subnet not in types[name]]
            if missing:
                raise CanisterError(
                    f"subnets {', '.join(map(str, missing))} are not assigned to type {name}"
                )
            types[name] = [subnet for subnet in types[name] if subnet not in subnets]
        self.put_value("subnet_types", types)
