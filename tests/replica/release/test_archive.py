"""Release archives: deterministic bytes, content addressing, and safe unpacking."""

from __future__ import annotations

import io
import os
import shutil
import tarfile
from pathlib import Path

import pytest

from replica.release.archive import (
    RELEASE_PACKAGES,
    build_archive,
    compute_sha256_hex,
    default_source_root,
    unpack_archive,
    verify_archive,
)
from replica.release.errors import ReleaseArchiveInvalid, ReleaseHashMismatch


def make_tree(root: Path, *, marker: str = "one") -> Path:
    for package in RELEASE_PACKAGES:
        (root / package).mkdir(parents=True)
        (root / package / "__init__.py").write_text(f'"""{package}"""\n')
    (root / "replica" / "live").mkdir()
    (root / "replica" / "live" / "__main__.py").write_text(f"MARKER = {marker!r}\n")
    return root


def test_the_same_tree_gives_the_same_bytes_whatever_the_times_and_order(tmp_path: Path) -> None:
    first = make_tree(tmp_path / "a")
    second = make_tree(tmp_path / "b")
    os.utime(second / "replica" / "__init__.py", (1, 1))
    (second / "replica" / "__pycache__").mkdir()
    (second / "replica" / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"cache")
    (second / "tui" / ".hidden").write_text("editor state")
    one, two = build_archive(first), build_archive(second)
    assert one.data == two.data and one.sha256_hex == two.sha256_hex
    assert one.sha256_hex == compute_sha256_hex(one.data) and one.files == 6


def test_one_changed_byte_changes_the_hash(tmp_path: Path) -> None:
    one = build_archive(make_tree(tmp_path / "a", marker="one"))
    two = build_archive(make_tree(tmp_path / "b", marker="two"))
    assert one.sha256_hex != two.sha256_hex


def test_entries_are_sorted_with_fixed_owners_times_and_modes(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "a")
    (root / "replica" / "live" / "__main__.py").chmod(0o755)
    archive = build_archive(root)
    with tarfile.open(fileobj=io.BytesIO(archive.data), mode="r:gz") as tar:
        members = tar.getmembers()
    names = [m.name for m in members]
    assert names == sorted(names)
    assert {(m.mtime, m.uid, m.gid, m.uname, m.gname, m.mode) for m in members} == {
        (0, 0, 0, "", "", 0o644)
    }
    assert archive.data[4:8] == b"\0\0\0\0"  # the gzip header's time


def test_the_working_tree_archives_the_same_twice_and_unpacks_to_its_files(
    tmp_path: Path,
) -> None:
    root = default_source_root()
    one, two = build_archive(root), build_archive(root)
    assert one.sha256_hex == two.sha256_hex
    assert unpack_archive(one.data, tmp_path / "code") == one.files
    unpacked = tmp_path / "code" / "replica" / "release" / "archive.py"
    assert unpacked.read_bytes() == (root / "replica" / "release" / "archive.py").read_bytes()


def test_verify_refuses_another_hash(tmp_path: Path) -> None:
    archive = build_archive(make_tree(tmp_path / "a"))
    verify_archive(archive.data, archive.sha256_hex)
    verify_archive(archive.data, archive.sha256_hex.upper())
    tampered = archive.data[:-1] + bytes([archive.data[-1] ^ 1])
    with pytest.raises(ReleaseHashMismatch) as refused:
        verify_archive(tampered, archive.sha256_hex, source="http://example/x")
    assert refused.value.expected_sha256_hex == archive.sha256_hex
    assert refused.value.actual_sha256_hex == compute_sha256_hex(tampered)


def test_a_tree_without_a_package_is_not_a_release(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "a")
    shutil.rmtree(root / "nns")
    with pytest.raises(ReleaseArchiveInvalid, match="nns"):
        build_archive(root)


def _tar_gz(entries: list[tarfile.TarInfo], content: bytes = b"x") -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for info in entries:
            tar.addfile(info, io.BytesIO(content) if info.isfile() else None)
    return buffer.getvalue()


def _file(name: str) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size = 1
    return info


@pytest.mark.parametrize("name", ["../evil.py", "/etc/evil.py", "replica/../../evil.py"])
def test_unpack_refuses_an_entry_that_escapes(tmp_path: Path, name: str) -> None:
    data = _tar_gz([_file("replica/live/__main__.py"), _file(name)])
    with pytest.raises(ReleaseArchiveInvalid, match="escapes"):
        unpack_archive(data, tmp_path / "code")
    assert not (tmp_path / "evil.py").exists()


def test_unpack_refuses_links_and_archives_without_the_entry_point(tmp_path: Path) -> None:
    link = tarfile.TarInfo("replica/live/link")
    link.type = tarfile.SYMTYPE
    link.linkname = "/etc/passwd"
    with pytest.raises(ReleaseArchiveInvalid, match="not a regular file"):
        unpack_archive(_tar_gz([_file("replica/live/__main__.py"), link]), tmp_path / "a")
    with pytest.raises(ReleaseArchiveInvalid, match=r"no replica/live/__main__\.py"):
        unpack_archive(_tar_gz([_file("replica/other.py")]), tmp_path / "b")
    with pytest.raises(ReleaseArchiveInvalid, match="not a release archive"):
        unpack_archive(b"not gzip at all", tmp_path / "c")
