"""Modules synthesized before, found by their input digest instead of starting node again.

A module's files (its `cdk.tf.json` and its stack template) follow from its node's input
digest alone: the fingerprint of the builders' code, the cdktn version, the module's name,
its shape and the platform's facts (`compiler.emit.stacks.prepare`). A compile into a new
output folder (a fresh clone, another worktree, `paybill plan` compiling the base, a test's
repository) needs the modules some earlier compile of the same user already synthesized:
it reads them here, one file per digest, and starts no node for them.

    $PAYBILL_MODULE_CACHE      the folder; `off` (or empty) turns the cache off
    $XDG_CACHE_HOME/paybill/modules, else ~/.cache/paybill/modules

An entry records the SHA-256 of the files it holds and the digest it is for; one that does
not match, cannot be read or is of another format is ignored (the module is synthesized
and the entry written again). Everything read here still passes the checks a synthesized
module passes (its provider's schema, the template's placeholders), and lands in
generated/, where it is reviewed. Writing is best effort: a read-only or full disk only
means the next compile synthesizes again.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import orjson

CACHE_VARIABLE = "PAYBILL_MODULE_CACHE"
_VERSION = 1


@dataclass(frozen=True)
class CachedModule:
    module: bytes  # the module's cdk.tf.json
    template: bytes  # its stack template


def folder() -> Path | None:
    """Where the cache is, or None when it is turned off."""
    named = os.environ.get(CACHE_VARIABLE)
    if named is not None:
        return Path(named) if named.strip() and named != "off" else None
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "paybill" / "modules"


def _entry(root: Path, digest: str) -> Path | None:
    if len(digest) < 8 or not all(c in "0123456789abcdef" for c in digest):
        return None  # a digest is hex: anything else never names a file
    return root / digest[:2] / f"{digest}.json"


def load(digest: str) -> CachedModule | None:
    """The module of this input digest, if an intact entry holds it."""
    root = folder()
    entry = _entry(root, digest) if root is not None else None
    if entry is None:
        return None
    try:
        data = orjson.loads(entry.read_bytes())
        if data.get("version") != _VERSION or data.get("digest") != digest:
            return None
        found = CachedModule(data["module"].encode(), data["template"].encode())
        if data.get("sha256") != [_sha(found.module), _sha(found.template)]:
            return None
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    return found


def save(digest: str, built: CachedModule) -> None:
    """Keep the module of this digest for later compiles (atomically; best effort)."""
    root = folder()
    entry = _entry(root, digest) if root is not None else None
    if entry is None:
        return
    with contextlib.suppress(OSError, UnicodeDecodeError):
        body = orjson.dumps(
            {
                "version": _VERSION,
                "digest": digest,
                "sha256": [_sha(built.module), _sha(built.template)],
                "module": built.module.decode(),
                "template": built.template.decode(),
            }
        )
        entry.parent.mkdir(parents=True, exist_ok=True)
        handle, scratch = tempfile.mkstemp(prefix=".entry-", dir=entry.parent)
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(body)
            os.replace(scratch, entry)
        except OSError:
            Path(scratch).unlink(missing_ok=True)
            raise


def _sha(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()
