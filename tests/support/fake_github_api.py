"""A local HTTP server answering the GitHub REST API calls `paybill billing --open-pr` makes,
in their documented shapes: list a branch's open pull requests
(`GET /repos/O/R/pulls?head=O:branch&state=open`), create one (`POST /repos/O/R/pulls`),
update one (`PATCH /repos/O/R/pulls/N`). Requests without the bearer token are refused."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class FakeGitHub:
    token: str
    repository: str
    pulls: dict[int, dict[str, Any]] = field(default_factory=dict)
    calls: list[tuple[str, str]] = field(default_factory=list)
    url: str = ""

    def answer(self, method: str, path: str, body: dict[str, Any]) -> tuple[int, Any]:
        url = urlsplit(path)
        root = f"/repos/{self.repository}/pulls"
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        if url.path == root and method == "GET":
            owner, _, branch = query.get("head", "").partition(":")
            found = [
                p
                for p in self.pulls.values()
                if p["head"]["ref"] == branch
                and p["state"] == query.get("state", "open")
                and owner == self.repository.split("/")[0]
            ]
            return 200, found
        if url.path == root and method == "POST":
            number = len(self.pulls) + 1
            self.pulls[number] = {
                "number": number,
                "state": "open",
                "title": body["title"],
                "body": body["body"],
                "head": {"ref": body["head"]},
                "base": {"ref": body["base"]},
                "html_url": f"https://github.example/{self.repository}/pull/{number}",
            }
            return 201, self.pulls[number]
        if url.path.startswith(root + "/") and method == "PATCH":
            pull = self.pulls[int(url.path.rsplit("/", 1)[1])]
            pull.update({k: body[k] for k in ("title", "body") if k in body})
            return 200, pull
        return 404, {"message": "Not Found"}


@contextmanager
def serve(github: FakeGitHub) -> Iterator[FakeGitHub]:
    class Handler(BaseHTTPRequestHandler):
        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            github.calls.append((self.command, self.path))
            if self.headers.get("Authorization") != f"Bearer {github.token}":
                status, data = 401, {"message": "Bad credentials"}
            else:
                status, data = github.answer(self.command, self.path, body)
            raw = json.dumps(data).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        do_GET = do_POST = do_PATCH = _handle

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    github.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield github
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
