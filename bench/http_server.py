"""The HTTP server: which library, and what the replica's endpoints sustain.

Each server runs in its own process; a load generator in this process keeps
`CONNECTIONS` keep-alive connections busy with one request at a time each
(raw asyncio streams, so the client costs little) for a fixed duration, and
prints requests per second:

- a tiny handler (200, two bytes) as a raw ASGI app on uvicorn with the
  httptools parser, and the same handler on aiohttp: the measurement behind
  the choice of server library (the baseline of this benchmark is aiohttp;
  the ratio is uvicorn over aiohttp);
- the replica's own endpoints on uvicorn over an in-process local subnet
  (`replica.http.local`): `GET /api/v2/status` and signed queries
  (`POST /api/v3/canister/<id>/query`, Ed25519 sender signature checked,
  reply signed by the node key), of the counter's `get` (a SQLite read) and of
  a method the canister lacks (the HTTP layer's own cost: the reject is
  signed like a reply).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Final

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _report import print_figures

CONNECTIONS: Final = 16


# -- servers (run in a child process) ---------------------------------------------------------


async def _tiny_asgi(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"text/plain"), (b"content-length", b"2")],
        }
    )
    await send({"type": "http.response.body", "body": b"ok"})


async def _serve(kind: str) -> None:
    import socket

    if kind == "aiohttp":
        from aiohttp import web

        async def handler(request: web.Request) -> web.Response:
            await request.read()
            return web.Response(body=b"ok", content_type="text/plain")

        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", handler)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        print(port, flush=True)
        await asyncio.Event().wait()
    import uvicorn

    if kind == "uvicorn":
        sock = socket.socket()
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # as replica.http.server does
        sock.bind(("127.0.0.1", 0))
        sock.listen(1024)
        print(sock.getsockname()[1], flush=True)
        config = uvicorn.Config(
            _tiny_asgi, http="httptools", lifespan="off", log_level="warning", access_log=False
        )
        await uvicorn.Server(config).serve(sockets=[sock])
        return
    from replica.http.api import HttpApi
    from replica.http.local import LocalNetwork, LocalSubnetSpec
    from replica.http.server import HttpServer
    from replica.sim.canister import COUNTER_FACTORIES, install_counter

    network = LocalNetwork(
        tempfile.mkdtemp(),
        [LocalSubnetSpec(factories=COUNTER_FACTORIES, install_genesis=install_counter)],
    )
    rounds = asyncio.create_task(network.replicas[0].run())
    server = HttpServer(HttpApi(network.replicas[0]))
    print(await server.start(), flush=True)
    await asyncio.Event().wait()
    rounds.cancel()


# -- load -------------------------------------------------------------------------------------


async def _connection(port: int, request: bytes, deadline: float, counts: list[int]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    done = 0
    while time.monotonic() < deadline:
        writer.write(request)
        head = await reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        await reader.readexactly(length)
        if not head.startswith(b"HTTP/1.1 200"):
            raise RuntimeError(head.decode(errors="replace"))
        done += 1
    counts.append(done)
    writer.close()


async def _load(port: int, request: bytes, seconds: float) -> float:
    counts: list[int] = []
    started = time.monotonic()
    deadline = started + seconds
    await asyncio.gather(
        *(_connection(port, request, deadline, counts) for _ in range(CONNECTIONS))
    )
    return sum(counts) / (time.monotonic() - started)


def _measure(kind: str, requests: list[bytes], seconds: float) -> list[float]:
    child = subprocess.Popen(
        [sys.executable, __file__, "--serve", kind],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    try:
        assert child.stdout is not None
        port = int(child.stdout.readline())
        return [asyncio.run(_load(port, request, seconds)) for request in requests]
    finally:
        child.terminate()
        child.wait(10)


def _query_request(method: str = "get") -> bytes:
    from replica.agent.identity import Ed25519Identity, sign_envelope
    from replica.candid import encode
    from replica.http.envelope import call_content
    from replica.types import Principal

    identity = Ed25519Identity.from_seed(b"\x05" * 32)
    canister = Principal.from_canister_id(0)
    content = call_content(
        "query",
        canister_id=canister,
        method_name=method,
        arg=encode([], []),
        sender=identity.principal,
        ingress_expiry_ns=time.time_ns() + 240 * 10**9,
    )
    body = sign_envelope(identity, content).to_cbor()
    return (
        f"POST /api/v3/canister/{canister}/query HTTP/1.1\r\nHost: b\r\n"
        f"Content-Type: application/cbor\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode() + body


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="a short run for CI")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(_serve(args.serve))
        return
    seconds = 0.5 if args.smoke else 5.0
    tiny = b"POST /x HTTP/1.1\r\nHost: b\r\nContent-Length: 4\r\n\r\nping"
    status = b"GET /api/v2/status HTTP/1.1\r\nHost: b\r\n\r\n"
    (uvicorn_rps,) = _measure("uvicorn", [tiny], seconds)
    (aiohttp_rps,) = _measure("aiohttp", [tiny], seconds)
    status_rps, query_rps, bare_query_rps = _measure(
        "icbox", [status, _query_request(), _query_request("no_such_method")], seconds
    )
    print_figures(
        {
            "uvicorn_httptools_tiny_rps": round(uvicorn_rps),
            "baseline_aiohttp_tiny_rps": round(aiohttp_rps),
            "ratio_uvicorn_over_aiohttp": round(uvicorn_rps / aiohttp_rps, 2),
            "status_rps": round(status_rps),
            "signed_query_rps": round(query_rps),
            "signed_query_without_canister_work_rps": round(bare_query_rps),
            "connections": CONNECTIONS,
            "seconds_per_measurement": seconds,
            "cpus": os.cpu_count(),
        },
        as_json=args.json,
    )


if __name__ == "__main__":
    main()
