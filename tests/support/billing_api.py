"""A small local HTTP server serving the documented API shapes the billing sync reads, for
Stripe (`/v1/subscriptions`), Lago (`/api/v1/subscriptions`, `/api/v1/invoices`) and Orb
(`/subscriptions`, `/invoices`), from dicts a test sets; and faults on demand (HTTP errors
for the next N requests, a delay). Every request is recorded. No provider mock binary can be
reached from here, so this stands in for the providers' APIs."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class ProviderApi:
    stripe: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> subscription
    lago: dict[str, dict[str, Any]] = field(default_factory=dict)  # external_id -> subscription
    lago_invoices: list[dict[str, Any]] = field(default_factory=list)
    orb: dict[str, dict[str, Any]] = field(default_factory=dict)
    orb_invoices: list[dict[str, Any]] = field(default_factory=list)
    fail_next: int = 0  # answer this many requests with `fail_status`
    fail_status: int = 503
    delay: float = 0.0  # seconds before each answer
    requests: list[str] = field(default_factory=list)
    base: str = ""

    def answer(self, path: str, query: dict[str, list[str]]) -> tuple[int, Any]:
        route = path.rstrip("/")
        if route.startswith("/v1/subscriptions"):
            return self._listing_or_one(
                self.stripe, route, "/v1/subscriptions", _stripe_page, query
            )
        if route.startswith("/api/v1/subscriptions"):
            found = self._listing_or_one(
                self.lago, route, "/api/v1/subscriptions", _lago_page, query
            )
            if route != "/api/v1/subscriptions" and found[0] == 200:
                return 200, {"subscription": found[1]}
            return found
        if route == "/api/v1/invoices":
            customer = query.get("external_customer_id", [""])[0]
            mine = [i for i in self.lago_invoices if i.get("external_customer_id") == customer]
            return 200, {"invoices": mine, "meta": {"next_page": None}}
        if route.startswith("/subscriptions"):
            return self._listing_or_one(self.orb, route, "/subscriptions", _orb_page, query)
        if route == "/invoices":
            wanted = query.get("subscription_id", [""])[0]
            mine = [
                i for i in self.orb_invoices if (i.get("subscription") or {}).get("id") == wanted
            ]
            return 200, {
                "data": mine,
                "pagination_metadata": {"has_more": False, "next_cursor": None},
            }
        return 404, {"error": {"message": f"no route {route}"}}

    def _listing_or_one(
        self, table: dict[str, dict[str, Any]], route: str, root: str, page: Any, query: Any
    ) -> tuple[int, Any]:
        if route == root:
            return 200, page(list(table.values()), query)
        key = route[len(root) + 1 :]
        if key in table:
            return 200, table[key]
        return 404, {
            "error": {"message": f"No such subscription: '{key}'", "type": "invalid_request_error"}
        }


def _stripe_page(items: list[dict[str, Any]], query: dict[str, list[str]]) -> dict[str, Any]:
    after = query.get("starting_after", [None])[0]
    start = next((i + 1 for i, s in enumerate(items) if s["id"] == after), 0)
    limit = int(query.get("limit", ["10"])[0])
    chunk = items[start : start + limit]
    return {
        "object": "list",
        "url": "/v1/subscriptions",
        "has_more": start + limit < len(items),
        "data": chunk,
    }


def _lago_page(items: list[dict[str, Any]], query: dict[str, list[str]]) -> dict[str, Any]:
    page, per = int(query.get("page", ["1"])[0]), int(query.get("per_page", ["20"])[0])
    chunk = items[(page - 1) * per : page * per]
    following = page + 1 if page * per < len(items) else None
    return {"subscriptions": chunk, "meta": {"current_page": page, "next_page": following}}


def _orb_page(items: list[dict[str, Any]], query: dict[str, list[str]]) -> dict[str, Any]:
    start = int(query.get("cursor", ["0"])[0] or 0)
    limit = int(query.get("limit", ["20"])[0])
    more = start + limit < len(items)
    return {
        "data": items[start : start + limit],
        "pagination_metadata": {
            "has_more": more,
            "next_cursor": str(start + limit) if more else None,
        },
    }


@contextmanager
def serve(api: ProviderApi) -> Iterator[ProviderApi]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urlsplit(self.path)
            api.requests.append(self.path)
            if api.delay:
                time.sleep(api.delay)
            if api.fail_next > 0:
                api.fail_next -= 1
                status, body = api.fail_status, {"error": {"message": "unavailable"}}
            else:
                status, body = api.answer(url.path, parse_qs(url.query))
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    api.base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield api
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
