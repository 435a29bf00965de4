"""A small HTTP release server: the archives of one directory, by file name.

`icbox release serve` runs it in the foreground; tests run it on a thread. It
serves only regular files directly inside its directory (no listing, no
subdirectories), with GET and HEAD. Archives are named by their hash
(`<sha256>.tar.gz`), so the URL of an elected version never changes meaning.
"""

from __future__ import annotations

import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from replica.release.archive import ReleaseArchive


def publish(archive: ReleaseArchive, directory: Path) -> Path:
    """Put an archive in a release server's directory under its hash name."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / archive.file_name
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_bytes(archive.data)
    temporary.replace(path)
    return path


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def _file(self) -> Path | None:
        name = self.path.split("?", 1)[0].lstrip("/")
        if not name or "/" in name or name.startswith("."):
            return None
        path = self.server.directory / name
        return path if path.is_file() else None

    def _answer(self, *, body: bool) -> None:
        path = self._file()
        if path is None:
            self.send_error(HTTPStatus.NOT_FOUND)
            return
        data = path.read_bytes()
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "application/gzip")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if body:
            self.wfile.write(data)

    def do_GET(self) -> None:
        self._answer(body=True)

    def do_HEAD(self) -> None:
        self._answer(body=False)

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.verbose:
            super().log_message(format, *args)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], directory: Path, *, verbose: bool) -> None:
        self.directory = directory
        self.verbose = verbose
        super().__init__(address, _Handler)


class ReleaseServer:
    """Serves `directory` on (host, port); port 0 picks a free one (see `url`)."""

    def __init__(
        self, directory: Path, *, host: str = "127.0.0.1", port: int = 0, verbose: bool = False
    ) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self._server = _Server((host, port), directory, verbose=verbose)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def url_of(self, archive: ReleaseArchive) -> str:
        return f"{self.url}/{archive.file_name}"

    def serve_forever(self) -> None:
        self._server.serve_forever(poll_interval=0.2)

    def start(self) -> ReleaseServer:
        self._thread = threading.Thread(
            target=self.serve_forever, name="release-server", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join()

    def __enter__(self) -> ReleaseServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
