"""The emulator's own entry point: moto's server with the gaps of `compiler.sandbox.gaps`
patched, on 127.0.0.1.

    python -m compiler.sandbox.moto_server --port-file FILE [--port N]

It binds first (port 0 lets the system choose a free one, so two emulators never race for a
port), writes the bound port to FILE, then serves until SIGTERM or SIGINT. Only
`compiler.sandbox.emulator` starts it.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path
from types import FrameType

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server

from compiler.sandbox import gaps

HOST = "127.0.0.1"


def _stop(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m compiler.sandbox.moto_server")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--port-file", type=Path, required=True)
    args = parser.parse_args(argv)

    gaps.apply_all()
    app = DomainDispatcherApplication(create_backend_app)
    server = make_server(HOST, args.port, app, threaded=True, request_handler=MotoRequestHandler)
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
