"""Reading ACL files: one file, one tenant of a folder, or a whole folder.

A file is checked against the versioned JSON Schema before it is used: a runtime must not
guess what a damaged or newer file means, so anything unexpected is an `AclError` and the
caller denies. That holds for any input: every public function here raises `AclError` and
nothing else for what it cannot use (a file nested 100,000 levels deep, data of the wrong
types even with `validate=False`, a path that is no path). A tenant without a file
(deleted, or a name that does not exist) is not an error: it gets an ACL that allows
nothing and says why.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import stat
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from compiler.acl.grants import Acl, build
from compiler.acl.schema import SCHEMA_VERSION, schema_problem

# Tenant names as the spec language allows them; anything else never names a file, so a
# name taken from a request cannot reach outside the folder.
TENANT_NAME = re.compile(r"[a-z][a-z0-9-]{0,38}[a-z0-9]")


class AclError(Exception):
    """An ACL file cannot be read or is not a valid ACL of a version this runtime reads."""


# Longest piece of a foreign error message repeated in an AclError.
_LONGEST_DETAIL = 200


@contextmanager
def _fail_closed(source: object) -> Iterator[None]:
    """Whatever goes wrong inside becomes an AclError naming `source`: the caller's one
    exception to treat as deny."""
    try:
        yield
    except AclError:
        raise
    except RecursionError as exc:
        raise AclError(f"{source}: nested too deeply to be an ACL") from exc
    except Exception as exc:
        detail = str(exc)[:_LONGEST_DETAIL]
        raise AclError(
            f"{source}: not a valid {SCHEMA_VERSION} ACL ({type(exc).__name__}: {detail})"
        ) from exc


def load(path: str | os.PathLike[str], *, validate: bool = True) -> Acl:
    """One `acl/<tenant>.json`. `validate=False` skips the schema check, for files that
    were checked already (e.g. by the compile that wrote them)."""
    with _fail_closed(path):
        where = Path(path)
        try:
            data = json.loads(_read_regular(where))
        except (OSError, ValueError) as exc:
            raise AclError(f"{where}: cannot be read as JSON ({exc})") from exc
        return parse(data, str(where), validate=validate)


# Opening a named pipe for reading would wait for a writer: never block, then refuse it.
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)


def _read_regular(path: Path) -> bytes:
    """The bytes of `path` if it is a regular file (a pipe or device is refused)."""
    with open(os.open(path, _OPEN_FLAGS), "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise AclError(f"{path}: not a regular file, so not an ACL")
        return handle.read()


def parse(data: Any, source: str = "<acl>", *, validate: bool = True) -> Acl:
    """An ACL from already-decoded JSON (e.g. fetched from a config store)."""
    with _fail_closed(source):
        version = data.get("schemaVersion") if isinstance(data, dict) else None
        if version != SCHEMA_VERSION:
            shown = version if isinstance(version, str | None) else type(version).__name__
            raise AclError(
                f"{source}: schemaVersion is {shown!r}, but this runtime reads "
                f"{SCHEMA_VERSION!r} (compile the spec and the runtime with the same paybill)"
            )
        if validate:
            problem = schema_problem(data)
            if problem:
                raise AclError(f"{source}: not a valid {SCHEMA_VERSION} ACL {problem}")
        return build(data)


def load_tenant(folder: str | os.PathLike[str], tenant: str, *, validate: bool = True) -> Acl:
    """`folder/<tenant>.json`, or an ACL that allows nothing when the tenant has no file."""
    if not isinstance(tenant, str) or not TENANT_NAME.fullmatch(tenant):
        return Acl.nothing(
            _shown(tenant), f"'{_shown(tenant)}' is not a tenant name, so it allows nothing"
        )
    with _fail_closed(folder):
        root = Path(folder)
        path = root / f"{tenant}.json"
        if not path.is_file():
            return Acl.nothing(tenant, _absent(root, tenant))
        return _load_named(path, validate)


def _shown(name: object) -> str:
    """A requested tenant name as messages show it (a name that is not text by its type)."""
    return name if isinstance(name, str) else f"<{type(name).__name__}>"


class AclSet(Mapping[str, Acl]):
    """The ACLs of one folder, by tenant, each read and checked the first time it is asked
    for (a runtime serving a few tenants of a large fleet reads only theirs); `load_all`
    reads every file up front. `tenant()` never fails for a missing file: it denies."""

    def __init__(self, folder: str | os.PathLike[str], *, validate: bool = True) -> None:
        with _fail_closed(folder):
            self.folder = Path(folder)
            if not self.folder.is_dir():
                raise AclError(f"{self.folder}: no such folder of ACL files")
            self.validate = validate
            self._names = sorted(path.stem for path in self.folder.glob("*.json"))
        self._known = frozenset(self._names)
        self._acls: dict[str, Acl] = {}

    def load_all(self) -> AclSet:
        """Read every file now, so that the first decision for each tenant is as fast as
        the others and a damaged file is found at start-up."""
        for name in self._names:
            self[name]
        return self

    def tenant(self, name: str) -> Acl:
        """The tenant's ACL, or one that allows nothing when the folder has no file for it."""
        if not isinstance(name, str):
            return Acl.nothing(
                _shown(name), f"'{_shown(name)}' is not a tenant name, so it allows nothing"
            )
        acl = self._acls.get(name)
        if acl is not None:
            return acl
        if name not in self._known:
            return Acl.nothing(name, _absent(self.folder, name, self._names))
        return self[name]

    def __getitem__(self, name: str) -> Acl:
        acl = self._acls.get(name) if isinstance(name, str) else None
        if acl is None:
            if not isinstance(name, str) or name not in self._known:
                raise KeyError(name)
            acl = _load_named(self.folder / f"{name}.json", self.validate)
            self._acls[name] = acl
        return acl

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


def _load_named(path: Path, validate: bool) -> Acl:
    """A tenant's file must be about that tenant: a copied or renamed file would otherwise
    hand one tenant's grants to another."""
    acl = load(path, validate=validate)
    if acl.tenant != path.stem:
        raise AclError(f"{path}: holds the ACL of tenant '{acl.tenant}', not '{path.stem}'")
    return acl


def _absent(folder: Path, tenant: str, known: list[str] | None = None) -> str:
    names = known if known is not None else sorted(p.stem for p in folder.glob("*.json"))
    close = difflib.get_close_matches(tenant, names, n=1, cutoff=0.6)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    return (
        f"tenant '{tenant}' has no ACL in {folder.as_posix()}: deleted and unknown tenants "
        f"allow nothing{hint}"
    )
