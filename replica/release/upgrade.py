"""Preparing replica versions without blocking the orchestrator, and refusing the ones that fail.

The orchestrator asks for the version its decision names (at the CUP's
registry version) and, ahead of time, for the version the latest registry
version names (the IC's `prepare_upgrade_if_scheduled`, `rs/orchestrator/src/
upgrade.rs`): downloads run on one worker thread, so the orchestrator's loop
keeps polling the registry and supervising the replica meanwhile. A version
is `ready` once its archive was verified and unpacked (or it is the installed
version), `pending` while that runs, and `refused` when it failed (a hash that
is not the elected one, no URL answering, an archive that is not a release);
a refused version is tried again after `RETRY_S`, and is never launched.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Final, Literal

from registry.records import ReplicaVersionRecord
from replica.release.errors import ReleaseError
from replica.release.fetch import PreparedRelease
from replica.release.node import NodeReleases

RETRY_S: Final = 5.0

PreparationState = Literal["ready", "pending", "refused"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Preparation:
    version_id: str | None
    state: PreparationState
    why: str
    sha256_hex: str = ""


class ReleasePreparer:
    """Prepares versions for one node on a worker thread."""

    def __init__(
        self,
        releases: NodeReleases,
        *,
        clock: Callable[[], float] = time.monotonic,
        retry_s: float = RETRY_S,
    ) -> None:
        self.releases = releases
        self.clock = clock
        self.retry_s = retry_s
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="release")
        self._lock = threading.Lock()
        self._jobs: dict[str, Future[PreparedRelease]] = {}
        self._failed_at: dict[str, float] = {}

    def get_preparation(
        self, version_id: str | None, record: ReplicaVersionRecord | None
    ) -> Preparation:
        """Where `version_id` stands; starts (or retries) its preparation when it is not ready."""
        if version_id is None or self.releases.is_installed(version_id):
            return Preparation(version_id=version_id, state="ready", why="the installed version")
        if version_id in self.releases.prepared:
            prepared = self.releases.prepared[version_id]
            return Preparation(
                version_id=version_id,
                state="ready",
                why=f"release {prepared.sha256_hex[:16]} verified and unpacked",
                sha256_hex=prepared.sha256_hex,
            )
        if record is None:
            return Preparation(
                version_id=version_id,
                state="refused",
                why=f"the registry has no record of replica version {version_id}",
            )
        with self._lock:
            job = self._jobs.get(version_id)
            if job is not None and job.done():
                error = job.exception()
                if error is None:
                    self.releases.prepared[version_id] = job.result()
                    del self._jobs[version_id]
                    return self.get_preparation(version_id, record)
                if self.clock() - self._failed_at.setdefault(version_id, self.clock()) < (
                    self.retry_s
                ):
                    return Preparation(
                        version_id=version_id,
                        state="refused",
                        why=f"{type(error).__name__}: {error}",
                        sha256_hex=record.release_package_sha256_hex,
                    )
                del self._jobs[version_id], self._failed_at[version_id]
                job = None
            if job is None:
                self._jobs[version_id] = self._pool.submit(
                    self.releases.cache.prepare,
                    version_id,
                    record.release_package_sha256_hex,
                    record.release_package_urls,
                    node_id=self.releases.node_id,
                )
        return Preparation(
            version_id=version_id,
            state="pending",
            why=f"fetching release {record.release_package_sha256_hex[:16]}",
            sha256_hex=record.release_package_sha256_hex,
        )

    def wait(self, version_id: str, timeout_s: float) -> None:
        """Block until the preparation of `version_id` ends (for tests and tools)."""
        with self._lock:
            job = self._jobs.get(version_id)
        if job is not None:
            with contextlib.suppress(ReleaseError):
                job.result(timeout=timeout_s)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
