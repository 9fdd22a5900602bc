"""From decided tenant changes to commits: edit each tenant's file in the working copy,
compile once for all of them, give each tenant the output files its own graph nodes own
(output is made to merge: no file lists another tenant's things), and commit each tenant's
files onto `billing/<tenant>` with a `Billing-Event: <id>` trailer per event applied."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from compiler.billing.edit import EditError, edit_tenant
from compiler.billing.git import TRAILER, Commit, write_commits
from compiler.billing.migration import migration_note, planned_move
from compiler.billing.sync import Context
from compiler.billing.work import TenantWork
from compiler.errors import EnvironmentProblem, SpecError
from compiler.pipeline import compile_spec, validate
from compiler.records import read_records, stack_tenants
from compiler.write.tree import Difference


@dataclass(frozen=True)
class Paths:
    work: Path  # the working copy's root
    spec: str  # the spec folder, relative to the repository
    generated: str  # the output folder, relative to the repository


def propose(ctx: Context, works: dict[str, TenantWork], paths: Paths, when: int) -> list[Commit]:
    """Commit every tenant change that needs one; settle its events. Returns the commits."""
    texts: dict[str, str] = {}
    for name, work in sorted(works.items()):
        if not work.needs_commit:
            _done(ctx, work, "already current: nothing to change in the spec")
            continue
        try:
            texts[name] = edit_tenant(work.text, work.file, work.after)
        except EditError as exc:
            _fail(ctx, work, str(exc))
    plain = {n: t for n, t in texts.items() if works[n].migration is None}
    moving = {n: t for n, t in texts.items() if works[n].migration is not None}
    outputs = _compile(ctx, works, plain, paths)
    refusals = _refusals(ctx, works, moving, paths)
    accepted = {n: moving[n] for n, refusal in refusals.items() if refusal is None}
    if accepted:  # migrations the compiler accepts as they are: with their output
        outputs.update(_compile(ctx, works, accepted, paths))
    commits = []
    for name in sorted(outputs):
        files = {works[name].file: texts[name].encode(), **outputs[name]}
        commits.append(_commit(ctx, works[name], files, None))
    for name in sorted(n for n, refusal in refusals.items() if refusal is not None):
        files = {works[name].file: moving[name].encode()}
        commits.append(_commit(ctx, works[name], files, refusals[name]))
    write_commits(ctx.git, commits, when)
    for commit in commits:
        work = works[commit.tenant]
        _done(ctx, work, f"proposed on {commit.branch}")
        ctx.outcome.branches.append(commit.branch)
    return commits


def _compile(
    ctx: Context, works: dict[str, TenantWork], texts: dict[str, str], paths: Paths
) -> dict[str, dict[str, bytes | None]]:
    """Compile the working copy with every edit; the changed output files of each tenant.
    A tenant whose edit the compiler refuses fails with the compiler's message, and the
    rest are compiled again without it."""
    if not texts:
        return {}
    owners = _owners(paths.work / paths.generated)  # of the base's files, for removals
    for _ in range(2):
        _write(paths.work, texts, works)
        try:
            compiled = compile_spec(paths.work / paths.spec, paths.work / paths.generated)
        except SpecError as error:
            guilty = _blamed(error, works, texts, paths)
            if not guilty:
                raise
            for name in guilty:
                _fail(ctx, works[name], _first_lines(error, works[name].file))
                _restore(ctx, paths.work, works[name].file)
                texts.pop(name)
            continue
        return _split(ctx, works, texts, compiled.changes, owners, paths)
    return {}


def _split(
    ctx: Context,
    works: dict[str, TenantWork],
    texts: dict[str, str],
    changes: list[Difference],
    owners: dict[str, str | None],
    paths: Paths,
) -> dict[str, dict[str, bytes | None]]:
    """Each tenant's changed output files. A changed file of a node that belongs to no
    edited tenant means the base's output was not current: nothing is committed then."""
    out: dict[str, dict[str, bytes | None]] = {name: {} for name in texts}
    out_dir = paths.work / paths.generated
    owners = {**owners, **_owners(out_dir)}
    for change in changes:
        tenant = owners.get(change.path)
        if tenant not in out:
            raise EnvironmentProblem(
                f"{paths.generated}/ at {ctx.base[:12]} is not what compiling its spec "
                f"gives ({change.path} {change.change} although no billed tenant owns it); "
                f"run paybill compile on the base and commit, then sync again"
            )
        target = f"{paths.generated}/{change.path}" if paths.generated else change.path
        content = None if change.change == "removed" else (out_dir / change.path).read_bytes()
        out[tenant][target] = content
    return out


