"""The SQL runtime shared by every target, and what each target adds to it: its role names.

Every target of a spec holds the same tables, paybill's own tables, the same functions and
the same privileges on them, but for the names of the roles that hold those privileges:
roles belong to a whole PostgreSQL server, so each target (a database) has roles of its
own (`paybill_<target>_app`, `paybill_<target>_steps`, ...). So a target's `SharedState` is
written in two parts:

* `RuntimeState` (`sql/shared/state.json`, node `runtime:sql`), once for the whole spec:
  the tables, the session settings, the workflows and steps, and each privilege profile by
  its *key* (`app`, `app-readonly`, `workflow:<workflow>`, `steps`, `approver`) with the
  privileges it holds;
* `TargetPart` (`sql/<target>/state.json`, node `sql:<target>`): the target's role name for
  each profile key.

`assemble` puts the two together into the target's `SharedState`, which is what the files,
the lints and `paybill sql apply|drift` work from; `split` takes an older `state.json`
(which held the whole `SharedState`) apart again, to compare with.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from pydantic import TypeAdapter

from compiler.emit.sql.state import (
    CONFIG,
    SCHEMA_VERSION,
    RoleKind,
    RoleState,
    Setting,
    SharedState,
    StepState,
    TableGrant,
    TableState,
    WorkflowRow,
)
from compiler.resolve.roles import role_name

RUNTIME_VERSION: Final = "paybill.dev/sql-runtime/v1"
TARGET_VERSION: Final = "paybill.dev/sql-target/v1"
RUNTIME_FOLDER = "shared"  # generated/sql/shared/: no target is named so (pool-*, tenant-*)

APP, APP_READONLY, STEPS, APPROVER = "app", "app-readonly", "steps", "approver"
WORKFLOW = "workflow:"  # + the workflow's name
_NAME_PARTS = {
    APP: ("app",),
    APP_READONLY: ("app", "readonly"),
    STEPS: ("steps",),
    APPROVER: ("approver",),
}


def workflow_key(workflow: str) -> str:
    return f"{WORKFLOW}{workflow}"


def profile_role(target: str, key: str) -> str:
    """The role that plays profile `key` in `target`: `paybill_<target>_<key>`, cut to 63
    bytes as every role name is."""
    parts = _NAME_PARTS.get(key) or ("workflow", key.removeprefix(WORKFLOW))
    return role_name("paybill", target, *parts)


@dataclass(frozen=True, slots=True)
class ProfileState:
    """A privilege profile as every target has it, known by its key."""

    __pydantic_config__ = CONFIG

    key: str
    kind: RoleKind  # "grants", "steps" or "approver"
    workflows: tuple[str, ...]  # a workflow profile's workflow; the steps role's: every one
    grants: tuple[TableGrant, ...]


@dataclass(frozen=True, slots=True)
class RuntimeState:
    """What every target holds, but for role names: `sql/shared/state.json`."""

    __pydantic_config__ = CONFIG

    schema_version: Literal["paybill.dev/sql-runtime/v1"]
    tenant_column: str
    owner: str
    tables: tuple[TableState, ...]  # sorted by (schema, name)
    profiles: tuple[ProfileState, ...]  # sorted by key
    settings: tuple[Setting, ...] = ()  # sorted by name
    workflows: tuple[WorkflowRow, ...] = ()  # sorted by name
    steps: tuple[StepState, ...] = ()  # sorted by (workflow, step); `profile` is the key

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(p.key for p in self.profiles)

    @property
    def schemas(self) -> tuple[str, ...]:
        return tuple(sorted({t.schema for t in self.tables}))


@dataclass(frozen=True, slots=True)
class ProfileName:
    __pydantic_config__ = CONFIG

    key: str
    role: str


@dataclass(frozen=True, slots=True)
class TargetPart:
    """A target's own part of its shared state: `sql/<target>/state.json`."""

    __pydantic_config__ = CONFIG

    schema_version: Literal["paybill.dev/sql-target/v1"]
    target: str
    profiles: tuple[ProfileName, ...]  # sorted by key

    @property
    def names(self) -> dict[str, str]:
        return {p.key: p.role for p in self.profiles}


