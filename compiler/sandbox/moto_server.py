"""The emulator's own entry point: moto's server with the gaps of `compiler.sandbox.gaps`
patched, on 127.0.0.1.

    python -m compiler.sandbox.moto_server --port-file FILE [--port N]

moto's backends are not safe for concurrent use (its documentation says so; an apply beside
another stack's once failed on a security-group rule moto had just listed): connections are
accepted in parallel, but requests go through moto one at a time (`OneAtATime`). Each
takes milliseconds; the terraform processes calling it spend their time elsewhere.

It binds first (port 0 lets the system choose a free one, so two emulators never race for a
port), writes the bound port to FILE, then serves until SIGTERM or SIGINT. Only
`compiler.sandbox.emulator` starts it.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from types import FrameType
from typing import Any

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server

from compiler.sandbox import gaps

HOST = "127.0.0.1"


WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class OneAtATime:
    """A WSGI application that lets one request at a time through `app`, its response
    body read whole before the next one starts."""

    def __init__(self, app: WsgiApp) -> None:
        self.app = app
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        with self.lock:
            body = self.app(environ, start_response)
            try:
                return [b"".join(body)]
            finally:
                close = getattr(body, "close", None)
                if close is not None:
                    close()


def application() -> OneAtATime:
    """moto's server application, with this project's gaps patched."""
    gaps.apply_all()
    return OneAtATime(DomainDispatcherApplication(create_backend_app))


def _stop(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m compiler.sandbox.moto_server")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--port-file", type=Path, required=True)
    args = parser.parse_args(argv)

    server = make_server(
        HOST, args.port, application(), threaded=True, request_handler=MotoRequestHandler
    )
    port = int(server.server_address[1])
    # moto builds some URLs (SQS queue URLs, for one) from this.
    os.environ["MOTO_PORT"] = str(port)
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    partial = args.port_file.with_name(args.port_file.name + ".partial")
    partial.write_text(f"{port}\n")
    partial.replace(args.port_file)
    print(f"moto (paybill sandbox) serving on http://{HOST}:{port}", file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
