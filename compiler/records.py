"""The committed output's bookkeeping: the manifest and one record per graph node.

    generated/manifest.json               what is platform-wide and stable: the format's
                                          version, the generator, where the records are
    generated/nodes/<kind>/<name>.json    one record per node: its artifacts with their
                                          digests, dependencies, wave, input digest, and
                                          for a tenant its lifecycle facts and its roles

Everything a node owns is listed in its own record and nowhere else, so two pull requests
that change different tenants change different files and git merges them.

The compile writes these (`compiler.emit.records`); the writer reads the previous ones back
to know what it wrote before, and the operate commands (`plan`, `apply`, `drift`) read them
to know what to apply and in which order. Reading is defensive: a path taken from a record
must stay inside the output folder, in one of the folders the compiler writes, or the
record is refused.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import orjson

from compiler.errors import PaybillError
from compiler.homes import (
    HOME_PATTERN,
    STACK_NAME_PATTERN,
    Confirmed,
    Home,
    KeptHome,
    default_stack,
)

MANIFEST_PATH: Final = "manifest.json"
MANIFEST_VERSION: Final = "paybill.dev/manifest/v2"
LEGACY_MANIFEST_VERSION: Final = "paybill.dev/manifest/v1"
RECORD_VERSION: Final = "paybill.dev/node/v1"
RECORDS_FOLDER: Final = "nodes"
RECORD_PATTERN: Final = f"{RECORDS_FOLDER}/<kind>/<name>.json"
# The only top-level folders the compiler writes into (besides the manifest).
OUTPUT_FOLDERS: Final = frozenset({"modules", "stacks", "sql", "acl", RECORDS_FOLDER})
CONFLICT_MARKERS = re.compile(rb"^(<{7}|={7}|>{7})( |$)", re.MULTILINE)
_NODE_ID = re.compile(r"^(module|stack|sql|tenant|acl|cedar|runtime):[a-z0-9][a-z0-9-]*$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_STACK_NAME = re.compile(STACK_NAME_PATTERN)


class RecordError(PaybillError):
    """A manifest or record that cannot be used; `reason` says why, for people."""

    exit_code = 3

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}")


def record_path(node: str) -> str:
    """`stack:tenant-acme` -> `nodes/stack/tenant-acme.json`."""
    kind, _, name = node.partition(":")
    return f"{RECORDS_FOLDER}/{kind}/{name}.json"


def safe_path(path: object) -> str | None:
    """`path` when it is a relative POSIX path inside one of the output folders (or the
    manifest), with no `.` or `..` parts, no backslash and no NUL; else None.

    Every path read back from previous output passes here before the writer reads, writes
    or deletes anything by it."""
    if not isinstance(path, str) or not path or "\\" in path or "\0" in path:
        return None
    if path == MANIFEST_PATH:
        return path
    parts = path.split("/")  # an absolute path starts with an empty part
    if len(parts) < 2 or parts[0] not in OUTPUT_FOLDERS:
        return None
    if any(part in ("", ".", "..") for part in parts):
        return None
    return path


@dataclass(frozen=True, slots=True)
class Entry:
    """One artifact as a record lists it."""

    path: str
    sha256: str
    size: int


@dataclass(frozen=True, slots=True)
class BillingFacts:
    """A billed tenant's subscription: the provider, its subscription id, the provider's time
    of the state applied, that event's id, and when the subscription entered its status. The
    plan summary says with it why a billing pull request changes the tenant."""

    provider: str
    id: str
    as_of: str | None
    event: str | None
    since: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "provider": self.provider,
            "id": self.id,
            "asOf": self.as_of,
            "event": self.event,
            "since": self.since,
        }


@dataclass(frozen=True, slots=True)
class TenantFacts:
    """What a tenant is, as the business sees it: the baseline of the next change."""

    plan: str
    isolation: str
    region: str
    pool: str | None
    state: str
    subscription: str
    dedicated_database: bool  # has (still) a database of its own
    sql_target: str | None  # where its rows live; None once deleted
    billing: BillingFacts | None = None  # written only for a billed tenant
    cloud: str | None = None  # its stack's cloud (silo) or its pool's; None in older records
    stack: str | None = None  # its stack when the spec names it; None: `tenant-<name>`
    kept: KeptHome | None = None  # a migration's old home, kept until `retireOld: true`

    @property
    def home(self) -> Home:
        """Where it lives: a change of home is a migration (compiler.homes)."""
        return Home(self.isolation, self.pool, self.cloud, self.region)


@dataclass(frozen=True, slots=True)
class Confirm:
    """What the spec confirms may be destroyed or moved, for the destructive-change guard
    (which reads only the records): a tenant's data deletion or migration, and resources of
    the node's stack (a tenant's, or a pool's) that may be deleted or replaced."""

    data_deletion: bool = False
    migration: Confirmed | None = None  # the tenant's move to another home
    destroy: tuple[str, ...] = ()  # Terraform resource addresses

    def __bool__(self) -> bool:
        return bool(self.data_deletion or self.migration or self.destroy)

    def to_json(self) -> dict[str, Any]:
        move = self.migration
        return {
            "dataDeletion": self.data_deletion,
            "migration": None if move is None else move.to_json(),
            "destroy": list(self.destroy),
        }


