"""The modules a stack's working copy calls: where terraform finds them.

A root stack calls its module at `../../modules/<module>`, relative to `stacks/<stack>/`, in
`generated/` as in a workspace: so a working copy `ROOT/stacks/<stack>/` finds it at
`ROOT/modules/<module>/`, written there by the checkout (shared by every stack of the
workspace that uses it, as in `generated/`). Any other source is refused: a working copy
never reads configuration from a path a stack names.

Terraform reads the provider lock file of the root folder only: a stack whose folder has
none gets its module's (`modules/<module>/.terraform.lock.hcl`), so `init` checks the
provider against the reviewed checksums.

A checkout may need a module different from the shared one: the configuration a stack was
last applied with (a teardown, a confirmed replacement), or a module with an override that
lifts a protection for this stack only. Such a module is *private*: copied into the working
copy (`paybill-modules/<module>/`) and called from there through an override file of the
root (`paybill_modules_override.tf.json`), so no other stack sees it. The next checkout
without it removes both; terraform must be initialised again after either change.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from pathlib import Path

MODULES_FOLDER = "modules"
LOCK_FILE = ".terraform.lock.hcl"
PRIVATE_FOLDER = "paybill-modules"
SOURCE_OVERRIDE = "paybill_modules_override.tf.json"
_SOURCE = re.compile(rf"^\.\./\.\./{MODULES_FOLDER}/([a-z0-9][a-z0-9-]*)$")


class ModuleSourceError(ValueError):
    """A root stack calls a module from somewhere else than `../../modules/<module>`."""


def module_calls(folder: Path) -> dict[str, str]:
    """Each `module` call of a stack folder's `*.tf.json` files: call name -> module."""
    calls: dict[str, str] = {}
    for path in sorted(folder.glob("*.tf.json")):
        if path.name.endswith("_override.tf.json"):
            continue
        calls.update(calls_of(path.as_posix(), path.read_bytes()))
    return calls


def calls_of(where: str, config: bytes) -> dict[str, str]:
    """Each `module` call of one configuration file: call name -> module."""
    document = json.loads(config)
    blocks = document.get("module", {}) if isinstance(document, dict) else {}
    calls = {}
    for call, body in sorted(blocks.items()):
        source = body.get("source") if isinstance(body, dict) else None
        found = _SOURCE.match(source) if isinstance(source, str) else None
        if found is None:
            raise ModuleSourceError(
                f"{where}: module {call} is at {source!r}; a stack's module must be at "
                f"../../{MODULES_FOLDER}/<module>"
            )
        calls[call] = found.group(1)
    return calls


def place(root: Path, copy: Path, source: Path, *, private: bool = False) -> None:
    """Put the modules the stack folder `source` calls where its working copy `copy` (under
    the workspace `root`) finds them: shared under `root/modules/`, or private when asked
    or when a module folder holds an override file."""
    calls = module_calls(source)
    folders = {name: source.parent.parent / MODULES_FOLDER / name for name in calls.values()}
    for name, folder in folders.items():
        if not (folder / "cdk.tf.json").is_file():
            raise FileNotFoundError(f"module {name} of {source.name} is not in {folder.parent}")
    private = private or any(
        p.name.endswith("_override.tf.json") for f in folders.values() for p in f.iterdir()
    )
    shutil.rmtree(copy / PRIVATE_FOLDER, ignore_errors=True)
    (copy / SOURCE_OVERRIDE).unlink(missing_ok=True)
    locks = [f / LOCK_FILE for f in folders.values() if (f / LOCK_FILE).is_file()]
    if locks and not (source / LOCK_FILE).is_file():
        shutil.copyfile(locks[0], copy / LOCK_FILE)
    if not calls:  # a root of no module (a teardown's empty configuration): nothing to place
        return
    if not private:
        for name, folder in folders.items():
            _write_shared(root / MODULES_FOLDER / name, folder)
        return
    for name, folder in folders.items():
        target = copy / PRIVATE_FOLDER / name
        target.mkdir(parents=True)
        for path in folder.glob("*.tf.json"):
            shutil.copyfile(path, target / path.name)
    sources = {call: {"source": f"./{PRIVATE_FOLDER}/{name}"} for call, name in calls.items()}
    (copy / SOURCE_OVERRIDE).write_text(json.dumps({"module": sources}, indent=2) + "\n")


def _write_shared(target: Path, folder: Path) -> None:
    """Each configuration file of `folder` into `target`, replaced at once (other checkouts
    of the same run may be reading it: they see the old bytes or the new, never half);
    stale ones removed."""
    target.mkdir(parents=True, exist_ok=True)
    incoming = {p.name: p.read_bytes() for p in folder.glob("*.tf.json")}
    for stale in target.glob("*.tf.json"):
        if stale.name not in incoming:
            stale.unlink(missing_ok=True)
    for name, content in incoming.items():
        path = target / name
        if path.is_file() and path.read_bytes() == content:
            continue
        handle, scratch = tempfile.mkstemp(dir=target, prefix=f".{name}.")
        with os.fdopen(handle, "wb") as out:
            out.write(content)
        os.replace(scratch, path)
