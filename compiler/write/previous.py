"""The output folder as the last compile left it: its records, what they say was written,
and which nodes' files may be taken again as they are.

Git may have left conflict markers in records (two branches changed the same node), a hand
may have damaged one, and an older compiler wrote one manifest listing everything
(`paybill.dev/manifest/v1`). None of these stop a compile: the node is built again, and the
paths a damaged record still names are taken as written by the compiler (the writer may
replace or remove them). Paths are only ever taken when they stay inside the output folders.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from compiler.emit.artifact import Recorded
from compiler.errors import EnvironmentProblem, Location
from compiler.homes import default_stack
from compiler.records import (
    LEGACY_MANIFEST_VERSION,
    MANIFEST_PATH,
    NodeRecord,
    RecordError,
    has_conflict_markers,
    parse_manifest,
    parse_record,
    record_files,
    safe_path,
    salvage_paths,
    trusted_record,
)
from compiler.resolve import Baseline
from compiler.write.cache import Cache
from compiler.write.disk import Disk


@dataclass
class Previous:
    folder: Path
    records: dict[str, NodeRecord] = field(default_factory=dict)
    written: set[str] = field(default_factory=set)  # every path a previous compile wrote
    notes: list[str] = field(default_factory=list)  # what people should know, e.g. conflicts
    legacy: dict[str, Any] | None = None  # a v1 manifest's data

    def baseline(self) -> dict[str, Baseline] | None:
        """Tenants as last compiled, for the lifecycle and data-deletion checks: from the
        tenant records, else from an older layout's manifest; None when there is nothing
        to compare with."""
        out = {}
        for record in self.records.values():
            facts = record.tenant
            if record.kind != "tenant" or facts is None:
                continue
            out[record.name] = Baseline(
                state=facts.state,
                subscription=facts.subscription,
                isolation=facts.isolation if facts.dedicated_database else "pooled",
                plan=facts.plan,
                location=Location((self.folder / record.path).as_posix()),
                sql_target=facts.sql_target,
                home=facts.home,
                stack=facts.stack or default_stack(record.name),
                kept=facts.kept,
            )
        if out:
            return out
        tenants = self.legacy.get("tenants") if self.legacy is not None else None
        legacy = self._legacy_baseline(tenants) if isinstance(tenants, dict) else {}
        return legacy or None

    def _legacy_baseline(self, tenants: Mapping[str, Any]) -> dict[str, Baseline]:
        where = Location((self.folder / MANIFEST_PATH).as_posix())
        out = {}
        for name, t in tenants.items():
            if not isinstance(t, dict):
                continue
            dedicated = t.get("dedicatedDatabase", True)
            out[str(name)] = Baseline(
                state=str(t.get("state")),
                subscription=str(t.get("subscription")),
                isolation=str(t.get("isolation")) if dedicated else "pooled",
                plan=str(t.get("plan")),
                location=where,
                # The old layout names a dedicated database; a pooled tenant's pool is not in it.
                sql_target=f"tenant-{name}"
                if dedicated and t.get("isolation") != "pooled"
                else None,
            )
        return out

    def reusable(self, digests: Mapping[str, str], disk: Disk) -> dict[str, list[Recorded]]:
        """The recorded artifacts of every node whose input digest is unchanged and whose
        files on disk still have the digests its record lists (a hand-edited or missing file
        has its node built again)."""
        out: dict[str, list[Recorded]] = {}
        for node, digest in digests.items():
            record = self.records.get(node)
            if record is None or record.input_digest != digest:
                continue
            if all(disk.sha256(a.path) == a.sha256 for a in record.artifacts):
                out[node] = [
                    Recorded(
                        a.path, a.sha256, a.size, node, partial(disk.content, a.path, a.sha256)
                    )
                    for a in record.artifacts
                ]
        return out


def read_previous(
    folder: Path,
    cache: Cache | None = None,
    disk: Disk | None = None,
    *,
    only: Iterable[str] | None = None,
) -> Previous:
    """What `folder` holds. A record whose file still has the digest `cache` lists for it
    (`disk` knows the digests) is taken from the cache, every other one is read and checked,
    and kept in the cache. With `only` (record paths), just those of them that exist: a
    compile of a few tenants reads the records of the nodes it builds, not all of them."""
    previous = Previous(folder)
    if not folder.is_dir():
        return previous
    _read_manifest(previous)
    if only is None:
        paths = record_files(folder)
    else:
        paths = [p for p in only if os.path.isfile(folder / p)]
    for relative in paths:
        _read_record(previous, relative, cache, disk)
    return previous


def _read_manifest(previous: Previous) -> None:
    path = previous.folder / MANIFEST_PATH
    if not path.is_file():
        return
    shown = path.as_posix()
    content = _bytes(path)
    previous.written.add(MANIFEST_PATH)
    if has_conflict_markers(content):
        previous.notes.append(f"{shown} had git conflict markers; it is written again")
        return
    try:
        data = parse_manifest(shown, content)
    except RecordError as error:
        previous.notes.append(f"{error.path} is damaged ({error.reason}); it is written again")
        return
    if data.get("schemaVersion") == LEGACY_MANIFEST_VERSION:
        previous.legacy = data
        artifacts = data.get("artifacts")
        for entry in artifacts if isinstance(artifacts, list) else []:
            where = safe_path(entry.get("path")) if isinstance(entry, dict) else None
            if where is not None:
                previous.written.add(where)
        previous.notes.append(
            f"{shown} is from an older paybill ({LEGACY_MANIFEST_VERSION}); the output is "
            "written again in the current layout"
        )


def _read_record(previous: Previous, relative: str, cache: Cache | None, disk: Disk | None) -> None:
    previous.written.add(relative)
    record = _cached(relative, cache, disk)
    if record is None:
        path = previous.folder / relative
        content = _bytes(path)
        try:
            record = parse_record(relative, content)
        except RecordError as error:
            if has_conflict_markers(content):
                note = f"{path.as_posix()} had git conflict markers; its node is built again"
            else:
                note = f"{path.as_posix()} is damaged ({error.reason}); its node is built again"
            previous.notes.append(note)
            previous.written.update(salvage_paths(content))
            return
        if cache is not None:
            cache.put_record(relative, hashlib.sha256(content).hexdigest(), content)
    previous.records[record.node] = record
    previous.written.update(a.path for a in record.artifacts)


def _cached(relative: str, cache: Cache | None, disk: Disk | None) -> NodeRecord | None:
    """The record at `relative` as the cache kept it, when its file has not changed since."""
    if cache is None or disk is None:
        return None
    digest = disk.sha256(relative)
    data = cache.record(relative, digest) if digest is not None else None
    if data is None:
        return None
    try:
        return trusted_record(data)
    except (KeyError, TypeError, AttributeError, ValueError):
        return None  # not what this code kept: read and check the file


def _bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise EnvironmentProblem(
            f"{path} cannot be read ({exc.strerror}); check its permissions, or restore the "
            "output folder from version control"
        ) from None
