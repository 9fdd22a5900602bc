"""`paybill drift`: does what runs still match what was merged?

* every stack: refreshed and planned (`-detailed-exitcode`); what changed outside Terraform
  and what a plan would change back;
* every SQL target with a DSN: the catalog comparison of `paybill sql drift` (roles, their
  attributes and memberships, privileges, policies, row-level security);
* the published ACL files: each against the digest its node's record lists.

Written to `DIR/drift.md` and `DIR/drift.json`; exit 0 when nothing drifted, 2 when
something did (`paybill apply` without `--plan` or `--base` repairs it), 3 when nothing
drifted among what was checked but a stack could not be checked: its provider is not
installed here (`compiler.operate.unplannable`; listed under "Not checked" either way).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from compiler.emit.artifact import canonical_json
from compiler.errors import PaybillError
from compiler.operate.dsns import Dsns
from compiler.operate.publish import destination, published_path
from compiler.operate.summary import Section, render
from compiler.records import NodeRecord, read_records

DRIFT_VERSION = "paybill.dev/drift/v1"
EXIT_NONE, EXIT_DRIFT, EXIT_NOT_CHECKED = 0, 2, 3


@dataclass(frozen=True)
class DriftOptions:
    generated: Path
    out: Path
    jobs: int = 2
    tf_override: Path | None = None
    dsns: Dsns = field(default_factory=Dsns)
    workdir: Path = Path(".paybill/work")
    acl_dir: Path | None = None
    terraform: bool = True


@dataclass
class DriftResult:
    stacks: dict[str, list[str]] = field(default_factory=dict)  # stack -> what drifted
    sql: dict[str, list[str]] = field(default_factory=dict)
    acl: list[str] = field(default_factory=list)
    unchecked: list[str] = field(default_factory=list)  # what could not be compared, and why
    # Stacks terraform could not run for (their provider is not installed): stack -> note.
    schema_checked_only: dict[str, str] = field(default_factory=dict)

    @property
    def drifted(self) -> bool:
        return bool(any(self.stacks.values()) or any(self.sql.values()) or self.acl)

    @property
    def exit_code(self) -> int:
        """Drift first (the issue then lists what was not checked too); else 3 while a
        stack could not be checked, so "no drift" is never said of it."""
        if self.drifted:
            return EXIT_DRIFT
        return EXIT_NOT_CHECKED if self.schema_checked_only else EXIT_NONE

    def to_json(self) -> dict[str, object]:
        return {
            "schemaVersion": DRIFT_VERSION,
            "drifted": self.drifted,
            "stacks": self.stacks,
            "sql": self.sql,
            "acl": self.acl,
            "unchecked": self.unchecked,
            "schemaCheckedOnly": self.schema_checked_only,
        }


def _stack(options: DriftOptions, stack: str) -> list[str]:
    from compiler.operate.stacks import checkout  # noqa: PLC0415
    from compiler.terraform import Terraform, Workspace  # noqa: PLC0415

    workspace = Workspace(options.workdir)
    terraform = Terraform()
    source = checkout(workspace, stack, lambda p: _read(options.generated / p))
    copy = source.into(workspace, options.tf_override)
    terraform.init(copy)
    plan = terraform.plan(copy, out=copy.path / "drift.tfplan")
    lines = [f"changed outside Terraform: {r.address} ({r.action.value})" for r in plan.drift]
    lines += [f"a plan would {r.action.value} {r.address}" for r in plan.resources]
    return lines


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def drift(options: DriftOptions) -> DriftResult:
    records = read_records(options.generated)
    result = DriftResult()
    stacks = sorted(n.partition(":")[2] for n in records if n.startswith("stack:"))
    override = options.tf_override
    if options.terraform and override is not None and not override.is_file():
        from compiler.errors import EnvironmentProblem  # noqa: PLC0415

        raise EnvironmentProblem(f"--tf-override {override}: no such file")
    # The databases are compared while terraform refreshes the stacks (the one waits on
    # PostgreSQL, the other on the provider); the report keeps stacks first either way.
    databases = DriftResult()
    with ThreadPoolExecutor(1) as side:
        compared = side.submit(_sql, options, records, databases)
        if options.terraform:
            stacks = _without_providers(options, stacks, result)
            with ThreadPoolExecutor(max(1, options.jobs)) as pool:
                for stack, lines in zip(
                    stacks, pool.map(lambda s: _stack(options, s), stacks), strict=True
                ):
                    result.stacks[stack] = lines
        else:
            result.unchecked.append("stacks: not checked (--no-terraform)")
        compared.result()
    result.sql = databases.sql
    result.unchecked += databases.unchecked
    _acl(options, records, result)
    return result


def _without_providers(options: DriftOptions, stacks: list[str], result: DriftResult) -> list[str]:
    """The stacks terraform can run for; the others are listed as not checked."""
    from compiler.operate.unplannable import missing  # noqa: PLC0415
    from compiler.terraform.installed import missing_note  # noqa: PLC0415

    out = []
    for stack in stacks:
        found = missing(lambda p: _read(options.generated / p), stack)
        if not found:
            out.append(stack)
            continue
        result.schema_checked_only[stack] = missing_note(found)
        result.unchecked.append(f"{stack}: {missing_note(found)} (drift not checked)")
    return out


def _sql(options: DriftOptions, records: dict[str, NodeRecord], result: DriftResult) -> None:
    from compiler.sqlops.converge import drift as sql_drift  # noqa: PLC0415
    from compiler.sqlops.converge import load_state  # noqa: PLC0415

    for target in sorted(n.partition(":")[2] for n in records if n.startswith("sql:")):
        dsn = options.dsns.for_target(target)
        if dsn is None:
            result.unchecked.append(f"{target}: no DSN given")
            continue
        try:
            outcome = sql_drift(dsn.dsn, load_state(options.generated, target))
        except PaybillError as error:
            result.unchecked.append(f"{target}: {error}")
            result.sql[target] = [f"could not be compared: {error}"]
            continue
        result.sql[target] = [c.text for c in outcome.changes]


def _acl(options: DriftOptions, records: dict[str, NodeRecord], result: DriftResult) -> None:
    target = destination(options.generated, options.workdir, options.acl_dir)
    for node, record in sorted(records.items()):
        if record.kind not in ("acl", "cedar"):
            continue
        for artifact in record.artifacts:
            found = target.sha256(published_path(artifact.path))
            where = f"{target.label}/{published_path(artifact.path)}"
            if found is None:
                result.acl.append(f"{where} is not published ({node})")
            elif found != artifact.sha256:
                result.acl.append(f"{where} differs from what was compiled ({node})")


def write(result: DriftResult, out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    (out / "drift.json").write_bytes(canonical_json(result.to_json()))
    sections = [
        Section(
            "Stacks",
            [f"- `{s}`: {line}" for s, lines in result.stacks.items() for line in lines],
            keep=True,
        ),
        Section(
            "Databases",
            [f"- `{t}`: {line}" for t, lines in result.sql.items() for line in lines],
            keep=True,
        ),
        Section("Published ACL files", [f"- {line}" for line in result.acl], keep=True),
        Section("Not checked", [f"- {line}" for line in result.unchecked]),
    ]
    headline = "Paybill drift: " + ("drift found" if result.drifted else "no drift")
    if result.schema_checked_only:
        count = len(result.schema_checked_only)
        headline += f"; {count} stack{'' if count == 1 else 's'} NOT CHECKED (schema-checked only)"
    path = out / "drift.md"
    path.write_text(render(headline, sections, out.as_posix(), report="drift"))
    return path
