"""Whether a working copy is still initialised as its last `terraform init` left it.

`init` costs a provider installation check and a backend set-up (about a second of CPU, more
under load), and plan, apply and drift check the same unchanged copy out again and again. So
after a successful init a stamp is written inside `.terraform/`: a digest of everything init
reads (the configuration files, the modules they call, the provider lock file, the CLI
configuration, the backend settings file). The next init with the same digest is skipped;
any change, a missing `.terraform/` or a missing stamp means init runs again. A failed or
interrupted init leaves no stamp (it is removed before init starts).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

from compiler.terraform.modules import (
    LOCK_FILE,
    MODULES_FOLDER,
    PRIVATE_FOLDER,
    ModuleSourceError,
    module_calls,
)
from compiler.terraform.workspace import CLI_CONFIG_NAME, CONFIGURATION

STAMP = Path(".terraform") / "paybill-init.sha256"
_VERSION = b"paybill-init-stamp 1\n"
# Files at the root of a working copy that init reads (besides the private modules).
_ROOT_PATTERNS = (*CONFIGURATION, LOCK_FILE, CLI_CONFIG_NAME)


def digest(copy_path: Path, backend_config: Path | None) -> str | None:
    """What init of `copy_path` depends on, as one digest; None when it cannot be told (a
    module call that is not ours): init then always runs."""
    hashed = hashlib.sha256(_VERSION)
    try:
        for label, path in _inputs(copy_path):
            _add(hashed, label, path.read_bytes())
    except (ModuleSourceError, ValueError, OSError):
        return None
    if backend_config is not None:
        resolved = backend_config.resolve()
        _add(hashed, f"backend-config {resolved}", _read_or_missing(resolved))
    return hashed.hexdigest()


def is_current(copy_path: Path, expected: str | None) -> bool:
    """The copy was initialised with exactly these inputs, and terraform's folder is there."""
    if expected is None:
        return False
    try:
        return (copy_path / STAMP).read_text().strip() == expected
    except OSError:
        return False


def forget(copy_path: Path) -> None:
    (copy_path / STAMP).unlink(missing_ok=True)


def remember(copy_path: Path, value: str | None) -> None:
    """Stamp a copy init has just set up (only where terraform made its folder)."""
    if value is not None and (copy_path / ".terraform").is_dir():
        (copy_path / STAMP).write_text(value + "\n")


def _inputs(copy_path: Path) -> Iterator[tuple[str, Path]]:
    seen: set[Path] = set()
    for pattern in _ROOT_PATTERNS:
        seen.update(p for p in copy_path.glob(pattern) if p.is_file())
    for path in sorted(seen):
        yield path.name, path
    private = copy_path / PRIVATE_FOLDER
    for path in sorted(private.rglob("*")) if private.is_dir() else []:
        if path.is_file():
            yield f"{PRIVATE_FOLDER}/{path.relative_to(private).as_posix()}", path
    shared = copy_path.parent.parent / MODULES_FOLDER
    for module in sorted(set(module_calls(copy_path).values())):
        folder = shared / module
        if not folder.is_dir():  # read below, it fails: no stamp can be trusted
            yield f"{MODULES_FOLDER}/{module}", folder
        for path in sorted(folder.glob("*")):
            if path.is_file():
                yield f"{MODULES_FOLDER}/{module}/{path.name}", path


def _add(hashed: hashlib._Hash, label: str, content: bytes) -> None:
    name = label.encode()
    hashed.update(len(name).to_bytes(8, "big") + name + len(content).to_bytes(8, "big"))
    hashed.update(content)


def _read_or_missing(path: Path) -> bytes:
    try:
        return b"present\n" + path.read_bytes()
    except OSError:
        return b"missing\n"
