"""Running the app under uvicorn: in the foreground (the CLI) or in a thread (tests)."""

from __future__ import annotations

import socket
import sys
import threading
import time
from collections.abc import Sequence

import uvicorn
from starlette.types import ASGIApp

from busywork.errors import ConfigError
from busywork.store.db import open_store
from busywork.web.app import create_app
from config.models import AppConfig

#: How long :func:`start_in_thread` waits for the server to accept connections.
STARTUP_TIMEOUT_SECONDS = 10.0


def make_server(app: ASGIApp, host: str, port: int) -> uvicorn.Server:
    """A uvicorn server for ``app``; its access log is off (paths carry tokens)."""
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        access_log=False,
        log_config=None,
        server_header=False,
        lifespan="off",
        # Headers and bodies are small here; bigger ones are refused by the routes.
        h11_max_incomplete_event_size=16 * 1024,
        timeout_keep_alive=5,
    )
    return uvicorn.Server(config)


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port`` (port 0 picks a free one)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    return sock


def start_in_thread(app: ASGIApp, host: str = "127.0.0.1") -> tuple[uvicorn.Server, int]:
    """Serve ``app`` on a free port in a daemon thread; returns the server and its port.

    Stop it with ``server.should_exit = True``.
    """
    sock = bind(host, 0)
    port = int(sock.getsockname()[1])
    server = make_server(app, host, port)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    return server, port


def serve(configs: Sequence[AppConfig], host: str, port: int) -> None:
    """``busywork serve``: answer links and webhooks in the foreground until Ctrl-C/SIGTERM.

    Raises:
        ConfigError: the configs do not share one store.
    """
    if len({config.storage.url for config in configs}) > 1:
        raise ConfigError("all config files served together must share one storage.url")
    engine = open_store(configs[0].storage.url)
    sock = bind(host, port)
    print(
        f"answering on http://{host}:{sock.getsockname()[1]} (Ctrl-C stops)",
        file=sys.stderr,
        flush=True,
    )
    try:
        make_server(create_app(engine, configs), host, port).run(sockets=[sock])
    finally:
        sock.close()
        engine.dispose()
