"""The `paybill` command: parse arguments, run one command, map errors to exit codes.

Exit codes: 0 success, 1 spec errors (or a check that found differences), 2 usage,
3 environment (a binary or database missing or unreachable). User mistakes never print a
traceback; anything else is a bug and does.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from compiler import __version__
from compiler.commands import COMMANDS
from compiler.errors import PaybillError, SpecError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="paybill",
        description=(
            "Compile a multi-tenant platform's typed YAML into Terraform stacks, SQL grants "
            "and agent ACLs."
        ),
        epilog="Exit codes: 0 ok, 1 spec errors or differences, 2 usage, 3 environment.",
    )
    parser.add_argument("--version", action="version", version=f"paybill {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for register in COMMANDS:
        register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.run(args)
    except SpecError as error:
        print(error.render(), file=sys.stderr)
        return error.exit_code
    except PaybillError as error:
        print(f"paybill: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        return 130
    return code


if __name__ == "__main__":
    sys.exit(main())
