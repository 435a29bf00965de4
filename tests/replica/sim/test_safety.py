"""Safety over many seeds: each seed draws its own mix of faults (at most f faulty replicas).

Most seeds run four replicas, every eighth seven (f = 2), every sixteenth five or
six (a Byzantine member outside the committee signs notarizations), for 12
heights: two DKG intervals of the test preset, so key changes and CUPs are
crossed. Every planned
fault must have struck (a crash and its restart, lost messages, a partition that
started and healed, a Byzantine replica that sent something the honest code would
not), or the run goes on until it has. Checked all along: never two different
finalized blocks at one height, never a finalized block reverted, the same state hash
on every honest replica at every height it computed (again after a restart), every
certification valid under the subnet key, and the audit of validity, beacons, CUPs,
key continuity and certification progress (`replica.sim.audit`); at the end, the
seed's ingress executed exactly once with certified replies, and finality within the
rate bound (see `replica.sim.sweep`). `pytest tests/replica/sim --seeds 5000` (or
`python -m replica.sim --seeds 5000`) runs more seeds; a failure prints the command
that replays its seed.
"""

from __future__ import annotations

from replica.presets import TEST
from replica.sim.sweep import SWEEP_HEIGHTS, check_seed, sweep_world


def test_the_sweep_crosses_two_dkg_intervals() -> None:
    """Two summary heights after genesis (5 and 10 with the test preset), so key changes and
    CUPs are crossed by every seed."""
    with sweep_world(0) as world:
        assert world.config.preset == TEST
    assert 2 * (TEST.dkg_interval_length + 1) <= SWEEP_HEIGHTS


def test_safety_holds_for_every_seed(sweep_seed: int) -> None:
    assert check_seed(sweep_seed) >= SWEEP_HEIGHTS
