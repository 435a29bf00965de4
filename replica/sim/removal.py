"""The removal exercise: take out one validity rule's check, then see what catches it.

For every rule of `replica/consensus/RULES.md`, `REMOVALS` says how to disable
its check (exact source text and what replaces it) and which attacks of the
default sweep need the rule. `python -m replica.sim.removal` copies the tree
once per rule, applies the removal in the copy, runs the unit tests RULES.md
names for the rule (`QUICK_UNITS`) and, if none of them fails, every consensus
unit test (pytest stops at the first failure), then the first seeds of the
default sweep whose fault plan has one of the rule's attacks (stopping at the
first failing seed), and prints one line per rule: which unit test failed,
which seed failed. Run it niced on a shared machine; one rule costs about 20 s
of unit tests and 5-15 s per seed that passes (a seed that fails on liveness
runs into its timeouts, about a minute).

    python -m replica.sim.removal                 # every rule, 3 sweep seeds each
    python -m replica.sim.removal --rules R9,R11 --seeds 2 --jobs 2
    python -m replica.sim.removal --quick         # only the unit tests RULES.md names
    python -m replica.sim.removal --seeds 0       # unit tests only
    python -m replica.sim.removal --check         # every removal still applies

`tests/replica/sim/test_removal.py` keeps the table applicable as the code
changes (each quoted text occurs exactly once); running the exercise itself is
too slow for the test suite.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from replica.sim.faults import FaultPlan
from replica.sim.sweep import SWEEP_HEIGHTS, sweep_nodes

ROOT: Final = Path(__file__).resolve().parents[2]
UNIT_TESTS: Final = (
    "tests/replica/consensus/test_validator.py",
    "tests/replica/consensus/test_byzantine_rules.py",
    "tests/replica/consensus/test_rules.py",
    "tests/replica/consensus/test_pool_and_summary.py",
    "tests/replica/consensus/test_roles.py",
    "tests/replica/consensus/test_validity_rules.py",
    "tests/replica/consensus/test_signed_ingress.py",
)
COPIED: Final = ("registry", "replica", "tests/__init__.py", "tests/conftest.py", "tests/replica")
ANY: Final = "any"
"""The rule needs no attack: the audit checks it on every seed."""
SEED_POOL: Final = 400
UNIT_TIMEOUT_S: Final = 1_800
SEED_TIMEOUT_S: Final = 600

V: Final = "replica/consensus/validator.py"
N: Final = "replica/consensus/node.py"


@dataclass(frozen=True, slots=True)
class Edit:
    path: str
    old: str
    new: str


@dataclass(frozen=True, slots=True)
class Removal:
    rule: str
    edits: tuple[Edit, ...]
    attacks: tuple[str, ...]


def _off(path: str, condition: str) -> Edit:
    """Disable an `if <condition>` check: the condition is never true. A condition quoted whole
    (ending in `:`) is parenthesised, so that `False and` covers every `or` in it; one quoted up
    to an opening bracket is a single call (`not f(` ...), which `False and` covers."""
    if condition.endswith(":"):
        return Edit(path, f"if {condition}", f"if False and ({condition[:-1]}):")
    return Edit(path, f"if {condition}", f"if False and {condition}")


REMOVALS: Final = (
    Removal("R1", (_off(V, "info.ranks.get(proposal.signer) != block.rank:"),), ("bad-block",)),
    Removal(
        "R2",
        (
            Edit(
                V,
                "if parent is None or not chain.is_notarized(block.parent, block.height - 1):",
                "if parent is None:",
            ),
        ),
        ("wrong-parent",),
    ),
    Removal(
        "R3",
        (_off(V, "parent is not None and parent.height != block.height - 1:"),),
        ("wrong-parent",),
    ),
    Removal("R4", (_off(V, "block.version != info.record.replica_version_id:"),), ("bad-block",)),
    Removal(
        "R5",
        (
            Edit(
                V,
                "            context.registry_version < before.registry_version\n"
                "            or context.certified_height < before.certified_height\n",
                "            False\n",
            ),
        ),
        ("bad-block",),
    ),
    Removal("R6", (_off(V, "context.time_ns <= before.time_ns:"),), ("bad-block",)),
    Removal("R7", (_off(V, "context.certified_height > parent.height:"),), ("bad-block",)),
    Removal("R8", (_off(V, "not ctx.signer.verify_proposal("),), ("forge-combined",)),
    Removal(
        "R9",
        (
            Edit(
                V,
                'None if expected == block.payload else "the summary differs from the computed '
                'one"',
                "None",
            ),
        ),
        ("bad-block",),
    ),
    Removal(
        "R10",
        (_off(V, "is_summary != isinstance(block.payload, DkgSummary):"),),
        ("bad-block",),
    ),
    Removal(
        "R11",
        (
            _off(V, "len(payload.ingress) > record.max_ingress_messages_per_block:"),
            _off(V, "sum(m.size_bytes for m in payload.ingress) > record.max_block_payload_size:"),
            _off(V, "len(message.arg) > record.max_ingress_bytes_per_message:"),
        ),
        ("bad-block",),
    ),
    Removal("R12", (_off(V, "len(set(ids)) != len(ids):"),), ("bad-block",)),
    Removal(
        "R13",
        (_off(V, "message.message_id in on_chain or self.is_ingress_known(message.message_id):"),),
        ("bad-block",),
    ),
    Removal(
        "R14",
        (_off(V, "not is_ingress_includable(message, block.context.time_ns):"),),
        ("bad-block",),
    ),
    Removal(
        "R15",
        (Edit(V, "return self.check_dealings(parent, payload)", "return None"),),
        ("bad-block",),
    ),
    Removal(
        "R16",
        (
            _off(
                V,
                "len(set(signers)) != len(signers) or len(signers) < info.notarization_threshold:",
            ),
        ),
        ("forge-combined",),
    ),
    Removal(
        "R17",
        (_off(V, "any(signer not in info.committee for signer in signers):"),),
        ("outside-committee",),
    ),
    Removal("R18", (_off(V, "not ctx.signer.verify_multisignature("),), ("forge-combined",)),
    Removal("R19", (_off(V, "artifact.parent != previous.id:"),), ("forge-combined",)),
    Removal(
        "R20",
        (
            _off(
                V,
                "not key.verify(beacon_message(artifact.height, previous.id), artifact.signature):",
            ),
        ),
        ("forge-combined",),
    ),
    Removal(
        "R21",
        (
            Edit(
                V,
                "if key.verify(tape_message(artifact.height), artifact.signature)",
                "if True",
            ),
        ),
        ("forge-combined",),
    ),
    Removal(
        "R22",
        (
            _off(
                V, "not key.verify(certification_message(artifact.root_hash), artifact.signature):"
            ),
        ),
        ("forge-certification",),
    ),
    Removal("R23", (_off(V, "root != artifact.root_hash:"),), ("forge-certification",)),
    Removal(
        "R24",
        (_off(V, "chain.finalized.get(artifact.height) != artifact.content.block:"),),
        ("forge-cup",),
    ),
    Removal(
        "R25",
        (
            Edit(
                "replica/consensus/catchup.py",
                "return bls.verify(subnet_public_key, catch_up_content_message(cup.content), "
                "cup.signature)",
                "return True",
            ),
        ),
        ("forge-cup",),
    ),
    Removal("R26", (_off(V, "not verify_node_signature("),), ("forge-combined",)),
    Removal(
        "R27",
        (
            Edit(
                "replica/consensus/notary.py",
                "(not signed_ranks or best[0].rank <= min(signed_ranks))",
                "True",
            ),
        ),
        ("held-back",),
    ),
    Removal(
        "R28",
        (_off("replica/consensus/notary.py", "proposal.signer in disqualified:"),),
        ("equivocate",),
    ),
    Removal(
        "R29",
        (
            Edit(
                "replica/consensus/finalizer.py",
                "return all(signed == block_hash for signed in own_notarization_shares)",
                "return True",
            ),
        ),
        ("held-back",),
    ),
    Removal(
        "R30",
        (
            Edit(
                "replica/consensus/signing.py",
                "return threshold.combine_and_verify(self.coefficients, message, indexed)",
                "return threshold.combine_shares(indexed, self.threshold)",
            ),
        ),
        ("wrong-message", "invalid-shares", "replay-shares"),
    ),
    Removal(
        "R31",
        (
            Edit(
                "replica/consensus/signing.py",
                "if aggregate and self.verify_multisignature(signers, registry_version, message, "
                "aggregate):",
                "if aggregate:",
            ),
        ),
        ("wrong-message", "invalid-shares"),
    ),
    Removal(
        "R32",
        (
            Edit(
                "replica/consensus/beacon.py",
                "lambda s: s.parent == previous.id",
                "lambda s: True",
            ),
        ),
        ("replay-shares",),
    ),
    Removal(
        "R33",
        (
            Edit(
                "replica/consensus/membership.py",
                'also the finalization threshold."""\n'
                "    return compute_committee_size(nodes) - compute_faults_tolerated(nodes)",
                'also the finalization threshold."""\n'
                "    return compute_faults_tolerated(nodes) + 1",
            ),
        ),
        (ANY,),
    ),
    Removal(
        "R34",
        (
            Edit(
                "replica/consensus/membership.py",
                "def compute_high_threshold(nodes: int) -> int:\n"
                "    return compute_committee_size(nodes) - compute_faults_tolerated(nodes)",
                "def compute_high_threshold(nodes: int) -> int:\n"
                "    return compute_faults_tolerated(nodes) + 1",
            ),
        ),
        (ANY,),
    ),
    Removal(
        "R35",
        (
            Edit(
                "replica/consensus/dkg_payload.py",
                "dealers=resharing.committee if resharing is not None else receivers,",
                "dealers=receivers,",
            ),
            Edit(
                "replica/consensus/dkg_payload.py",
                "resharing=resharing is not None,",
                "resharing=False,",
            ),
        ),
        (ANY,),
    ),
    Removal("R36", (_off(V, "results != payload.remote_results:"),), ("bad-block",)),
    Removal("R37", (_off(V, "self.authenticate_ingress is not None:"),), ("bad-block",)),
    Removal("R38", (_off(N, "authenticate is not None:"),), ("bad-block",)),
)