def _owners(out_dir: Path) -> dict[str, str | None]:
    """Output file -> the tenant whose node owns it, or None for a shared node (a pool, the
    platform's Cedar policies), from the node records (a record file is its node's own)."""
    records = read_records(out_dir)
    stacks = stack_tenants(records)
    out: dict[str, str | None] = {}
    for node, record in records.items():
        tenant = tenant_of(node, stacks)
        out[record.path] = tenant
        for entry in record.artifacts:
            out[entry.path] = tenant
    return out


def tenant_of(node: str, stacks: Mapping[str, str]) -> str | None:
    """The tenant whose node this is (`tenant:t`, `acl:t`, its stack and its own database,
    by `stacks`: stack name -> tenant), or None for a shared one."""
    kind, _, name = node.partition(":")
    if kind in ("tenant", "acl"):
        return name
    if kind in ("stack", "sql"):
        return stacks.get(name)
    return None


def _refusals(
    ctx: Context, works: dict[str, TenantWork], texts: dict[str, str], paths: Paths
) -> dict[str, str | None]:
    """Migrations: each edit alone on the base must be valid apart from the confirmation it
    lacks; what the compiler says against it goes into the pull request."""
    out: dict[str, str | None] = {}
    for name, text in sorted(texts.items()):
        work = works[name]
        _write(paths.work, {name: text}, works)
        try:
            validate(paths.work / paths.spec)
        except SpecError as error:
            _fail(ctx, work, _first_lines(error, work.file))
            _restore(ctx, paths.work, work.file)
            continue
        work.move = planned_move(paths.work / paths.spec, paths.work / paths.generated, name)
        try:
            compile_spec(paths.work / paths.spec, paths.work / paths.generated, check=True)
            out[name] = None
        except SpecError as error:
            out[name] = error.render()
        _restore(ctx, paths.work, work.file)
    return out


def _commit(
    ctx: Context, work: TenantWork, files: dict[str, bytes | None], refusal: str | None
) -> Commit:
    lines = [work.headline(), "", f"Because {work.because()}."]
    if work.migration is not None:
        lines += ["", migration_note(work.tenant, work.migration, refusal, work.move)]
    trailers = [f"{TRAILER}: {event}" for event in dict.fromkeys(work.events)]
    message = "\n".join(lines) + ("\n\n" + "\n".join(trailers) if trailers else "") + "\n"
    return Commit(work.tenant, message, ctx.base, work.open_branch, files)


def _write(root: Path, texts: dict[str, str], works: dict[str, TenantWork] | None = None) -> None:
    for name, text in texts.items():
        file = (works or {}).get(name)
        path = root / (file.file if file else name)
        path.write_text(text)


def _restore(ctx: Context, root: Path, file: str) -> None:
    original = ctx.git.show(ctx.base, file) or ""
    (root / file).write_text(original)


def _blamed(
    error: SpecError, works: dict[str, TenantWork], texts: dict[str, str], paths: Paths
) -> list[str]:
    files = {(paths.work / works[n].file).as_posix(): n for n in texts}
    found = {files[d.location.file] for d in error.diagnostics if d.location.file in files}
    return sorted(found)


def _first_lines(error: SpecError, file: str) -> str:
    mine = [d.render() for d in error.diagnostics if d.location.file.endswith(file)]
    return "the compiler refuses the edit: " + "; ".join((mine or [error.render()])[:3])


def _done(ctx: Context, work: TenantWork, reason: str) -> None:
    if work.applied:
        ctx.inbox.settle(work.applied, "applied", reason, work.tenant)
        ctx.outcome.applied += len(work.applied)


def _fail(ctx: Context, work: TenantWork, reason: str) -> None:
    if work.applied:
        ctx.inbox.settle(work.applied, "failed", reason, work.tenant)
    ctx.outcome.failed.append(f"{work.tenant}: {reason}")
    work.applied = []