@dataclass(frozen=True, slots=True)
class RoleEntry:
    name: str
    kind: str  # "app" | "agent"
    tenant: str
    agent: str | None
    target: str


@dataclass(frozen=True, slots=True)
class NodeRecord:
    node: str
    kind: str
    name: str
    depends_on: tuple[str, ...]
    wave: int
    input_digest: str
    artifacts: tuple[Entry, ...]
    tenant: TenantFacts | None = None
    roles: tuple[RoleEntry, ...] = field(default=())
    confirm: Confirm | None = None

    @property
    def path(self) -> str:
        return record_path(self.node)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "schemaVersion": RECORD_VERSION,
            "id": self.node,
            "kind": self.kind,
            "name": self.name,
            "dependsOn": list(self.depends_on),
            "wave": self.wave,
            "inputDigest": self.input_digest,
            "artifacts": [
                {"path": a.path, "sha256": a.sha256, "bytes": a.size} for a in self.artifacts
            ],
        }
        if self.tenant is not None:
            t = self.tenant
            data["tenant"] = {
                "plan": t.plan,
                "isolation": t.isolation,
                "region": t.region,
                "cloud": t.cloud,
                "pool": t.pool,
                "state": t.state,
                "subscription": t.subscription,
                "dedicatedDatabase": t.dedicated_database,
                "sqlTarget": t.sql_target,
            }
            if t.billing is not None:
                data["tenant"]["billing"] = t.billing.to_json()
            if t.stack is not None:
                data["tenant"]["stack"] = t.stack
            if t.kept is not None:
                data["tenant"]["kept"] = t.kept.to_json()
            data["roles"] = [
                {
                    "name": r.name,
                    "kind": r.kind,
                    "tenant": r.tenant,
                    "agent": r.agent,
                    "target": r.target,
                }
                for r in self.roles
            ]
        if self.confirm:
            data["confirm"] = self.confirm.to_json()
        return data


def manifest_json(generator: str) -> dict[str, Any]:
    return {
        "schemaVersion": MANIFEST_VERSION,
        "generator": generator,
        "records": {
            "path": RECORD_PATTERN,
            "schemaVersion": RECORD_VERSION,
        },
    }


# -- reading ------------------------------------------------------------------------------
def has_conflict_markers(content: bytes) -> bool:
    """Whether `content` holds the lines git leaves in a file it could not merge."""
    return CONFLICT_MARKERS.search(content) is not None


def parse_manifest(path: str, content: bytes) -> dict[str, Any]:
    """A manifest's data (either version), or RecordError."""
    data = _load(path, content)
    version = data.get("schemaVersion")
    if version not in (MANIFEST_VERSION, LEGACY_MANIFEST_VERSION):
        raise RecordError(path, f"not a {MANIFEST_VERSION} manifest (schemaVersion {version!r})")
    return data


