"""The files of a new repository, rendered for one platform, as {relative path: bytes}.

Two kinds of file: *starter* files the team edits from then on (the spec, README.md,
.gitignore, requirements.txt) and *managed* files that follow the installed paybill
(`.github/workflows/paybill-*.yml` and `schemas/`), which `paybill init --update` rewrites.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from importlib.resources import files
from importlib.resources.abc import Traversable

import jinja2

from compiler import __version__
from compiler.dsl.jsonschema import document_schemas, render
from compiler.scaffold import logins

TEMPLATE_SUFFIX = ".j2"
HIDDEN_PREFIX = "dot-"
SCHEMAS = "schemas"
WORKFLOWS = ".github/workflows"
MANAGED_PREFIXES = (f"{WORKFLOWS}/paybill-", f"{SCHEMAS}/")
NAME = re.compile(r"^[a-z][a-z0-9-]{0,38}[a-z0-9]$")
REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")
STARTER_CLOUDS = ("aws",)  # the starter spec's: one pool and its tenants, on AWS


@dataclass(frozen=True)
class Settings:
    """What differs between one platform's repository and another's."""

    name: str
    region: str
    state_bucket: str
    lock_table: str
    version: str = __version__


def root() -> Traversable:
    return files("compiler.scaffold") / "files"


def _walk(folder: Traversable, prefix: str = "") -> list[tuple[str, Traversable]]:
    out = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name == "__pycache__":
            continue
        name = (
            "." + entry.name.removeprefix(HIDDEN_PREFIX)
            if entry.name.startswith(HIDDEN_PREFIX)
            else entry.name
        )
        path = f"{prefix}{name}"
        if entry.is_dir():
            out += _walk(entry, f"{path}/")
        else:
            out.append((path, entry))
    return out


def is_managed(path: str) -> bool:
    return path.startswith(MANAGED_PREFIXES)


def render_files(
    settings: Settings | None, clouds: Iterable[str] = STARTER_CLOUDS
) -> dict[str, bytes]:
    """Every file of the new repository except `generated/` (which the compiler writes);
    without settings, the managed files only (they depend on paybill and on the clouds the
    spec uses, not on the rest of the platform). The workflows log in to `clouds` only."""
    environment = jinja2.Environment(
        undefined=jinja2.StrictUndefined, keep_trailing_newline=True, autoescape=False
    )
    context = asdict(settings) if settings is not None else {}
    out: dict[str, bytes] = {}
    for source, entry in _walk(root()):
        if settings is None and not is_managed(source):
            continue
        text = entry.read_text(encoding="utf-8")
        if source.endswith(TEMPLATE_SUFFIX):
            text = environment.from_string(text).render(context)
        elif source.startswith(f"{WORKFLOWS}/"):
            text = logins.expand(text, clouds)
        out[source.removesuffix(TEMPLATE_SUFFIX)] = text.encode()
    for name, schema in document_schemas().items():
        out[f"{SCHEMAS}/{name}"] = render(schema)
    return dict(sorted(out.items()))
