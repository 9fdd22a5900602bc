"""The `paybill` command: parse arguments, run one command, map errors to exit codes.

Exit codes: 0 success, 1 spec errors (or a check that found differences), 2 usage,
3 environment (a binary or database missing or unreachable, a file or folder that cannot be
read or written). User mistakes never print a traceback; anything else is a bug and does.

A reader that stops reading (`paybill graph | head -1`) is not an error: the command finishes
its work, the rest of its output is discarded, and the exit code is the command's own.
"""

from __future__ import annotations

import argparse
import errno
import gc
import io
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, NoReturn, TextIO, cast

from compiler import __version__
from compiler.commands import COMMANDS, Command
from compiler.errors import PaybillError, SpecError, UsageError, escape

if TYPE_CHECKING:
    _SubParsers = argparse._SubParsersAction[argparse.ArgumentParser]
else:
    _SubParsers = argparse._SubParsersAction

USAGE = 2


class Parser(argparse.ArgumentParser):
    """argparse's parser, with the usage exit code of the command being parsed: commands
    whose exit code 2 means "changes" or "drift" (`plan`, `drift`, `sql drift`) set
    `usage_exit=1` in their defaults, so a mistyped flag never reads as a change in CI."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(self.get_default("usage_exit") or USAGE, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="paybill",
        description=(
            "Compile a multi-tenant platform's typed YAML into Terraform stacks, SQL grants "
            "and agent ACLs."
        ),
        epilog="Exit codes: 0 ok, 1 spec errors or differences, 2 usage, 3 environment.",
    )
    parser.add_argument("--version", action="version", version=f"paybill {__version__}")
    commands = cast(
        "_Commands",
        parser.add_subparsers(dest="command", metavar="COMMAND", action=_Commands),
    )
    commands.required = True
    for command in COMMANDS:
        commands.add_command(command)
    return parser


class _Commands(_SubParsers):
    """The commands, each listed with its help line; a command's module is imported, and
    its arguments added, only when the command is chosen (`compiler.commands`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._unconfigured: dict[str, Command] = {}

    def add_command(self, command: Command) -> None:
        self.add_parser(command.name, help=command.help)
        self._unconfigured[command.name] = command

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        name = values[0]
        command = self._unconfigured.pop(name, None)
        if command is not None:
            command.configure(self.choices[name])
        super().__call__(parser, namespace, values, option_string)


def main(argv: Sequence[str] | None = None) -> int:
    with _reader_may_leave():
        parser = build_parser()
        args, extra = parser.parse_known_args(argv)
        if extra:
            parser.print_usage(sys.stderr)
            parser.exit(
                getattr(args, "usage_exit", USAGE),
                f"paybill: error: unrecognized arguments: {' '.join(extra)}\n",
            )
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    # What is alive now (modules, pydantic validators) lives as long as the process: frozen,
    # the cyclic collector stops walking it again and again while a large spec is read.
    # Commands that only read and check a spec (`collect_cycles=False`) build no reference
    # cycles worth collecting, and their memory is bounded by the limits on input: for them
    # the collector is off, which saves a third of validating a large fleet.
    gc.freeze()
    collecting = gc.isenabled()
    if not getattr(args, "collect_cycles", True):
        gc.disable()
    try:
        code: int = args.run(args)
    except SpecError as error:
        print(error.render(), file=sys.stderr)
        return error.exit_code
    except PaybillError as error:
        # Line by line: some messages have lines of their own (the statement that failed).
        shown = "\n".join(escape(line) for line in str(error).split("\n"))
        print(f"paybill: {shown}", file=sys.stderr)
        if isinstance(error, UsageError):
            return int(getattr(args, "usage_exit", error.exit_code))
        return error.exit_code
    except OSError as error:
        # File-system trouble the command did not expect (a folder that vanished, a full
        # disk): an environment problem, said in words, not a traceback.
        print(f"paybill: {file_system_problem(error)}", file=sys.stderr)
        return ENVIRONMENT
    except KeyboardInterrupt:
        return 130
    finally:
        if collecting:
            gc.enable()
        gc.unfreeze()
    return code


ENVIRONMENT = 3


def file_system_problem(error: OSError) -> str:
    """`cannot use 'generated/x': No space left on device (free some space ...)`."""
    where = f" '{escape(os.fsdecode(error.filename))}'" if error.filename is not None else ""
    reason = error.strerror or str(error)
    return f"cannot use{where}: {reason} ({_ADVICE.get(error.errno or 0, _DEFAULT_ADVICE)})"


_DEFAULT_ADVICE = "check that the path exists and that you may read and write it"
_PERMISSIONS = "check the permissions of the file and of the folders above it"
_ADVICE = {
    errno.EACCES: _PERMISSIONS,
    errno.EPERM: _PERMISSIONS,
    errno.ENOSPC: "free some space on that file system and run the command again",
    errno.EROFS: "the file system is read-only; choose a writable folder",
    errno.ENOTDIR: "a part of the path is a file, not a folder; choose another path",
    errno.EISDIR: "the path is a folder, not a file; choose another path",
}


class _QuietStream(io.TextIOWrapper):
    """A standard stream that, once its reader has gone (EPIPE), discards what is written.

    Raising BrokenPipeError out of a `print` would end the command halfway, possibly after
    its work was done (`sql apply | head`), and lose its exit code.
    """

    def write(self, text: str) -> int:
        try:
            return super().write(text)
        except BrokenPipeError:
            self._discard()
            return len(text)

    def flush(self) -> None:
        try:
            super().flush()
        except BrokenPipeError:
            self._discard()
            super().flush()

    def _discard(self) -> None:
        """Point the stream's descriptor at the null device; what is buffered goes there."""
        null = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(null, self.fileno())
        finally:
            os.close(null)


@contextmanager
def _reader_may_leave() -> Iterator[None]:
    """Replace the process's own stdout and stderr (not ones a caller swapped in) by quiet
    ones for the duration of the command."""
    saved = (sys.stdout, sys.stderr)
    sys.stdout = _quiet(sys.stdout, sys.__stdout__)
    sys.stderr = _quiet(sys.stderr, sys.__stderr__)
    try:
        yield
    finally:
        for stream in (sys.stdout, sys.stderr):
            if isinstance(stream, _QuietStream):
                stream.flush()
                stream.detach()
        sys.stdout, sys.stderr = saved


def _quiet(stream: TextIO, original: TextIO | None) -> TextIO:
    if stream is not original or original is None:
        return stream
    try:
        descriptor = stream.fileno()
    except (OSError, ValueError):
        return stream
    stream.flush()
    raw = io.FileIO(descriptor, "w", closefd=False)
    buffered = io.BufferedWriter(raw)
    return _QuietStream(
        buffered,
        encoding=stream.encoding,
        errors=stream.errors,
        newline="\n",
        line_buffering=bool(stream.line_buffering),
        write_through=stream is sys.__stderr__,
    )


if __name__ == "__main__":
    sys.exit(main())
