"""A plan for people and for machines: `summary.md` and `plan.json` in the plan folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from compiler.emit.artifact import canonical_json
from compiler.operate.planning import PLAN_VERSION, PlanResult, node_digests
from compiler.operate.summary import Section, render


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
        "tenants": [t.to_json() for t in result.tenants],
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
        "destructive": [d.to_json() for d in result.destructive],
        "unusedConfirmations": result.unused,
    }


def headline(result: PlanResult) -> str:
    changes = result.changes
    if not result.changed:
        return "Paybill plan: no changes"
    counts = {
        "tenant": len(result.tenants),
        "module": sum(1 for c in changes.changes.values() if c.kind == "module"),
        "stack": sum(1 for c in changes.changes.values() if c.kind == "stack"),
        "database": len(result.sql),
        "agent permission set": len(result.acl),
    }
    parts = [f"{n} {k}{'' if n == 1 else 's'}" for k, n in counts.items() if n]
    verdict = "REFUSED — " if result.refused else ""
    return f"Paybill plan: {verdict}" + (", ".join(parts) or "records only") + " change"


def sections(result: PlanResult) -> list[Section]:
    out = []
    out.append(Section("Tenants", [f"- {t.line()}" for t in result.tenants], keep=True))
    moves = [t for t in result.tenants if t.data_move]
    out.append(
        Section(
            "Data that moves",
            [
                f"- **{t.tenant}**: rows move from `{t.data_move[0]}` to `{t.data_move[1]}`"
                for t in moves
                if t.data_move
            ],
            keep=True,
        )
    )
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
    out.append(Section("Destructive changes", refused + confirmed, keep=True))
    widened = [f"- **{t}**: {line}" for t, c in result.acl.items() for line in c.widened]
    out.append(Section("Agent permissions that widen", widened, keep=True))
    out.append(Section("Infrastructure", _stack_lines(result)))
    sql_lines = []
    for target, change in result.sql.items():
        sql_lines.append(
            f"**{target}**" + (f" (compared with {change.live})" if change.live else "")
        )
        sql_lines.extend(f"- {line}" for line in change.lines)
        if change.statements:
            sql_lines.append("```sql")
            sql_lines.extend(change.statements)
            sql_lines.append("```")
    out.append(Section("Databases", sql_lines))
    acl_lines = []
    for tenant, acl in result.acl.items():
        acl_lines.append(f"**{tenant}**")
        acl_lines.extend(f"- allowed: {line}" for line in acl.allowed)
        acl_lines.extend(f"- no longer allowed: {line}" for line in acl.removed)
        acl_lines.extend(f"- narrowed: {line}" for line in acl.narrowed)
    out.append(Section("Agent permissions", acl_lines))
    out.append(Section("Confirmations no longer needed", [f"- {u}" for u in result.unused]))
    return out


def module_lines(result: PlanResult) -> list[str]:
    """One line per changed module: a module is reviewed once, whatever uses it."""
    lines = []
    for name, users in result.module_users().items():
        change = result.changes.changes[f"module:{name}"].change
        count = len(users)
        used = f"used by {count} stack{'' if count == 1 else 's'}"
        lines.append(f"- module `{name}` {change}: {used}")
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
                lines.append(f"| `{stack}` | {change} | not planned (--no-terraform) | | | |")
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


def write(result: PlanResult, out: Path) -> Path:
    """Write `summary.md` and `plan.json` into the plan folder; returns the summary's path."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "plan.json").write_bytes(canonical_json(plan_json(result)))
    summary = out / "summary.md"
    summary.write_text(render(headline(result), sections(result), out.as_posix()))
    return summary
