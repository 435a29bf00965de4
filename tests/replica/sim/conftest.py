"""The simulator's seed sweep: `pytest tests/replica/sim --seeds 5000 [--first-seed 10000]` runs
thousands."""

from __future__ import annotations

import pytest


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "sweep_seed" in metafunc.fixturenames:
        first = metafunc.config.getoption("--first-seed")
        metafunc.parametrize(
            "sweep_seed", range(first, first + metafunc.config.getoption("--seeds"))
        )
