"""The README's Python snippets run as shown.

Every ```python block of README.md is executed, in a fresh temporary
directory per section. A section starts at a level-one or level-two heading;
its blocks run in order in one namespace, so a block may use what the blocks
before it in the same section defined, never what another section defined.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
_FENCE = re.compile(r"^(`{3,}|~{3,})\s*([\w+-]*)")
_SECTION = re.compile(r"^#{1,2}\s+(.*)")


@dataclass(frozen=True, slots=True)
class Block:
    line: int
    source: str


@dataclass(frozen=True, slots=True)
class Section:
    title: str
    blocks: tuple[Block, ...]


def python_sections(text: str) -> list[Section]:
    """The sections of a Markdown text that hold ```python blocks, with those blocks in order."""
    sections: list[Section] = []
    title, blocks = "(top)", []
    fence: str | None = None
    language, start, lines = "", 0, []  # type: tuple[str, int, list[str]]
    for number, line in enumerate(text.splitlines(), start=1):
        if fence is not None:
            if line.strip().startswith(fence) and line.strip().strip(fence[0]) == "":
                if language == "python":
                    blocks.append(
                        Block(line=start, source=textwrap.dedent("\n".join(lines)) + "\n")
                    )
                fence = None
            else:
                lines.append(line)
            continue
        opening = _FENCE.match(line.strip())
        if opening is not None:
            fence, language, start, lines = (
                opening.group(1),
                opening.group(2).lower(),
                number + 1,
                [],
            )
            continue
        heading = _SECTION.match(line)
        if heading is not None:
            if blocks:
                sections.append(Section(title=title, blocks=tuple(blocks)))
            title, blocks = heading.group(1).strip(), []
    if fence is not None:
        raise ValueError(f"README.md: the code block opened at line {start - 1} is never closed")
    if blocks:
        sections.append(Section(title=title, blocks=tuple(blocks)))
    return sections


SECTIONS = python_sections(README.read_text(encoding="utf-8"))


def test_the_readme_has_python_snippets() -> None:
    assert sum(len(section.blocks) for section in SECTIONS) >= 2


def test_sections_and_blocks_are_found_as_markdown_lays_them_out() -> None:
    text = "\n".join(
        [
            "# Title",
            "```python",
            "a = 1",
            "```",
            "## One",
            "```python",
            "b = 2",
            "```",
            "```sh",
            "echo no",
            "```",
            "### Deeper",
            "````python",
            "c = b",
            "````",
            "## Two",
            "```",
            "not python",
            "```",
            "## Three",
            "~~~python",
            "d = 4",
            "~~~",
        ]
    )
    found = [
        (section.title, [block.source for block in section.blocks])
        for section in python_sections(text)
    ]
    assert found == [
        ("Title", ["a = 1\n"]),
        ("One", ["b = 2\n", "c = b\n"]),
        ("Three", ["d = 4\n"]),
    ]


@pytest.mark.parametrize("section", SECTIONS, ids=[section.title for section in SECTIONS])
def test_snippets_run(section: Section, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": "__readme__"}
    for block in section.blocks:
        code = compile(block.source, f"README.md:{block.line}", "exec")
        exec(code, namespace)
