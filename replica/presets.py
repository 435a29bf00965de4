"""Named presets: the constants that shape time and size.

The rules of governance and consensus never branch on the preset; only these
numbers change (DESIGN section 6).

- `mainnet`: the real Internet Computer constants.
- `local`: the same rules with governance time scaled so that one governance
  day lasts one minute (a four-day voting period takes four minutes), and
  short DKG intervals with sub-second rounds; an idle subnet (no ingress to include)
  makes about one block a second. The default of `icbox up`.
- `test`: the smallest values tests need: one governance day is one second.

Every governance duration is written in mainnet seconds below and divided by
the preset's scale with an integer floor, so the integer formulas of the spec
work unchanged on scaled values.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

ONE_DAY_SECONDS: Final = 86_400
ONE_YEAR_SECONDS: Final = (4 * 365 + 1) * ONE_DAY_SECONDS // 4  # 365.25 days
ONE_MONTH_SECONDS: Final = ONE_YEAR_SECONDS // 12


@dataclass(frozen=True, slots=True, kw_only=True)
class Preset:
    """Time and size constants of one named preset."""

    name: str
    # Governance time: how many mainnet seconds one preset second stands for.
    governance_time_scale: int
    # Consensus (defaults for new subnets; the registry record of a subnet is authoritative).
    dkg_interval_length: int
    initial_notary_delay_ms: int
    unit_delay_ms: int
    idle_block_delay_ms: int = 0
    """How much longer a live block maker waits before proposing an empty block (0: as the IC)."""
    # Ledger: how long a transaction is remembered for deduplication.
    ledger_transaction_window_seconds: int

    def governance_seconds(self, mainnet_seconds: int) -> int:
        """A mainnet governance duration in this preset's seconds (integer floor, at least 1)."""
        return max(1, mainnet_seconds // self.governance_time_scale)

    @property
    def one_day_seconds(self) -> int:
        return self.governance_seconds(ONE_DAY_SECONDS)

    @property
    def one_month_seconds(self) -> int:
        return self.governance_seconds(ONE_MONTH_SECONDS)

    @property
    def one_year_seconds(self) -> int:
        return self.governance_seconds(ONE_YEAR_SECONDS)


MAINNET: Final = Preset(
    name="mainnet",
    governance_time_scale=1,
    dkg_interval_length=499,
    initial_notary_delay_ms=300,
    unit_delay_ms=1_000,
    ledger_transaction_window_seconds=24 * 3_600,
)

LOCAL: Final = Preset(
    name="local",
    governance_time_scale=1_440,
    dkg_interval_length=19,
    initial_notary_delay_ms=100,
    unit_delay_ms=500,
    idle_block_delay_ms=900,
    ledger_transaction_window_seconds=24 * 3_600,
)

TEST: Final = Preset(
    name="test",
    governance_time_scale=ONE_DAY_SECONDS,
    dkg_interval_length=4,
    initial_notary_delay_ms=100,
    unit_delay_ms=200,
    ledger_transaction_window_seconds=24 * 3_600,
)

PRESETS: Final = {preset.name: preset for preset in (MAINNET, LOCAL, TEST)}


def get_preset(name: str) -> Preset:
    try:
        return PRESETS[name]
    except KeyError:
        known = ", ".join(sorted(PRESETS))
        raise ValueError(f"unknown preset {name!r} (known: {known})") from None
