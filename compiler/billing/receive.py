"""`paybill billing serve`: one endpoint per BillingProvider, on Starlette (served by uvicorn).

    POST /webhooks/<provider-name>   400 bad, missing or stale signature (nothing stored),
                                     400 a verified body that is not an event of the
                                     provider, 413 over 1 MiB, 200 once stored (also for a
                                     redelivery), 404 an unknown provider, 503 inbox down
    GET  /healthz

The signature is checked on the raw bytes before anything parses them; a body is read only
up to 1 MiB. Logs name the provider, the event id and the outcome: never a secret, a
signature or a body.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from compiler.billing import times
from compiler.billing.inbox import Inbox, Stored
from compiler.billing.model import Malformed, Refused
from compiler.billing.providers.base import Provider
from compiler.billing.writer import GroupWriter

MAX_BODY = 1024 * 1024
log = logging.getLogger("paybill.billing")


class _TooLarge(Exception):
    pass


def create_app(providers: Mapping[str, Provider], inbox: Inbox) -> Starlette:
    writer: GroupWriter | None = None

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        nonlocal writer
        writer = GroupWriter(inbox)
        try:
            yield
        finally:
            writer.close()

    async def webhook(request: Request) -> JSONResponse:
        name = request.path_params["provider"]
        provider = providers.get(name)
        if provider is None:
            return _answer(404, f"no BillingProvider named '{name}'")
        try:
            body = await _body(request)
        except _TooLarge:
            log.warning("%s: refused a body over 1 MiB", name)
            return _answer(413, "the body is over 1 MiB")
        try:
            provider.verify(body, request.headers)
            notice = provider.read(body, request.headers, times.now_text())
        except Refused as exc:
            log.warning("%s: refused a delivery: %s", name, exc)
            return _answer(400, f"signature: {exc}")
        except Malformed as exc:
            log.warning("%s: a verified body that is not an event: %s", name, exc)
            return _answer(400, f"malformed: {exc}")
        assert writer is not None
        try:
            new = await writer.store(Stored(name, notice, times.now_text()))
        except Exception as exc:
            log.error("%s %s: not stored: %s", name, notice.event_id, type(exc).__name__)
            return _answer(503, "the inbox cannot store events now")
        outcome = "stored" if new else "already stored"
        log.info("%s %s %s: %s", name, notice.event_id, notice.type, outcome)
        return JSONResponse({"event": notice.event_id, "stored": new})

    async def healthz(request: Request) -> JSONResponse:
        return JSONResponse({"ok": True, "providers": sorted(providers)})

    return Starlette(
        routes=[
            Route("/webhooks/{provider}", webhook, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
        ],
        lifespan=lifespan,
    )


async def _body(request: Request) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        raise _TooLarge
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise _TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _answer(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)
