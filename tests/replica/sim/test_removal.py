"""The removal exercise stays applicable: every rule of RULES.md has a removal whose quoted
source text occurs exactly once, so `python -m replica.sim.removal` disables that check and
nothing else."""

from __future__ import annotations

import re

from replica.sim.removal import ANY, REMOVALS, ROOT, problems, seeds_with


def test_every_rule_of_the_table_has_a_removal_that_applies() -> None:
    table = (ROOT / "replica/consensus/RULES.md").read_text()
    rules = re.findall(r"^\| (R\d+) \|", table, flags=re.MULTILINE)
    assert rules == [removal.rule for removal in REMOVALS]
    assert problems() == []


def test_every_removal_has_seeds_of_the_default_sweep_with_its_attacks() -> None:
    for removal in REMOVALS:
        seeds = seeds_with(removal.attacks, 2)
        assert len(seeds) == 2, removal.rule
    assert seeds_with((ANY,), 3) == [0, 1, 2]


def test_a_removal_changes_only_its_own_text() -> None:
    removal = next(r for r in REMOVALS if r.rule == "R3")
    edit = removal.edits[0]
    source = (ROOT / edit.path).read_text()
    changed = source.replace(edit.old, edit.new, 1)
    assert changed != source
    assert len(changed) - len(source) == len(edit.new) - len(edit.old)


def test_every_rule_names_unit_tests_for_the_quick_exercise() -> None:
    from replica.sim.removal import QUICK_UNITS

    assert sorted(QUICK_UNITS) == sorted(removal.rule for removal in REMOVALS)
    for units in QUICK_UNITS.values():
        for unit in units:
            path = unit.split("::")[0]
            assert (ROOT / path).is_file(), unit
            if "::" in unit:
                assert f"def {unit.split('::')[1]}(" in (ROOT / path).read_text(), unit


def test_a_disabled_condition_is_false_whatever_its_or_parts() -> None:
    from replica.sim.removal import _off

    edit = _off("x.py", "a or b:")
    assert edit.new == "if False and (a or b):"
    # Unparenthesised, `False and a or b` would still be true when `b` is.
    assert eval(edit.new[3:-1], {"a": True, "b": True}) is False