def target_part(runtime: RuntimeState, target: str) -> TargetPart:
    """The role names of `target`'s profiles."""
    return TargetPart(
        TARGET_VERSION, target, tuple(ProfileName(k, profile_role(target, k)) for k in runtime.keys)
    )


class Mismatch(ValueError):
    """A target part that does not name the profiles of the runtime it is put together with
    (the two were not compiled together)."""


def assemble(runtime: RuntimeState, part: TargetPart) -> SharedState:
    """The target's whole shared state: the runtime with the target's role names."""
    names = part.names
    missing = sorted(set(runtime.keys) - names.keys())
    extra = sorted(names.keys() - set(runtime.keys))
    if missing or extra:
        raise Mismatch(
            f"{part.target} names the roles of profiles the shared runtime does not have: "
            f"{', '.join(extra) or 'none'}; and none for these of its profiles: "
            f"{', '.join(missing) or 'none'}"
        )
    profiles = [
        RoleState(names[p.key], p.kind, None, None, p.workflows, (), p.grants)
        for p in runtime.profiles
    ]
    return SharedState(
        schema_version=SCHEMA_VERSION,
        target=part.target,
        tenant_column=runtime.tenant_column,
        owner=runtime.owner,
        tables=runtime.tables,
        profiles=tuple(sorted(profiles, key=lambda r: r.name)),
        settings=runtime.settings,
        workflows=runtime.workflows,
        steps=tuple(with_profile(s, names[s.profile]) for s in runtime.steps),
    )


def split(shared: SharedState) -> tuple[RuntimeState, TargetPart]:
    """A whole shared state (what `state.json` held before the runtime was shared) as the
    runtime and the target's part. A profile whose name is none of the keys' is kept under
    its name."""
    target = shared.target
    key_of: dict[str, str] = {}
    for role in shared.profiles:
        candidates = [APP, APP_READONLY, STEPS, APPROVER, *map(workflow_key, role.workflows)]
        key_of[role.name] = next(
            (k for k in candidates if profile_role(target, k) == role.name), role.name
        )
    profiles = sorted(
        (ProfileState(key_of[r.name], r.kind, r.workflows, r.grants) for r in shared.profiles),
        key=lambda p: p.key,
    )
    runtime = RuntimeState(
        schema_version=RUNTIME_VERSION,
        tenant_column=shared.tenant_column,
        owner=shared.owner,
        tables=shared.tables,
        profiles=tuple(profiles),
        settings=shared.settings,
        workflows=shared.workflows,
        steps=tuple(with_profile(s, key_of.get(s.profile, s.profile)) for s in shared.steps),
    )
    names = sorted((ProfileName(key_of[r.name], r.name) for r in shared.profiles), key=_by_key)
    return runtime, TargetPart(TARGET_VERSION, target, tuple(names))


def _by_key(name: ProfileName) -> str:
    return name.key


def with_profile(step: StepState, profile: str) -> StepState:
    """`dataclasses.replace(step, profile=profile)` at a fifth of the cost: called for every
    step of every target (90,000 times at 10,000 tenants)."""
    return StepState(
        step.workflow,
        step.step,
        step.function,
        profile,
        step.after,
        step.approval,
        step.operation,
        step.schema,
        step.table,
        step.columns,
        step.where,
        step.max_rows,
        step.tenant_column,
        step.max_steps,
        step.key_size,
    )


_RUNTIME = TypeAdapter(RuntimeState)
_TARGET = TypeAdapter(TargetPart)


def runtime_json(state: RuntimeState) -> object:
    return _RUNTIME.dump_python(state, mode="json")


def target_json(part: TargetPart) -> object:
    return _TARGET.dump_python(part, mode="json")


def runtime_from_json(text: bytes | str) -> RuntimeState:
    """Parse `sql/shared/state.json`; raises pydantic.ValidationError when it is not one."""
    return _RUNTIME.validate_json(text)


def target_from_json(text: bytes | str) -> TargetPart:
    """Parse `sql/<target>/state.json`; raises pydantic.ValidationError when it is not one."""
    return _TARGET.validate_json(text)
