"""One local HTTP server (127.0.0.1, a free port) that serves every fake vendor API.

Each vendor is a :class:`VendorApi`: a path prefix and a ``handle`` method from a parsed
:class:`Request` to a status and a JSON body. The server only routes; it runs in a thread of
the evaluating process, so connectors talk real HTTP to it through their own sessions.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit

#: Status and JSON body of an answer.
Answer = tuple[int, dict[str, Any]]


def records_by(frame: Any, column: str) -> dict[str, list[dict[Any, Any]]]:
    """The rows of a DataFrame as dicts, grouped by ``column`` (as text), in frame order.

    One conversion of the whole frame: a ``to_dict`` per group costs a thousand times more
    on the invoice lines of a large business.
    """
    grouped: dict[str, list[dict[Any, Any]]] = {}
    for row in frame.to_dict("records"):
        grouped.setdefault(str(row[column]), []).append(row)
    return grouped


@dataclass(frozen=True)
class Request:
    """What a fake needs from an HTTP request: path below its prefix, query, headers, form."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    form: dict[str, list[str]]

    def arg(self, name: str, default: str | None = None) -> str | None:
        """The last value of query parameter ``name``."""
        values = self.query.get(name)
        return values[-1] if values else default


class VendorApi(Protocol):
    """A fake vendor: where it lives and how it answers."""

    prefix: str

    def handle(self, request: Request) -> Answer:
        """Answer ``request`` (its path is relative to ``prefix``)."""


def bearer_ok(request: Request, token: str) -> bool:
    """Whether the request carries ``Authorization: Bearer <token>``."""
    return request.headers.get("authorization") == f"Bearer {token}"


#: How often the serving loop looks for a stop request (the standard library's: 0.5 s).
STOP_POLL_SECONDS = 0.02


class VendorServer:
    """Serves ``apis`` until :meth:`close`; use as a context manager."""

    def __init__(self, apis: Sequence[VendorApi]) -> None:
        self.apis = sorted(apis, key=lambda api: len(api.prefix), reverse=True)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(STOP_POLL_SECONDS,), daemon=True
        )

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> VendorServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop serving and free the port (idempotent)."""
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join()
        self._server.server_close()

    def answer(self, method: str, raw_path: str, headers: dict[str, str], body: bytes) -> Answer:
        """Route one request to the API whose prefix matches; 404 when none does."""
        parts = urlsplit(raw_path)
        for api in self.apis:
            if parts.path.startswith(api.prefix):
                form = parse_qs(body.decode()) if body else {}
                request = Request(
                    method=method,
                    path=parts.path[len(api.prefix) :] or "/",
                    query=parse_qs(parts.query),
                    headers={k.lower(): v for k, v in headers.items()},
                    form=form,
                )
                return api.handle(request)
        return 404, {"error": f"no fake API serves {parts.path}"}

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                try:
                    status, payload = server.answer(
                        self.command, self.path, dict(self.headers.items()), body
                    )
                except Exception as exc:  # a fake's bug must surface as a 500, not a hang
                    status, payload = 500, {"error": f"{type(exc).__name__}: {exc}"}
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            # The stdlib dispatches on these exact names.
            do_GET = _serve  # noqa: N815
            do_POST = _serve  # noqa: N815

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet: one line per request would drown the evaluation's output."""

        return Handler
