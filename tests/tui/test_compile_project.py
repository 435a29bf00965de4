"""`icbox up` writes the project's bytecode once, so its processes do not compile it each."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui.network import processes


def test_compile_project_writes_bytecode_of_each_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "replica"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "module.py").write_text("VALUE = 1\n")
    monkeypatch.setattr(processes, "PROJECT_ROOT", tmp_path)
    monkeypatch.setattr(processes, "PROJECT_PACKAGES", ("replica", "absent"))
    processes.compile_project()
    compiled = sorted(path.name.split(".")[0] for path in (package / "__pycache__").iterdir())
    assert compiled == ["__init__", "module"]
