"""`icbox release`: build a release archive of the replica's code, and serve releases over HTTP."""

from __future__ import annotations

from pathlib import Path

import click

from replica.release.archive import build_archive, default_source_root
from replica.release.errors import ReleaseError
from replica.release.server import ReleaseServer, publish
from tui.cli.common import Cli, operation
from tui.ops.errors import OpsError

DEFAULT_RELEASES = Path(".icbox") / "releases"


@click.group()
def release() -> None:
    """Releases: content-addressed archives of the replica's code.

    \b
    Examples:
      icbox release build                       archive the working tree, print its sha256
      icbox release build --source ../fix --json
      icbox release serve --port 8090           serve .icbox/releases over HTTP
    """


@release.command()
@click.option(
    "--source",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=None,
    help="The tree to archive (default: the code icbox runs from).",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where to write <sha256>.tar.gz (default: .icbox/releases).",
)
@click.option(
    "--base-url",
    default=None,
    help="The release server's URL, to print the archive's download URL.",
)
@operation
def build(cli: Cli, source: Path | None, out_dir: Path | None, base_url: str | None) -> None:
    """Archive the replica's code (deterministic tar.gz) and print its SHA-256.

    The same tree always gives the same archive; its SHA-256 is what `icbox
    proposal make elect-version --sha256` elects.
    """
    root = source or default_source_root()
    try:
        archive = build_archive(root)
    except ReleaseError as error:
        raise OpsError(str(error)) from error
    path = publish(archive, out_dir or cli.directory / DEFAULT_RELEASES)
    document = {
        "sha256": archive.sha256_hex,
        "path": str(path),
        "bytes": len(archive.data),
        "files": archive.files,
        "source": str(root),
        "url": None if base_url is None else f"{base_url.rstrip('/')}/{archive.file_name}",
    }
    cli.emit(
        document,
        lambda: click.echo(
            f"{archive.sha256_hex}\n{path} ({len(archive.data)} bytes, {archive.files} files)"
            + ("" if document["url"] is None else f"\n{document['url']}")
        ),
    )


@release.command()
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="The directory of archives to serve (default: .icbox/releases).",
)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(0, 65535), default=8090, show_default=True)
@operation
def serve(cli: Cli, directory: Path | None, host: str, port: int) -> None:
    """Serve release archives over HTTP until interrupted (the URLs a version record names)."""
    try:
        server = ReleaseServer(
            directory or cli.directory / DEFAULT_RELEASES, host=host, port=port, verbose=True
        )
    except OSError as error:
        raise OpsError(f"cannot listen on {host}:{port}: {error}") from error
    cli.say(f"serving {directory or cli.directory / DEFAULT_RELEASES} at {server.url}")
    try:
        server.serve_forever()
    finally:
        server.stop()