_C: Final = "tests/replica/consensus/"
_VAL: Final = _C + "test_validator.py::"
_BYZ: Final = _C + "test_byzantine_rules.py::"
_RULES: Final = _C + "test_validity_rules.py::"
_PAYLOAD: Final = _VAL + "test_payload_rules"
_SUMMARY: Final = (
    _RULES + "test_a_summary_other_than_the_computed_one_and_a_data_block_at_a_summary_height_are_"
    "refused"
)
_COMBINED: Final = _VAL + "test_combined_signatures_are_checked"
_WRONG_RANK: Final = _VAL + "test_a_proposal_from_the_wrong_rank_or_signer_is_refused"
_EQUIVOCATION: Final = _VAL + "test_an_equivocating_maker_is_disqualified_for_the_height"
_CUP: Final = (
    _BYZ + "test_a_catch_up_package_with_a_wrong_signature_is_refused_at_its_finalized_height",
    _BYZ + "test_a_catch_up_package_with_a_wrong_signature_starts_no_state_sync",
)
QUICK_UNITS: Final[dict[str, tuple[str, ...]]] = {
    "R1": (_WRONG_RANK,),
    "R2": (
        _BYZ + "test_a_block_on_a_valid_but_unnotarized_parent_waits_until_the_parent_is_notarized",
    ),
    "R3": (
        _BYZ + "test_a_block_whose_parent_is_not_at_the_height_below_is_refused_not_kept_waiting",
    ),
    "R4": (_RULES + "test_a_block_naming_another_replica_version_is_refused",),
    "R5": (_RULES + "test_a_validation_context_below_the_parents_is_refused",),
    "R6": (_PAYLOAD,),
    "R7": (_RULES + "test_a_certified_height_above_the_parent_is_refused_not_kept_waiting",),
    "R8": (_WRONG_RANK,),
    "R9": (_SUMMARY,),
    "R10": (_PAYLOAD, _SUMMARY),
    "R11": (_RULES + "test_ingress_beyond_the_subnets_limits_is_refused",),
    "R12": (_PAYLOAD,),
    "R13": (_RULES + "test_an_ingress_message_already_on_the_chain_is_refused",),
    "R14": (_RULES + "test_an_expired_ingress_message_is_refused",),
    "R15": (_VAL + "test_a_dealing_is_refused_without_a_support_proof_from_enough_receivers",),
    **{rule: (_COMBINED,) for rule in ("R16", "R18", "R20")},
    "R17": (_RULES + "test_a_notarization_signed_by_a_member_outside_the_committee_is_refused",),
    "R19": (_RULES + "test_a_genuine_beacon_signature_under_another_parent_is_refused",),
    "R21": (_RULES + "test_a_tape_of_one_share_is_refused",),
    "R22": (_BYZ + "test_a_forged_certification_from_one_share_is_refused",),
    "R23": (_BYZ + "test_a_genuine_certification_of_another_root_than_this_replicas_is_refused",),
    "R24": (_RULES + "test_a_validly_signed_catch_up_package_of_another_block_is_refused",),
    "R25": _CUP,
    "R26": (_EQUIVOCATION,),
    "R27": (_RULES + "test_the_notary_never_signs_a_higher_rank_than_a_block_it_signed",),
    "R28": (
        _RULES + "test_the_notary_never_signs_a_block_of_a_maker_disqualified_for_equivocation",
    ),
    "R29": (_C + "test_rules.py::test_finalizer_rule",),
    "R30": (
        _BYZ + "test_a_well_formed_wrong_beacon_share_is_dropped_and_the_beacon_combined_"
        "from_genuine_ones",
    ),
    "R31": (
        _BYZ + "test_a_well_formed_wrong_notarization_share_is_dropped_and_the_block_notarized_"
        "from_genuine_ones",
    ),
    "R32": (_BYZ + "test_beacon_shares_of_another_height_or_parent_never_reach_the_combination",),
    "R33": (_C + "test_rules.py::test_thresholds_follow_the_fault_bound",),
    "R34": (_RULES + "test_the_high_threshold_is_n_minus_f_and_the_summary_configs_use_it",),
    "R35": (_C + "test_pool_and_summary.py",),
    "R36": (_RULES + "test_remote_dkg_results_no_replica_computes_are_refused",),
    "R37": (_C + "test_signed_ingress.py::test_unsigned_altered_and_forged_messages_are_refused",),
    "R38": (
        _C + "test_signed_ingress.py::test_a_forged_ingress_artifact_from_a_peer_is_not_pooled_and_"
        "a_signed_one_is",
    ),
}
"""With `--quick`: the unit tests RULES.md names for each rule (or the closest candidates),
instead of every consensus unit test."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Outcome:
    rule: str
    unit: str | None
    """The first unit test that failed, or None."""
    seeds_run: tuple[int, ...]
    seed: int | None
    """The first sweep seed that failed, or None."""
    reason: str | None

    def line(self) -> str:
        unit = self.unit or "no unit test fails"
        if self.seed is not None:
            sweep = f"seed {self.seed} fails: {self.reason}"
        else:
            tried = ", ".join(map(str, self.seeds_run)) or "none"
            sweep = f"no seed fails (tried {tried})"
        return f"{self.rule}: unit: {unit}; sweep: {sweep}"


def problems(root: Path = ROOT) -> list[str]:
    """Removals whose quoted text is not found exactly once (the code moved on)."""
    found = []
    for removal in REMOVALS:
        for edit in removal.edits:
            count = (root / edit.path).read_text().count(edit.old)
            if count != 1:
                found.append(f"{removal.rule}: {edit.path} holds {edit.old!r} {count} times")
    return found


def seeds_with(attacks: Sequence[str], count: int) -> list[int]:
    """The first `count` seeds of the default sweep whose plan has one of `attacks`."""
    chosen: list[int] = []
    if count <= 0:
        return chosen
    for seed in range(SEED_POOL):
        plan = FaultPlan.mixed_for_seed(seed, sweep_nodes(seed)).to_text()
        if ANY in attacks or any(attack in plan for attack in attacks):
            chosen.append(seed)
            if len(chosen) == count:
                break
    return chosen


def _copy_tree(target: Path) -> None:
    for name in COPIED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(
                source, target / name, ignore=shutil.ignore_patterns("__pycache__", "node_modules")
            )
        else:
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    shutil.copy2(ROOT / "pyproject.toml", target / "pyproject.toml")


def _first_failure(output: str) -> str:
    for line in output.splitlines():
        if line.startswith(("FAILED ", "ERROR ")):
            return line.split(" ", 1)[1].split(" - ")[0]
    return "the unit tests fail"


def _run_units(tree: Path, env: dict[str, str], tests: Sequence[str]) -> str | None:
    """The first of `tests` that fails in `tree` (pytest stops there), or None."""
    unit = subprocess.run(
        [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *tests],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=UNIT_TIMEOUT_S,
    )
    return None if unit.returncode == 0 else _first_failure(unit.stdout)


def run_removal(
    removal: Removal, seeds: int, quick: bool = False, heights: int = SWEEP_HEIGHTS
) -> Outcome:
    """The rule's named unit tests first, then (unless `quick`) every consensus unit test if
    none of those failed; then sweep seeds with the rule's attacks until one fails."""
    with tempfile.TemporaryDirectory(prefix=f"removal-{removal.rule}-") as directory:
        tree = Path(directory)
        _copy_tree(tree)
        for edit in removal.edits:
            path = tree / edit.path
            path.write_text(path.read_text().replace(edit.old, edit.new, 1))
        env = {**os.environ, "PYTHONPATH": str(tree), "PYTHONDONTWRITEBYTECODE": "1"}
        unit_failure = _run_units(tree, env, QUICK_UNITS[removal.rule])
        if unit_failure is None and not quick:
            unit_failure = _run_units(tree, env, UNIT_TESTS)
        tried: list[int] = []
        for seed in seeds_with(removal.attacks, seeds):
            tried.append(seed)
            script = (
                "import sys\nfrom replica.sim.sweep import run_seed\n"
                f"result = run_seed({seed}, {heights})\n"
                "print(result.failure or '')\nsys.exit(1 if result.failure else 0)\n"
            )
            try:
                run = subprocess.run(
                    [sys.executable, "-c", script],
                    cwd=tree,
                    env=env,
                    capture_output=True,
                    text=True,
                    timeout=SEED_TIMEOUT_S,
                )
            except subprocess.TimeoutExpired:
                return Outcome(
                    rule=removal.rule,
                    unit=unit_failure,
                    seeds_run=tuple(tried),
                    seed=seed,
                    reason="the run does not end",
                )
            if run.returncode != 0:
                lines = (run.stdout.strip() or run.stderr.strip() or "failed").splitlines()
                reason = lines[0] if run.stdout.strip() else lines[-1]
                return Outcome(
                    rule=removal.rule,
                    unit=unit_failure,
                    seeds_run=tuple(tried),
                    seed=seed,
                    reason=reason[:200],
                )
        return Outcome(
            rule=removal.rule, unit=unit_failure, seeds_run=tuple(tried), seed=None, reason=None
        )


