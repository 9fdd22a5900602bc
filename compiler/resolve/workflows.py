"""Tools and workflows: references, the step DAG, pii, step counts, schedules, approvals."""

from __future__ import annotations

import networkx as nx

from compiler.dsl import Parsed, Workflow
from compiler.dsl.workflow import Step as StepSpec
from compiler.errors import did_you_mean
from compiler.resolve import model
from compiler.resolve.context import Context
from compiler.resolve.schedule import cron_problem


def resolve_tools(ctx: Context) -> tuple[model.Tool, ...]:
    out = []
    for name, doc in sorted(ctx.spec.tools.items()):
        spec = doc.model.spec
        approval = spec.approval or ("human" if spec.effect == "destructive" else "none")
        out.append(model.Tool(name, spec.description, spec.effect, approval))
    return tuple(out)


def resolve_workflows(
    ctx: Context,
    tables: dict[str, model.Table],
    tools: dict[str, model.Tool],
    features: set[str],
) -> tuple[model.Workflow, ...]:
    """Every workflow, steps in topological order; reports every broken reference."""
    out = []
    for name, doc in sorted(ctx.spec.workflows.items()):
        spec = doc.model.spec
        if (
            spec.requires_feature is not None
            and spec.requires_feature not in features
            # an invalid plan or tenant may be the one granting it: its errors come first
            and not (ctx.is_invalid("Plan") or ctx.is_invalid("Tenant"))
        ):
            ctx.unknown(
                doc,
                ("spec", "requiresFeature"),
                "feature",
                spec.requires_feature,
                features,
                "no plan grants it, so no agent could ever run this workflow",
            )
        if spec.trigger.schedule is not None:
            problem = cron_problem(spec.trigger.schedule)
            if problem:
                ctx.error(doc, ("spec", "trigger", "schedule"), problem)
        if len(spec.steps) > spec.limits.max_steps:
            ctx.error(
                doc,
                ("spec", "steps"),
                f"workflow has {len(spec.steps)} steps but limits.maxSteps is "
                f"{spec.limits.max_steps}",
                "raise limits.maxSteps or split the workflow",
            )
        steps = [
            _resolve_step(ctx, doc, index, step, tables, tools)
            for index, step in enumerate(spec.steps)
        ]
        ordered = _order_steps(ctx, doc, steps)
        out.append(
            model.Workflow(
                name=name,
                description=spec.description,
                requires_feature=spec.requires_feature,
                trigger=model.Trigger(spec.trigger.schedule, spec.trigger.event),
                max_steps=spec.limits.max_steps,
                timeout_seconds=spec.limits.timeout_seconds,
                max_rows_per_step=spec.limits.max_rows_per_step,
                steps=ordered,
            )
        )
    return tuple(out)


def _resolve_step(
    ctx: Context,
    doc: Parsed[Workflow],
    index: int,
    step: StepSpec,
    tables: dict[str, model.Table],
    tools: dict[str, model.Tool],
) -> model.Step:
    here = ("spec", "steps", index)
    query = None
    approval: model.Approval | None = step.approval
    if step.query is not None:
        q = step.query
        query = model.Query(q.table, q.operation, tuple(q.columns), tuple(q.where))
        table = tables.get(q.table)
        if table is None:
            ctx.unknown(doc, (*here, "query", "table"), "table", q.table, tables)
        else:
            _check_columns(ctx, doc, here, step, table)
        if approval is None:
            approval = "human" if q.operation == "delete" else "none"
    elif step.tool is not None:
        tool = tools.get(step.tool)
        if tool is None:
            ctx.unknown(doc, (*here, "tool"), "tool", step.tool, tools)
        elif approval == "none" and tool.approval == "human":
            ctx.error(
                doc,
                (*here, "approval"),
                f"tool '{tool.name}' requires human approval; a step cannot waive it",
                "remove 'approval: none', or change the Tool's approval if that is intended",
            )
        if approval is None:
            approval = tool.approval if tool else "none"
    return model.Step(
        step.id, tuple(step.after), query, step.tool, step.allow_pii, approval or "none"
    )


def _check_columns(
    ctx: Context,
    doc: Parsed[Workflow],
    here: tuple[str | int, ...],
    step: StepSpec,
    table: model.Table,
) -> None:
    assert step.query is not None
    known = {c.name: c for c in table.columns}
    tenant_column = ctx.spec.platform.model.spec.database.tenant_column
    for field in ("columns", "where"):
        for position, column in enumerate(getattr(step.query, field)):
            path = (*here, "query", field, position)
            found = known.get(column)
            if found is None:
                hint = did_you_mean(column, known) or f"its columns: {', '.join(known)}"
                ctx.error(doc, path, f"table '{table.name}' has no column '{column}'", hint)
                continue
            if found.pii and not step.allow_pii:
                ctx.error(
                    doc,
                    path,
                    f"column '{column}' of table '{table.name}' holds personal data (pii)",
                    f"add 'allowPii: true' to step '{step.id}' if the workflow needs it",
                )
            if (
                field == "columns"
                and step.query.operation == "update"
                and table.tenant_scoped
                and column == tenant_column
            ):
                ctx.error(
                    doc,
                    path,
                    f"a workflow may not change the tenant column '{column}'",
                    "rows never move between tenants",
                )
    if (
        step.query.operation == "insert"
        and table.tenant_scoped
        and tenant_column not in step.query.columns
    ):
        ctx.error(
            doc,
            (*here, "query", "columns"),
            f"an insert into tenant-scoped table '{table.name}' must set '{tenant_column}'",
            f"add '{tenant_column}' to the columns; each role may only write its own tenant id",
        )


def _order_steps(
    ctx: Context, doc: Parsed[Workflow], steps: list[model.Step]
) -> tuple[model.Step, ...]:
    """Topological order of the step DAG, ties broken by the order written."""
    position = {}
    graph: nx.DiGraph[str] = nx.DiGraph()
    for index, step in enumerate(steps):
        if step.id in position:
            ctx.error(doc, ("spec", "steps", index, "id"), f"step id '{step.id}' is used twice")
            continue
        position[step.id] = index
        graph.add_node(step.id)
    for index, step in enumerate(steps):
        for i, before in enumerate(step.after):
            path = ("spec", "steps", index, "after", i)
            if before == step.id:
                ctx.error(doc, path, f"step '{step.id}' cannot run after itself")
            elif before not in position:
                ctx.unknown(doc, path, "step", before, position)
            else:
                graph.add_edge(before, step.id)
    try:
        cycle = nx.find_cycle(graph)
    except nx.NetworkXNoCycle:
        order = nx.lexicographical_topological_sort(graph, key=position.__getitem__)
        by_id = {s.id: s for s in steps}
        return tuple(by_id[step_id] for step_id in order)
    loop = " -> ".join([edge[0] for edge in cycle] + [cycle[0][0]])
    first = position[cycle[0][1]]
    ctx.error(
        doc,
        ("spec", "steps", first, "after"),
        f"steps form a cycle: {loop}",
        "'after' must describe a DAG; remove one of these dependencies",
    )
    return tuple(steps)
