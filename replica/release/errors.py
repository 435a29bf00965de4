"""What goes wrong with a release: a typed error per failure, under one base."""

from __future__ import annotations


class ReleaseError(Exception):
    """A release could not be built, fetched, verified or unpacked."""


class ReleaseHashMismatch(ReleaseError):
    """The archive's SHA-256 is not the one the registry elected: it is never run."""

    def __init__(self, *, expected_sha256_hex: str, actual_sha256_hex: str, source: str) -> None:
        super().__init__(
            f"the archive from {source} has SHA-256 {actual_sha256_hex}, "
            f"not the elected {expected_sha256_hex}"
        )
        self.expected_sha256_hex = expected_sha256_hex
        self.actual_sha256_hex = actual_sha256_hex
        self.source = source


class ReleaseDownloadFailed(ReleaseError):
    """No URL of the release answered with an archive."""


class ReleaseArchiveInvalid(ReleaseError):
    """The archive is not a release: not a tar.gz, or an entry escapes its directory."""