def parse_record(path: str, content: bytes) -> NodeRecord:
    """A node record, checked field by field (a record is also a list of paths the writer
    may delete, so nothing in it is trusted unchecked), or RecordError."""
    return _checked(path, _load(path, content))


def _checked(path: str, data: dict[str, Any]) -> NodeRecord:
    if data.get("schemaVersion") != RECORD_VERSION:
        raise RecordError(path, f"not a {RECORD_VERSION} record")
    node = data.get("id")
    if not isinstance(node, str) or not _NODE_ID.match(node) or record_path(node) != path:
        raise RecordError(path, f"its id {node!r} does not match the file's path")
    kind, _, name = node.partition(":")
    depends = data.get("dependsOn")
    wave = data.get("wave")
    digest = data.get("inputDigest")
    if data.get("kind") != kind or data.get("name") != name:
        raise RecordError(path, "kind and name do not match its id")
    if not isinstance(depends, list) or not all(
        isinstance(d, str) and _NODE_ID.match(d) for d in depends
    ):
        raise RecordError(path, "dependsOn is not a list of node ids")
    if not isinstance(wave, int) or isinstance(wave, bool) or wave < 0:
        raise RecordError(path, "wave is not a whole number")
    if not isinstance(digest, str) or not _SHA256.match(digest):
        raise RecordError(path, "inputDigest is not a SHA-256 digest")
    return NodeRecord(
        node=node,
        kind=kind,
        name=name,
        depends_on=tuple(depends),
        wave=wave,
        input_digest=digest,
        artifacts=_entries(path, data.get("artifacts")),
        tenant=_facts(path, data["tenant"]) if "tenant" in data else None,
        roles=_roles(path, data.get("roles", [])),
        confirm=_confirm(path, data["confirm"]) if "confirm" in data else None,
    )


def trusted_record(data: dict[str, Any]) -> NodeRecord:
    """The record of data that `parse_record` checked before (kept by the compile cache,
    tied to the digest of its file): built without the checks."""
    node: str = data["id"]
    kind, _, name = node.partition(":")
    facts, confirm = data.get("tenant"), data.get("confirm")
    move = confirm.get("migration") if confirm is not None else None
    return NodeRecord(
        node=node,
        kind=kind,
        name=name,
        depends_on=tuple(data["dependsOn"]),
        wave=data["wave"],
        input_digest=data["inputDigest"],
        artifacts=tuple(Entry(a["path"], a["sha256"], a["bytes"]) for a in data["artifacts"]),
        tenant=None
        if facts is None
        else TenantFacts(
            plan=facts["plan"],
            isolation=facts["isolation"],
            region=facts["region"],
            pool=facts.get("pool"),
            state=facts["state"],
            subscription=facts["subscription"],
            dedicated_database=facts["dedicatedDatabase"],
            sql_target=facts.get("sqlTarget"),
            billing=_trusted_billing(facts.get("billing")),
            cloud=facts.get("cloud"),
            stack=facts.get("stack"),
            kept=None if (kept := facts.get("kept")) is None else KeptHome(**kept),
        ),
        roles=tuple(
            RoleEntry(r["name"], r["kind"], r["tenant"], r.get("agent"), r["target"])
            for r in data.get("roles", [])
        ),
        confirm=None
        if confirm is None
        else Confirm(
            data_deletion=confirm["dataDeletion"],
            migration=None
            if move is None
            else Confirmed(move["from"], move["to"], move["retireOld"]),
            destroy=tuple(confirm["destroy"]),
        ),
    )


def _trusted_billing(data: dict[str, Any] | None) -> BillingFacts | None:
    if data is None:
        return None
    return BillingFacts(data["provider"], data["id"], data["asOf"], data["event"], data["since"])


def salvage_paths(content: bytes) -> list[str]:
    """The artifact paths named in a record that cannot be parsed (git left both sides of a
    conflict in it): every safe path that either side lists. The writer may replace or
    remove these files, as it wrote them."""
    found = re.findall(rb'"path":\s*"([^"\\]+)"', content)
    return sorted({p for raw in found if (p := safe_path(raw.decode(errors="replace")))})


