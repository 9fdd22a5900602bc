"""A plan for people and for machines: `summary.md` and `plan.json` in the plan folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from compiler.emit.artifact import canonical_json
from compiler.operate import business, unplannable
from compiler.operate.acl_diff import widening_rank
from compiler.operate.migrations.planned import migrations
from compiler.operate.migrations.render import section as migration_section
from compiler.operate.planning import PLAN_VERSION, PlanResult, node_digests
from compiler.operate.sections import (
    acl_detail_section,
    entitlements_section,
    plans_section,
    shared_section,
)
from compiler.operate.sql_diff import SHARED
from compiler.operate.summary import DETAILS, Section, count, names, render


def plan_json(result: PlanResult) -> dict[str, Any]:
    changes = result.changes
    moved = [n for n, c in changes.changes.items() if c.change != "removed"]
    return {
        "schemaVersion": PLAN_VERSION,
        "base": changes.base.label,
        "baseSource": getattr(changes.base, "where", None),
        "head": changes.head.label,
        "exitCode": result.exit_code,
        "refused": bool(result.refused),
        "nodes": {
            node: {"change": c.change, "files": [{"change": a, "path": p} for a, p in c.files]}
            for node, c in sorted(changes.changes.items())
        },
        "downstream": changes.downstream,
        "modules": {
            name: {"change": changes.changes[f"module:{name}"].change, "usedBy": users}
            for name, users in result.module_users().items()
        },
        "planned": node_digests(changes.head_records, moved),
        "plans": [e.to_json() for e in result.plans],
        "tenants": [t.to_json() for t in result.tenants],
        "entitlements": {t: e.lines for t, e in result.entitlements.items()},
        "stacks": {s: p.to_json() for s, p in result.stacks.items() if p.deferred_after is None},
        "deferred": [
            {
                "stack": s,
                "afterWave": p.deferred_after,
                "because": p.because,
                "waitsFor": p.waits_for,
                "change": p.change,
            }
            for s, p in result.stacks.items()
            if p.deferred_after is not None
        ],
        "sql": {t: c.to_json() for t, c in result.sql.items()},
        "acl": {t: c.to_json() for t, c in result.acl.items()},
        "migrations": [m.to_json() for m in migrations(changes)],
        "destructive": [d.to_json() for d in result.destructive],
        "unusedConfirmations": result.unused,
    }


def headline(result: PlanResult) -> str:
    changes = result.changes
    if not result.changed:
        return "Paybill plan: no changes"
    entitled = {t for e in result.plans for t in e.tenants} | set(result.entitlements)
    counts = {
        "plan": len({e.plan for e in result.plans}),
        "tenant": len(result.tenants),
        "entitlement set": len(entitled),
        "module": sum(1 for c in changes.changes.values() if c.kind == "module"),
        "stack": sum(1 for c in changes.changes.values() if c.kind == "stack"),
        "database": len(databases(result)),
        "agent permission set": len(result.acl),
    }
    parts = [f"{n} {k}{'' if n == 1 else 's'}" for k, n in counts.items() if n]
    verdict = "REFUSED — " if result.refused else ""
    if result.not_planned:
        verdict += f"{count(len(result.not_planned), 'stack')} NOT PLANNED (schema-checked only) — "
    return f"Paybill plan: {verdict}" + (", ".join(parts) or "records only") + " change"


def databases(result: PlanResult) -> list[str]:
    """The SQL targets a plan changes: every one, when the runtime they share changes."""
    if SHARED in result.sql:
        return sorted(
            n.partition(":")[2] for n in result.changes.head_records if n.startswith("sql:")
        )
    return sorted(result.sql)


def sections(result: PlanResult) -> list[Section]:
    return [
        plans_section(result.plans),
        _tenants(result),
        entitlements_section(result.entitlements),
        _moves(result),
        _destructive(result),
        unplannable.section(result.stacks),
        shared_section(
            "Agent permissions that widen",
            {t: c.widened for t, c in result.acl.items()},
            keep=True,
            rank=widening_rank,
        ),
        Section("Infrastructure", _stack_lines(result), shorter=_stack_shorter(result)),
        _databases(result),
        acl_detail_section(result.acl),
        Section("Confirmations no longer needed", [f"- {u}" for u in result.unused]),
    ]


def _tenants(result: PlanResult) -> Section:
    changes = result.tenants
    return Section(
        "Tenants",
        [f"- {t.line()}" for t in changes],
        keep=True,
        shorter=[business.grouped_lines(changes), business.counted_lines(changes)],
    )


def _moves(result: PlanResult) -> Section:
    return migration_section(migrations(result.changes))


def _destructive(result: PlanResult) -> Section:
    refused = [
        f"- ❌ {d.what} — add to `{d.owner}`: `{d.confirmation}`"
        for d in result.destructive
        if not d.confirmed
    ]
    confirmed = [
        f"- ✅ {d.what} (confirmed: `{d.confirmation}`)" for d in result.destructive if d.confirmed
    ]
    if refused:
        refused.insert(0, "Refused until the spec confirms each item (exit 1):\n")
    short = refused[:21]
    if len(refused) > len(short):
        short.append(f"- … and {len(refused) - len(short):,} more refused: see `{DETAILS}`")
    if confirmed:
        short.append(f"- ✅ {count(len(confirmed), 'confirmed change')}: see `{DETAILS}`")
    return Section("Destructive changes", refused + confirmed, keep=True, shorter=[short])


def _databases(result: PlanResult) -> Section:
    """Each target's changes and, with a DSN, the statements a converge runs; shorter: the
    statements counted (they are in details.md); shortest: only counts."""

    def lines(statements: bool) -> list[str]:
        out: list[str] = []
        for target, change in result.sql.items():
            if out:
                out.append("")  # else the next heading would continue the list above
            if target == SHARED:
                out.append("**The SQL every target shares** (`sql/shared/`)")
            else:
                live = f" (compared with {change.live})" if change.live else ""
                out.append(f"**{target}**{live}")
            out.extend(f"- {line}" for line in change.lines)
            if change.statements and statements:
                out.extend(["```sql", *change.statements, "```"])
            elif change.statements:
                out.append(f"- {count(len(change.statements), 'statement')}: see `{DETAILS}`")
        return out

    counted = [
        f"- **{target}**: {count(len(change.lines), 'change')}"
        + (f", {count(len(change.statements), 'statement')}" if change.statements else "")
        for target, change in result.sql.items()
    ]
    return Section("Databases", lines(True), shorter=[lines(False), counted])


def module_lines(result: PlanResult) -> list[str]:
    """One line per changed module that stacks use: a module is reviewed once, whatever uses
    it. Modules added for shapes the plans allow but no stack uses yet are one line."""
    lines, unused = [], []
    for name, users in result.module_users().items():
        change = result.changes.changes[f"module:{name}"].change
        if not users and change == "added":
            unused.append(name)
        elif change == "removed":
            lines.append(f"- module `{name}` removed")
        else:
            used = f"used by {count(len(users), 'stack')}" if users else "used by no stack"
            lines.append(f"- module `{name}` {change}: {used}")
    if unused:
        lines.append(
            f"- {count(len(unused), 'module')} added for shapes the plans allow and no stack "
            f"uses yet: {names(unused)}"
        )
    return lines


def _stack_lines(result: PlanResult) -> list[str]:
    planned = {s: p for s, p in result.stacks.items() if p.deferred_after is None}
    lines = module_lines(result)
    if lines:
        lines.append("")
    if planned:
        lines += [
            "| stack | change | create | update | replace | delete |",
            "|---|---|---|---|---|---|",
        ]
        for stack, item in planned.items():
            data = item.to_json()
            change = f"module `{item.module}`" if item.module else item.change
            if item.plan is None:
                why = item.note if item.not_installed else "--no-terraform"
                lines.append(f"| `{stack}` | {change} | not planned ({why}) | | | |")
                continue
            lines.append(
                f"| `{stack}` | {change} | {data['create']} | {data['update']} | "
                f"{data['replace']} | {data['delete']} |"
            )
        for stack, item in planned.items():
            if item.plan is None or not (item.plan.resources or item.plan.moved):
                continue
            lines.append(
                f"\n<details><summary>{stack}: {len(item.plan.resources)} resources</summary>\n"
            )
            lines.extend(f"- {r.action.value} `{r.address}`" for r in item.plan.resources)
            if item.plan.moved:
                lines.append(
                    f"- {len(item.plan.moved)} resources move to their address in the "
                    "stack's module (`moved` blocks), and change nothing else"
                )
            if item.protected:
                lines.append(
                    f"\nTerraform refuses this plan (`prevent_destroy` on "
                    f"{', '.join(f'`{a}`' for a in item.protected)}); shown with that lifted, "
                    "not saved, so it cannot be applied."
                )
            lines.append("\n</details>")
    deferred = {s: p for s, p in result.stacks.items() if p.deferred_after is not None}
    if deferred and lines:
        lines.append("")  # a list after an HTML block needs the blank line to be a list
    for stack, item in deferred.items():
        if item.deferred_after is not None:
            lines.append(
                f"- `{stack}`: planned after wave {item.deferred_after} "
                f"(it reads {', '.join(item.because)}, "
                + ("which changes)" if item.waits_for == "changes" else "not applied yet)")
            )
    return lines


ACTIONS = ("create", "update", "replace", "delete")


def _stack_shorter(result: PlanResult) -> list[list[str]]:
    """The table without each stack's resources; then only counts by kind of change."""
    full = _stack_lines(result)
    table = [line for line in full if line.startswith("|")]
    waiting: dict[str, list[str]] = {}  # why -> the stacks planned after their pool for it
    for line in full:
        if line.startswith("- `"):
            stack, _, why = line[3:].partition("`: ")
            waiting.setdefault(why, []).append(stack)
    rest = [
        f"- {count(len(stacks), 'stack')} {why}: {names(stacks)}" for why, stacks in waiting.items()
    ]
    by_change: dict[str, list[int]] = {}
    for item in result.stacks.values():
        totals = by_change.setdefault(
            item.change if item.deferred_after is None else "planned after its pool",
            [0, 0, 0, 0, 0],
        )
        totals[0] += 1
        if item.plan is not None and item.deferred_after is None:
            for resource in item.plan.resources:
                action = resource.action.value
                if action in ACTIONS:
                    totals[1 + ACTIONS.index(action)] += 1
    counted = [
        f"- {count(n, 'stack')} {change}"
        + (
            f": {c:,} to create, {u:,} to update, {r:,} to replace, {d:,} to delete"
            if c + u + r + d
            else ""
        )
        for change, (n, c, u, r, d) in sorted(by_change.items())
    ]
    return [table + ([""] if table and rest else []) + rest, counted]


def write(result: PlanResult, out: Path) -> Path:
    """Write `summary.md` and `plan.json` into the plan folder; returns the summary's path."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "plan.json").write_bytes(canonical_json(plan_json(result)))
    parts = sections(result)
    summary = out / "summary.md"
    summary.write_text(render(headline(result), parts, out.as_posix()))
    (out / DETAILS).write_text(render(headline(result), parts, out.as_posix(), limit=None))
    return summary
