"""The app factory: every route ``busywork serve`` answers, in one place.

- ``/feedback`` and ``/unsubscribe``: the signed links in emails
  (:mod:`busywork.delivery.serve`).
- ``/hooks/{token}``: vendor webhooks and push notifications (:mod:`busywork.inbound`).
- ``/healthz``: liveness and store reachability, for load balancers and probes.
- ``/metrics``: Prometheus figures, this process's and the store's (:mod:`busywork.metrics`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from urllib.parse import parse_qsl

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from busywork.delivery.serve import MAX_BODY_BYTES, LinkHandler, page
from busywork.inbound.receiver import Receiver
from busywork.metrics import exposition
from busywork.web.body import BodyError, read_body
from config.models import AppConfig

log = logging.getLogger("busywork.serve")
Clock = Callable[[], datetime]


def create_app(
    engine: Engine,
    configs: Sequence[AppConfig],
    *,
    clock: Clock = lambda: datetime.now(UTC),
    inbound: Receiver | None = None,
) -> Starlette:
    """The ASGI app serving ``configs`` (businesses sharing the store ``engine``).

    Args:
        engine: The store.
        configs: Every business this server answers for.
        clock: Injected time, for link expiry and tests.
        inbound: The ``/hooks/{token}`` receiver; the default is built from ``engine``.
    """
    links = LinkHandler(engine, configs, clock=clock)

    async def link_route(request: Request) -> Response:
        form: dict[str, str] = {}
        if request.method == "POST":
            try:
                body = await read_body(request, MAX_BODY_BYTES)
            except BodyError as exc:
                return HTMLResponse(page("Bad request", exc.reason), status_code=exc.status)
            form = dict(parse_qsl(body.decode(errors="replace")))
        status, html = await run_in_threadpool(
            links.handle, request.method, request.url.path, dict(request.query_params), form
        )
        return HTMLResponse(html, status_code=status, headers={"cache-control": "no-store"})

    async def healthz(_request: Request) -> Response:
        try:
            await run_in_threadpool(_ping, engine)
        except sa.exc.SQLAlchemyError as exc:
            log.warning("healthz action=store_unreachable error=%s", type(exc).__name__)
            return JSONResponse({"status": "store unreachable"}, status_code=503)
        return JSONResponse({"status": "ok"})

    async def metrics(_request: Request) -> Response:
        body, content_type = await run_in_threadpool(exposition, engine)
        return Response(body, headers={"content-type": content_type})

    async def not_found(_request: Request, _exc: Exception) -> Response:
        return HTMLResponse(page("Not found", "There is nothing here."), status_code=404)

    async def not_allowed(_request: Request, _exc: Exception) -> Response:
        return HTMLResponse(page("Not allowed", "Use GET or POST."), status_code=405)

    if inbound is None:
        inbound = Receiver(engine, configs, clock=clock)
    routes = [
        Route("/feedback", link_route, methods=["GET", "POST"]),
        Route("/unsubscribe", link_route, methods=["GET", "POST"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
        Route("/hooks/{token}", inbound.endpoint, methods=["GET", "POST"]),
    ]
    return Starlette(routes=routes, exception_handlers={404: not_found, 405: not_allowed})


def _ping(engine: Engine) -> None:
    with engine.connect() as connection:
        connection.execute(sa.text("SELECT 1"))
