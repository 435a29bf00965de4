"""Fetching a release ahead of time: verified against the elected hash, or refused and never run.

The rules follow the IC's orchestrator (`rs/orchestrator/src/upgrade.rs`,
`rs/orchestrator/src/image_upgrader.rs`): URLs rotated per node, an archive
on disk with the right hash reused, a wrong hash never kept.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from registry.records import ReplicaVersionRecord
from replica.release.archive import build_archive
from replica.release.errors import ReleaseDownloadFailed, ReleaseHashMismatch
from replica.release.fetch import ReleaseCache, rotate_urls
from replica.release.launch import make_replica_launch
from replica.release.node import NodeReleases, ReleaseNotPrepared
from replica.release.server import ReleaseServer, publish
from tests.replica.release.test_archive import make_tree


def test_urls_are_rotated_by_the_xor_of_the_node_id() -> None:
    urls = ["a", "b", "c"]
    assert rotate_urls(urls, b"") == urls
    assert rotate_urls(urls, bytes([1])) == ["b", "c", "a"]
    assert rotate_urls(urls, bytes([3, 1])) == ["c", "a", "b"]  # 3 ^ 1 = 2
    assert rotate_urls([], b"\x07") == []


def test_a_release_is_downloaded_verified_unpacked_and_then_reused(tmp_path: Path) -> None:
    archive = build_archive(make_tree(tmp_path / "tree"))
    calls: list[str] = []

    def fetch(url: str, timeout_s: float) -> bytes:
        calls.append(url)
        return archive.data

    cache = ReleaseCache(tmp_path / "releases", fetch=fetch)
    prepared = cache.prepare("0.2.0", archive.sha256_hex, ["http://x/a.tar.gz"])
    assert prepared.source == "http://x/a.tar.gz" and calls == ["http://x/a.tar.gz"]
    assert (prepared.code_dir / "replica" / "live" / "__main__.py").read_text() == (
        "MARKER = 'one'\n"
    )
    again = cache.prepare("0.2.0", archive.sha256_hex, ["http://x/a.tar.gz"])
    assert again.source == "cache" and len(calls) == 1


def test_a_tampered_archive_is_refused_and_nothing_is_kept(tmp_path: Path) -> None:
    archive = build_archive(make_tree(tmp_path / "tree"))
    other = build_archive(make_tree(tmp_path / "other", marker="evil"))
    cache = ReleaseCache(tmp_path / "releases", fetch=lambda url, timeout: other.data)
    with pytest.raises(ReleaseHashMismatch) as refused:
        cache.prepare("0.2.0", archive.sha256_hex, ["http://x/a.tar.gz"])
    assert refused.value.actual_sha256_hex == other.sha256_hex
    assert not cache.is_prepared(archive.sha256_hex)
    assert not cache.archive_path(archive.sha256_hex).exists()
    assert not cache.directory.exists() or not any(cache.directory.iterdir())


def test_the_next_url_is_tried_when_one_fails_or_serves_another_archive(tmp_path: Path) -> None:
    archive = build_archive(make_tree(tmp_path / "tree"))
    other = build_archive(make_tree(tmp_path / "other", marker="evil"))

    def fetch(url: str, timeout_s: float) -> bytes:
        if url == "http://down":
            raise OSError("connection refused")
        return other.data if url == "http://evil" else archive.data

    cache = ReleaseCache(tmp_path / "releases", fetch=fetch)
    prepared = cache.prepare(
        "0.2.0", archive.sha256_hex, ["http://down", "http://evil", "http://good"]
    )
    assert prepared.source == "http://good"
    with pytest.raises(ReleaseDownloadFailed, match="connection refused"):
        ReleaseCache(tmp_path / "r2", fetch=fetch).prepare("v", "ab" * 32, ["http://down"])


def test_a_damaged_archive_on_disk_is_fetched_again(tmp_path: Path) -> None:
    archive = build_archive(make_tree(tmp_path / "tree"))
    cache = ReleaseCache(tmp_path / "releases", fetch=lambda url, timeout: archive.data)
    cache.directory.mkdir()
    cache.archive_path(archive.sha256_hex).write_bytes(b"damaged")
    assert cache.prepare("v", archive.sha256_hex, ["http://x"]).source == "http://x"


def test_the_release_server_and_file_urls_serve_archives(tmp_path: Path) -> None:
    archive = build_archive(make_tree(tmp_path / "tree"))
    path = publish(archive, tmp_path / "served")
    with ReleaseServer(tmp_path / "served") as server:
        cache = ReleaseCache(tmp_path / "releases")
        assert cache.prepare("v", archive.sha256_hex, [server.url_of(archive)]).source.startswith(
            "http://127.0.0.1:"
        )
        with pytest.raises(ReleaseDownloadFailed, match="404"):
            ReleaseCache(tmp_path / "r2").prepare("v", archive.sha256_hex, [f"{server.url}/nope"])
    from_file = ReleaseCache(tmp_path / "r3").prepare("v", archive.sha256_hex, [path.as_uri()])
    assert from_file.source == path.as_uri()


class Records:
    def __init__(self, records: dict[str, ReplicaVersionRecord]) -> None:
        self.records = records

    def get_replica_version_record(
        self, version_id: str, version: int | None = None
    ) -> ReplicaVersionRecord | None:
        return self.records.get(version_id)


def test_a_node_runs_the_installed_version_from_its_tree_and_others_only_once_verified(
    tmp_path: Path,
) -> None:
    archive = build_archive(make_tree(tmp_path / "tree"))
    node_dir = tmp_path / "node"
    releases = NodeReleases(
        node_dir, node_id=b"\x01", installed_version="0.1.0", fetch=lambda u, t: archive.data
    )
    installed = releases.launch("0.1.0")
    assert "-P" not in installed.argv and installed.argv[-2:] == ("--replica-version", "0.1.0")
    with pytest.raises(ReleaseNotPrepared):
        releases.launch("0.2.0")
    records = Records(
        {
            "0.2.0": ReplicaVersionRecord(
                release_package_sha256_hex=archive.sha256_hex,
                release_package_urls=("http://x/a",),
            ),
            "0.3.0": ReplicaVersionRecord(
                release_package_sha256_hex="ab" * 32, release_package_urls=("http://x/b",)
            ),
        }
    )
    assert releases.prepare(records, "0.1.0") is None
    prepared = releases.prepare(records, "0.2.0")
    assert prepared is not None
    launch = releases.launch("0.2.0")
    assert launch.code_dir == prepared.code_dir and launch.env["PYTHONPATH"] == str(
        prepared.code_dir
    )
    with pytest.raises(ReleaseHashMismatch):
        releases.prepare(records, "0.3.0")
    with pytest.raises(ReleaseNotPrepared):
        releases.launch("0.3.0")
    # The installed version is the first one the node was given, across restarts.
    again = NodeReleases(node_dir, node_id=b"\x01", installed_version="0.2.0")
    assert again.installed.version_id == "0.1.0"


def test_a_launched_release_imports_only_its_own_code(tmp_path: Path) -> None:
    archive = build_archive(make_tree(tmp_path / "tree", marker="from the release"))
    prepared = ReleaseCache(tmp_path / "releases", fetch=lambda u, t: archive.data).prepare(
        "v", archive.sha256_hex, ["http://x"]
    )
    launch = make_replica_launch(tmp_path / "node", replica_version="v", code_dir=prepared.code_dir)
    probe = "import replica.live.__main__ as m, registry; print(m.MARKER, registry.__file__)"
    # The probe runs from the working tree's directory: -P keeps it off the module path.
    result = subprocess.run(
        [launch.argv[0], "-P", "-c", probe],
        env=dict(launch.env),
        cwd=Path(__file__).resolve().parents[3],
        capture_output=True,
        text=True,
        check=True,
    )
    marker, registry_file = result.stdout.strip().rsplit(" ", 1)
    assert marker == "from the release"
    assert Path(registry_file).is_relative_to(prepared.code_dir)


def test_the_preparer_fetches_on_a_worker_and_retries_a_refused_version_later(
    tmp_path: Path,
) -> None:
    from replica.release.upgrade import ReleasePreparer

    good = build_archive(make_tree(tmp_path / "tree"))
    served = {"data": b"tampered"}
    now = [0.0]
    releases = NodeReleases(
        tmp_path / "node",
        node_id=b"",
        installed_version="0.1.0",
        fetch=lambda url, timeout: served["data"],
    )
    preparer = ReleasePreparer(releases, clock=lambda: now[0], retry_s=5.0)
    record = ReplicaVersionRecord(
        release_package_sha256_hex=good.sha256_hex, release_package_urls=("http://x/a",)
    )
    try:
        assert preparer.get_preparation("0.1.0", None).state == "ready"
        assert preparer.get_preparation("0.2.0", None).state == "refused"
        assert preparer.get_preparation("0.2.0", record).state == "pending"
        preparer.wait("0.2.0", 10)
        refused = preparer.get_preparation("0.2.0", record)
        assert refused.state == "refused" and "ReleaseHashMismatch" in refused.why
        served["data"] = good.data  # the server is fixed; the node tries again after 5 s
        assert preparer.get_preparation("0.2.0", record).state == "refused"
        with pytest.raises(ReleaseNotPrepared):
            releases.launch("0.2.0")
        now[0] = 6.0
        assert preparer.get_preparation("0.2.0", record).state == "pending"
        preparer.wait("0.2.0", 10)
        assert preparer.get_preparation("0.2.0", record).state == "ready"
        assert releases.launch("0.2.0").code_dir == releases.cache.code_dir(good.sha256_hex)
    finally:
        preparer.close()
