"""A release archive: the project's packages as a deterministic tar.gz, named by its SHA-256.

The archive holds every regular file under the release packages of a source
tree (caches and hidden files left out), in sorted order, each with time 0,
owner 0 and mode 0644, compressed with a gzip header of time 0 and no name.
The same tree therefore always gives the same bytes, and the SHA-256 of those
bytes is the release's identity: what ReviseElectedGuestosVersions elects as
`release_package_sha256_hex` (`rs/registry/canister/src/mutations/
do_revise_elected_replica_versions.rs`) and what a node checks before it runs
the code (`rs/orchestrator/src/image_upgrader.rs`).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import tarfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Final

from replica.release.errors import ReleaseArchiveInvalid, ReleaseHashMismatch

RELEASE_PACKAGES: Final = ("nns", "registry", "replica", "sns", "tui")
"""What a replica process imports: the replica, the registry client, and the canisters and
genesis functions its subnets run."""
ENTRY_POINT: Final = PurePosixPath("replica/live/__main__.py")
"""Every release has it: a node runs `python -m replica.live` from the unpacked archive."""
FILE_MODE: Final = 0o644
SKIPPED_DIRECTORIES: Final = frozenset({"__pycache__", "node_modules"})
SKIPPED_SUFFIXES: Final = (".pyc", ".pyo", ".tmp")


@dataclass(frozen=True, slots=True, kw_only=True)
class ReleaseArchive:
    data: bytes
    sha256_hex: str
    files: int

    @property
    def file_name(self) -> str:
        """The name a release server gives it: its hash, so a name never changes meaning."""
        return f"{self.sha256_hex}.tar.gz"


def compute_sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def default_source_root() -> Path:
    """The tree this code runs from (the working tree, or an unpacked release)."""
    return Path(__file__).resolve().parents[2]


def iter_release_files(
    root: Path, packages: Sequence[str] = RELEASE_PACKAGES
) -> Iterator[tuple[PurePosixPath, Path]]:
    """(archive name, file) of every file a release of `root` holds, in sorted order."""
    found: list[tuple[PurePosixPath, Path]] = []
    for package in packages:
        top = root / package
        if not top.is_dir():
            raise ReleaseArchiveInvalid(f"{root} has no package {package!r}")
        for path in top.rglob("*"):
            relative = path.relative_to(root)
            if any(part in SKIPPED_DIRECTORIES or part.startswith(".") for part in relative.parts):
                continue
            if path.is_symlink() or not path.is_file() or path.name.endswith(SKIPPED_SUFFIXES):
                continue
            found.append((PurePosixPath(relative.as_posix()), path))
    found.sort(key=lambda item: str(item[0]))
    return iter(found)


def build_archive(root: Path, packages: Sequence[str] = RELEASE_PACKAGES) -> ReleaseArchive:
    """The release archive of the packages under `root`; the same tree gives the same bytes."""
    tar_bytes = io.BytesIO()
    count = 0
    with tarfile.open(fileobj=tar_bytes, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, path in iter_release_files(root, packages):
            content = path.read_bytes()
            info = tarfile.TarInfo(str(name))
            info.size = len(content)
            info.mtime = 0
            info.mode = FILE_MODE
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            tar.addfile(info, io.BytesIO(content))
            count += 1
    compressed = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=compressed, mtime=0) as out:
        out.write(tar_bytes.getvalue())
    data = compressed.getvalue()
    return ReleaseArchive(data=data, sha256_hex=compute_sha256_hex(data), files=count)


def verify_archive(data: bytes, expected_sha256_hex: str, *, source: str = "memory") -> None:
    """Raise `ReleaseHashMismatch` unless `data` hashes to the elected SHA-256."""
    actual = compute_sha256_hex(data)
    if actual != expected_sha256_hex.lower():
        raise ReleaseHashMismatch(
            expected_sha256_hex=expected_sha256_hex, actual_sha256_hex=actual, source=source
        )


def _check_member(member: tarfile.TarInfo) -> None:
    name = PurePosixPath(member.name)
    if not member.isfile():
        raise ReleaseArchiveInvalid(f"entry {member.name!r} is not a regular file")
    if name.is_absolute() or ".." in name.parts or not name.parts:
        raise ReleaseArchiveInvalid(f"entry {member.name!r} escapes the release directory")


def unpack_archive(data: bytes, destination: Path) -> int:
    """Unpack a (verified) release into `destination`; the number of files.

    Only regular files with relative names inside the directory are accepted, and the
    archive must hold the replica's entry point.
    """
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
            members = tar.getmembers()
            for member in members:
                _check_member(member)
            if not any(PurePosixPath(m.name) == ENTRY_POINT for m in members):
                raise ReleaseArchiveInvalid(f"the archive has no {ENTRY_POINT}")
            destination.mkdir(parents=True, exist_ok=True)
            tar.extractall(destination, members=members, filter="data")
    except (tarfile.TarError, OSError, EOFError) as error:
        raise ReleaseArchiveInvalid(f"not a release archive: {error}") from error
    return len(members)
