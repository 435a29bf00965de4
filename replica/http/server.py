"""The HTTP server: `HttpApi` as an ASGI application, served by uvicorn with httptools.

uvicorn with the httptools parser was chosen over aiohttp by measurement
(`bench/http_server.py`; the figures are in the README). The application reads a
body only up to `max_body_bytes`: a larger declared length is refused with
413 before a byte of it is read, and a chunked body is cut off at the limit.
Every request is handled on the event loop without blocking it (parsing is
bounded, see `replica.http.cbor`); an unexpected exception answers 500 and
is logged, and the server goes on.

`HttpServer` runs inside the caller's event loop (a replica process runs it
next to its other services): `await server.start()` binds (port 0 picks a
free port) and returns the port; `await server.stop()` shuts it down.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, Final

import uvicorn

from replica.http.api import HttpApi, HttpResponse, text

MAX_BODY_BYTES: Final = 5 * 1024 * 1024
CORS_PREFLIGHT_HEADERS: Final = [
    (b"access-control-allow-origin", b"*"),
    (b"access-control-allow-methods", b"GET, POST"),
    (b"access-control-allow-headers", b"authorization, accept, content-type"),
    (b"content-length", b"0"),
]
LOGGER: Final = logging.getLogger("icbox.http")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class AsgiApp:
    """The replica's endpoints as an ASGI 3 application."""

    def __init__(self, api: HttpApi, *, max_body_bytes: int = MAX_BODY_BYTES) -> None:
        self.api = api
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        headers = {bytes(name).lower(): bytes(value) for name, value in scope.get("headers", ())}
        if scope["method"] == "OPTIONS":  # a browser's CORS preflight (the IC's `cors_layer`)
            await send(
                {"type": "http.response.start", "status": 204, "headers": CORS_PREFLIGHT_HEADERS}
            )
            await send({"type": "http.response.body", "body": b""})
            return
        response = await self._respond(scope, headers, receive)
        await send(
            {
                "type": "http.response.start",
                "status": response.status,
                "headers": [
                    (b"content-type", response.content_type.encode()),
                    (b"content-length", str(len(response.body)).encode()),
                    (b"access-control-allow-origin", b"*"),
                ],
            }
        )
        await send(
            {
                "type": "http.response.body",
                "body": response.body if scope["method"] != "HEAD" else b"",
            }
        )

    async def _respond(
        self, scope: Scope, headers: dict[bytes, bytes], receive: Receive
    ) -> HttpResponse:
        declared = headers.get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_body_bytes):
            return text(413, f"Request body is larger than {self.max_body_bytes} bytes.")
        body = await self._read_body(receive)
        if body is None:
            return text(413, f"Request body is larger than {self.max_body_bytes} bytes.")
        content_type = headers.get(b"content-type")
        try:
            return await self.api.handle(
                scope["method"],
                scope["path"],
                None if content_type is None else content_type.decode("latin-1"),
                body,
            )
        except Exception as error:  # the one place that turns any bug into a 500, not a dead server
            LOGGER.exception("internal error answering %s %s", scope["method"], scope["path"])
            return text(500, f"Internal error: {type(error).__name__}")

    async def _read_body(self, receive: Receive) -> bytes | None:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return b"".join(chunks)
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    @staticmethod
    async def _lifespan(receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return


class HttpServer:
    """uvicorn serving an `HttpApi` on one TCP port, inside the running event loop."""

    def __init__(
        self,
        api: HttpApi,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        max_body_bytes: int = MAX_BODY_BYTES,
    ) -> None:
        self.app = AsgiApp(api, max_body_bytes=max_body_bytes)
        self.host = host
        self.port = port
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def start(self) -> int:
        """Bind and start serving; the bound port."""
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Accepted sockets inherit TCP_NODELAY: without it a response written in two parts
        # (head, body) waits for the client's delayed ACK, 40 ms per request.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((self.host, self.port))
        sock.listen(1024)
        sock.setblocking(False)
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            self.app,
            http="httptools",
            lifespan="off",
            # Clients reach a replica directly: no X-Forwarded-* headers to trust or rewrite.
            proxy_headers=False,
            log_level="warning",
            access_log=False,
            timeout_keep_alive=30,
            # A replica stopping (an upgrade, `icbox down`) does not wait for calls still
            # waiting on certification: their clients ask another replica or again later.
            timeout_graceful_shutdown=1,
        )
        self._server = uvicorn.Server(config)
        self._task = asyncio.get_running_loop().create_task(self._server.serve(sockets=[sock]))
        while not self._server.started:
            if self._task.done():
                self._task.result()
                raise RuntimeError("the HTTP server stopped while starting")
            await asyncio.sleep(0.01)
        return self.port

    async def stop(self) -> None:
        if self._server is None or self._task is None:
            return
        self._server.should_exit = True
        await self._task
        self._server = None
        self._task = None
