"""The simulator's seed sweep: `pytest tests/replica/sim --seeds 5000` runs thousands."""

from __future__ import annotations

import pytest


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "sweep_seed" in metafunc.fixturenames:
        metafunc.parametrize("sweep_seed", range(metafunc.config.getoption("--seeds")))
