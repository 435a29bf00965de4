"""A node's releases: downloaded ahead of time, checked against the elected SHA-256, unpacked.

As the IC's orchestrator does (`rs/orchestrator/src/upgrade.rs`
`prepare_upgrade_if_scheduled`, the image upgrader of
`rs/orchestrator/src/image_upgrader.rs`): the URLs of the version record are
rotated per node (the XOR of the node id's bytes picks the first, spreading
the load), each is tried with a timeout, an archive already on disk with the
right hash is reused, and an archive whose hash is not the elected one is
never kept, unpacked or run. A release is kept under its hash:

```
<node dir>/releases/<sha256>.tar.gz   the verified archive
<node dir>/releases/<sha256>/         its unpacked code (made whole, then renamed into place)
```
"""

from __future__ import annotations

import compileall
import os
import shutil
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import reduce
from pathlib import Path
from typing import Final

from replica.release.archive import compute_sha256_hex, unpack_archive
from replica.release.errors import (
    ReleaseDownloadFailed,
    ReleaseError,
    ReleaseHashMismatch,
)

DOWNLOAD_TIMEOUT_S: Final = 60.0
"""Per URL, as the IC's downloader (`rs/orchestrator/src/image_upgrader.rs`)."""
MAX_ARCHIVE_BYTES: Final = 512 * 1024 * 1024

Fetcher = Callable[[str, float], bytes]


def fetch_url(url: str, timeout_s: float) -> bytes:
    """The body at an http(s) or file:// URL."""
    with urllib.request.urlopen(url, timeout=timeout_s) as response:
        data: bytes = response.read(MAX_ARCHIVE_BYTES + 1)
    if len(data) > MAX_ARCHIVE_BYTES:
        raise ReleaseDownloadFailed(f"{url} is larger than {MAX_ARCHIVE_BYTES} bytes")
    return data


def rotate_urls(urls: Sequence[str], node_id: bytes) -> list[str]:
    """The URLs in the order this node tries them: rotated left by the XOR of its id's bytes."""
    if not urls:
        return []
    offset = reduce(lambda x, y: x ^ y, node_id, 0) % len(urls)
    return [*urls[offset:], *urls[:offset]]


@dataclass(frozen=True, slots=True, kw_only=True)
class PreparedRelease:
    version_id: str
    sha256_hex: str
    code_dir: Path
    source: str
    """The URL it came from, or "cache" when the node had it already."""


class ReleaseCache:
    """The releases of one node, in `directory` (usually `<node dir>/releases`)."""

    def __init__(
        self,
        directory: Path,
        *,
        fetch: Fetcher = fetch_url,
        timeout_s: float = DOWNLOAD_TIMEOUT_S,
    ) -> None:
        self.directory = directory
        self.fetch = fetch
        self.timeout_s = timeout_s

    def archive_path(self, sha256_hex: str) -> Path:
        return self.directory / f"{sha256_hex}.tar.gz"

    def code_dir(self, sha256_hex: str) -> Path:
        return self.directory / sha256_hex

    def is_prepared(self, sha256_hex: str) -> bool:
        return self.code_dir(sha256_hex).is_dir()

    def prepare(
        self,
        version_id: str,
        sha256_hex: str,
        urls: Sequence[str],
        *,
        node_id: bytes = b"",
    ) -> PreparedRelease:
        """Download (unless held), verify and unpack the release; its code directory.

        Raises `ReleaseHashMismatch` when every archive found had another hash,
        `ReleaseDownloadFailed` when no URL answered, `ReleaseArchiveInvalid` when the
        verified archive does not unpack as a release.
        """
        sha256_hex = sha256_hex.lower()
        if self.is_prepared(sha256_hex):
            return PreparedRelease(
                version_id=version_id,
                sha256_hex=sha256_hex,
                code_dir=self.code_dir(sha256_hex),
                source="cache",
            )
        data, source = self._get_verified_archive(sha256_hex, urls, node_id)
        self._unpack(sha256_hex, data)
        return PreparedRelease(
            version_id=version_id,
            sha256_hex=sha256_hex,
            code_dir=self.code_dir(sha256_hex),
            source=source,
        )

    def _get_verified_archive(
        self, sha256_hex: str, urls: Sequence[str], node_id: bytes
    ) -> tuple[bytes, str]:
        held = self.archive_path(sha256_hex)
        if held.is_file():
            data = held.read_bytes()
            if compute_sha256_hex(data) == sha256_hex:
                return data, "cache"
            held.unlink()  # damaged on disk: fetched again
        failures: list[ReleaseError] = []
        for url in rotate_urls(urls, node_id):
            try:
                data = self.fetch(url, self.timeout_s)
            except (OSError, ValueError, ReleaseError) as error:
                failures.append(ReleaseDownloadFailed(f"{url}: {error}"))
                continue
            actual = compute_sha256_hex(data)
            if actual != sha256_hex:
                failures.append(
                    ReleaseHashMismatch(
                        expected_sha256_hex=sha256_hex, actual_sha256_hex=actual, source=url
                    )
                )
                continue
            self._store(held, data)
            return data, url
        mismatches = [f for f in failures if isinstance(f, ReleaseHashMismatch)]
        if mismatches:
            raise mismatches[0]
        if not failures:
            raise ReleaseDownloadFailed("the release names no URL")
        raise ReleaseDownloadFailed("; ".join(str(f) for f in failures))

    def _store(self, path: Path, data: bytes) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        temporary.write_bytes(data)
        temporary.replace(path)

    def _unpack(self, sha256_hex: str, data: bytes) -> None:
        target = self.code_dir(sha256_hex)
        staging = self.directory / f".{sha256_hex}.{os.getpid()}.unpacking"
        shutil.rmtree(staging, ignore_errors=True)
        try:
            unpack_archive(data, staging)
            # Compiled now, ahead of time, so the switch at the CUP does not wait for it.
            compileall.compile_dir(staging, ddir=str(target), quiet=2, workers=1)
            if target.is_dir():
                return  # another process unpacked it meanwhile
            staging.rename(target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