def run_all(
    rules: Sequence[str] | None,
    seeds: int,
    jobs: int,
    quick: bool = False,
    heights: int = SWEEP_HEIGHTS,
) -> Iterator[Outcome]:
    chosen = [r for r in REMOVALS if rules is None or r.rule in rules]
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        yield from pool.map(lambda removal: run_removal(removal, seeds, quick, heights), chosen)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m replica.sim.removal",
        description="Remove each consensus rule's check in a copy of the tree; report what fails.",
    )
    parser.add_argument("--rules", help="comma separated rules (default: every rule)")
    parser.add_argument("--seeds", type=int, default=3, help="sweep seeds per rule (default: 3)")
    parser.add_argument("--jobs", type=int, default=1, help="rules at once (default: 1)")
    parser.add_argument(
        "--heights",
        type=int,
        default=SWEEP_HEIGHTS,
        help=f"heights each sweep seed runs (default: {SWEEP_HEIGHTS}, as the sweep)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="run only the unit tests RULES.md names for each rule (by default every consensus "
        "unit test follows when none of those fails)",
    )
    parser.add_argument(
        "--check", action="store_true", help="only check that every removal still applies"
    )
    arguments = parser.parse_args(argv)
    found = problems()
    if found or arguments.check:
        print("\n".join(found) or f"all {len(REMOVALS)} removals apply")
        return 1 if found else 0
    rules = arguments.rules.split(",") if arguments.rules else None
    if arguments.seeds < 0 or arguments.heights < 1:
        print("--seeds must be 0 or more and --heights 1 or more")
        return 2
    for outcome in run_all(
        rules, arguments.seeds, arguments.jobs, arguments.quick, arguments.heights
    ):
        print(outcome.line(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