def _load(path: str, content: bytes) -> dict[str, Any]:
    try:
        data = orjson.loads(content)
    except orjson.JSONDecodeError as exc:
        # Git's conflict markers are never valid JSON: only a file that fails to parse can
        # hold them, so only then is it searched.
        if has_conflict_markers(content):
            raise RecordError(path, "it has git conflict markers") from None
        raise RecordError(path, f"not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise RecordError(path, "not a JSON object")
    return data


def _entries(path: str, value: object) -> tuple[Entry, ...]:
    if not isinstance(value, list):
        raise RecordError(path, "artifacts is not a list")
    out = []
    for item in value:
        if not isinstance(item, dict):
            raise RecordError(path, "an artifact entry is not an object")
        where, sha, size = safe_path(item.get("path")), item.get("sha256"), item.get("bytes")
        if where is None or where == MANIFEST_PATH:
            raise RecordError(
                path, f"artifact path {item.get('path')!r} is not inside the output folders"
            )
        if not isinstance(sha, str) or not _SHA256.match(sha):
            raise RecordError(path, f"artifact {where} has no SHA-256 digest")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise RecordError(path, f"artifact {where} has no size")
        out.append(Entry(where, sha, size))
    return tuple(out)


def _text(path: str, data: dict[str, Any], key: str, optional: bool = False) -> Any:
    value = data.get(key)
    if isinstance(value, str) or (optional and value is None):
        return value
    raise RecordError(path, f"tenant.{key} is not text")


def _facts(path: str, value: object) -> TenantFacts:
    if not isinstance(value, dict):
        raise RecordError(path, "tenant is not an object")
    dedicated = value.get("dedicatedDatabase")
    if not isinstance(dedicated, bool):
        raise RecordError(path, "tenant.dedicatedDatabase is not true or false")
    return TenantFacts(
        plan=_text(path, value, "plan"),
        isolation=_text(path, value, "isolation"),
        region=_text(path, value, "region"),
        pool=_text(path, value, "pool", optional=True),
        state=_text(path, value, "state"),
        subscription=_text(path, value, "subscription"),
        dedicated_database=dedicated,
        sql_target=_text(path, value, "sqlTarget", optional=True),
        billing=_billing(path, value["billing"]) if "billing" in value else None,
        cloud=_text(path, value, "cloud", optional=True),
        stack=_stack_name(path, value.get("stack"), "tenant.stack"),
        kept=_kept(path, value["kept"]) if "kept" in value else None,
    )


def _stack_name(path: str, value: object, key: str) -> str | None:
    """A tenant's stack name as a record gives it: it names files the writer may delete and
    Terraform folders, so it must be one the spec could have written."""
    if value is None:
        return None
    if not isinstance(value, str) or not _STACK_NAME.match(value):
        raise RecordError(path, f"{key} is not a tenant stack name")
    return value


def _kept(path: str, value: object) -> KeptHome:
    if not isinstance(value, dict) or not isinstance(value.get("home"), str):
        raise RecordError(path, "tenant.kept is not an object with a home")
    if not re.match(HOME_PATTERN, value["home"]):
        raise RecordError(path, "tenant.kept.home is not a home")
    stack = _stack_name(path, value.get("stack"), "tenant.kept.stack")
    if stack is None:
        raise RecordError(path, "tenant.kept.stack is missing")
    return KeptHome(value["home"], stack)


def _billing(path: str, value: object) -> BillingFacts:
    if not isinstance(value, dict):
        raise RecordError(path, "tenant.billing is not an object")
    provider, id_ = _text(path, value, "provider"), _text(path, value, "id")
    as_of, event = _text(path, value, "asOf", True), _text(path, value, "event", True)
    return BillingFacts(provider, id_, as_of, event, _text(path, value, "since", True))


def _confirm(path: str, value: object) -> Confirm:
    if not isinstance(value, dict):
        raise RecordError(path, "confirm is not an object")
    deletion, destroy = value.get("dataDeletion"), value.get("destroy")
    if not isinstance(deletion, bool):
        raise RecordError(path, "confirm.dataDeletion is not true or false")
    if not isinstance(destroy, list) or not all(isinstance(a, str) for a in destroy):
        raise RecordError(path, "confirm.destroy is not a list of resource addresses")
    return Confirm(
        data_deletion=deletion,
        migration=_migration(path, value.get("migration")),
        destroy=tuple(destroy),
    )


def _migration(path: str, move: object) -> Confirmed | None:
    if move is None:
        return None
    if not (
        isinstance(move, dict)
        and isinstance(move.get("from"), str)
        and isinstance(move.get("to"), str)
        and isinstance(move.get("retireOld"), bool)
    ):
        raise RecordError(path, "confirm.migration has no from, to and retireOld")
    return Confirmed(move["from"], move["to"], move["retireOld"])


def _roles(path: str, value: object) -> tuple[RoleEntry, ...]:
    if not isinstance(value, list) or not all(isinstance(r, dict) for r in value):
        raise RecordError(path, "roles is not a list of objects")
    out = []
    for role in value:
        names = [role.get(k) for k in ("name", "kind", "tenant", "target")]
        agent = role.get("agent")
        if not all(isinstance(n, str) for n in names) or not (
            agent is None or isinstance(agent, str)
        ):
            raise RecordError(path, "a role lacks its name, kind, tenant or target")
        out.append(RoleEntry(names[0], names[1], names[2], agent, names[3]))
    return tuple(out)


def record_files(folder: Path) -> list[str]:
    """The record files under an output folder (`nodes/<kind>/<name>.json`), relative to it,
    sorted: one directory listing per kind, no path objects per file."""
    base = folder / RECORDS_FOLDER
    out: list[str] = []
    try:
        kinds = sorted(os.listdir(base))
    except (FileNotFoundError, NotADirectoryError):
        return out
    for kind in kinds:
        try:
            names = os.listdir(base / kind)
        except (FileNotFoundError, NotADirectoryError):
            continue
        out.extend(f"{RECORDS_FOLDER}/{kind}/{n}" for n in sorted(names) if n.endswith(".json"))
    return out


def read_records(folder: Path) -> dict[str, NodeRecord]:
    """Every node's record under an output folder, strictly: for the commands that operate
    what was compiled, a damaged record or manifest is an error (exit 3), not a rebuild."""
    manifest = folder / MANIFEST_PATH
    shown = manifest.as_posix()
    try:
        data = parse_manifest(shown, manifest.read_bytes())
    except FileNotFoundError:
        raise RecordError(shown, "there is no manifest: run paybill compile first") from None
    except OSError as exc:
        raise RecordError(shown, f"cannot be read ({exc.strerror})") from None
    if data.get("schemaVersion") != MANIFEST_VERSION:
        raise RecordError(shown, f"written by an older paybill: compile again ({MANIFEST_VERSION})")
    out = {}
    for relative in record_files(folder):
        path = folder / relative
        try:
            with open(path, "rb") as handle:
                content = handle.read()
        except OSError as exc:
            raise RecordError(path.as_posix(), f"cannot be read ({exc.strerror})") from None
        record = parse_record(relative, content)
        out[record.node] = record
    return out


def stack_tenants(records: Mapping[str, NodeRecord]) -> dict[str, str]:
    """Stack name -> the tenant whose stack (or kept old home's stack) it is, by the tenant
    records of `records`; a tenant's own database is named as its stack."""
    out = {}
    for record in records.values():
        facts = record.tenant
        if facts is None:
            continue
        out[facts.stack or default_stack(record.name)] = record.name
        if facts.kept is not None:
            out[facts.kept.stack] = record.name
    return out


def tenant_of_stack(stack: str, *records: Mapping[str, NodeRecord]) -> str:
    """The tenant whose stack (or kept old home's stack) `stack` is, by the tenant records
    of `records` (head first); else the name its default stack name gives."""
    for found in records:
        tenant = stack_tenants(found).get(stack)
        if tenant is not None:
            return tenant
    return stack.removeprefix("tenant-")
