"""Where each SQL target's database is: `--dsn TARGET=DSN` (repeatable) and `PAYBILL_DSN_FILE`.

A DSN file holds `TARGET=DSN` lines (`#` starts a comment). `*=DSN` is a template for every
target not named: `{target}` in it becomes the target's name, and `{host}` the address of
the database its stack created (the stack's `database_address` output), so a database
created by the same apply can be reached without writing its address down first. A database
named by a template is created when it does not exist yet (what the sandbox's local
PostgreSQL needs); a database named explicitly must exist.

A flag wins over the file for the target it names. Passwords belong in PGPASSWORD or
~/.pgpass; when a DSN carries one, it is never printed (`compiler.sqlops.connect.mask`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from compiler.errors import UsageError

FILE_VARIABLE = "PAYBILL_DSN_FILE"
TEMPLATE = "*"
_TARGET = re.compile(r"^(\*|(pool|tenant)-[a-z0-9][a-z0-9-]*)$")
_FIELDS = re.compile(r"\{(target|host)\}")


@dataclass(frozen=True)
class Dsn:
    target: str
    dsn: str
    create: bool  # from a template: create the database when missing


@dataclass
class Dsns:
    explicit: dict[str, str] = field(default_factory=dict)
    template: str | None = None

    def __bool__(self) -> bool:
        return bool(self.explicit or self.template)

    def for_target(self, target: str, outputs: Mapping[str, str] | None = None) -> Dsn | None:
        """The target's DSN (None when none is given). `outputs` fill `{host}`."""
        if target in self.explicit:
            return Dsn(target, self.explicit[target], create=False)
        if self.template is None:
            return None
        values = {"target": target, **(outputs or {})}
        missing = sorted(set(_FIELDS.findall(self.template)) - values.keys())
        if missing:
            return None  # the address is not known yet (its stack has not been applied)
        return Dsn(target, _FIELDS.sub(lambda m: values[m.group(1)], self.template), create=True)


def _entry(text: str, where: str) -> tuple[str, str]:
    target, sep, dsn = text.partition("=")
    target, dsn = target.strip(), dsn.strip()
    if not sep or not _TARGET.match(target) or not dsn:
        raise UsageError(
            f"{where}: '{_shown(text)}' is not TARGET=DSN (TARGET is pool-<pool>, tenant-<tenant> "
            "or * for every other target)"
        )
    return target, dsn


def _shown(text: str) -> str:
    """An entry as it may be printed: anything after 'password=' is hidden."""
    return re.sub(r"(password\s*=\s*)\S+", r"\1***", text.split("=", 1)[0]) + "=…"


def load(flags: Sequence[str], environment: Mapping[str, str] | None = None) -> Dsns:
    env = os.environ if environment is None else environment
    out = Dsns()
    path = env.get(FILE_VARIABLE, "").strip()
    if path:
        file = Path(path)
        try:
            lines = file.read_text().splitlines()
        except OSError as exc:
            raise UsageError(f"{FILE_VARIABLE}={path}: cannot read it ({exc.strerror})") from None
        for number, line in enumerate(lines, 1):
            text = line.strip()
            if text and not text.startswith("#"):
                target, dsn = _entry(text, f"{path}:{number}")
                _add(out, target, dsn)
    for flag in flags:
        target, dsn = _entry(flag, "--dsn")
        _add(out, target, dsn)
    return out


def _add(dsns: Dsns, target: str, dsn: str) -> None:
    if target == TEMPLATE:
        dsns.template = dsn
    else:
        dsns.explicit[target] = dsn
