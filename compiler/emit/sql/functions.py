"""Every function of a target, as the files create it and `paybill sql` compares it.

The run API (owned by the owner role, in `paybill` and `paybill_api`) and one function per
workflow step (owned by the steps role, in `paybill_api`), built from the target's state and
rendered with templates/functions.sql.j2. A `Function` is derived, not stored: the state
files hold what the steps are (`StepState`), and the same code renders their bodies for the
files and for `paybill sql apply`, so the body `apply` compares with the catalog's is the
one the files create.

Every function an agent or the approver calls is SECURITY DEFINER with `search_path =
pg_catalog, pg_temp` (every name in a body is schema-qualified, and pg_temp comes last so
that a caller's temporary table cannot stand in for one of ours); lock waits are bounded by
the database's `lock_timeout` (runs.SETTINGS). The few helpers they call (who is calling,
why a step is refused) run as their caller with its settings, which keeps a call cheap:
they are in `paybill`, which no tenant role may use. A step's checks and its count are one
statement in the step function itself. Each function is executable only by the roles
listed: PUBLIC's default EXECUTE is revoked.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from functools import cache
from typing import Any, Literal

from compiler.acl import names
from compiler.emit.sql import statements as st
from compiler.emit.sql.quote import Sql, column_type, ident, idents, join, literal, spread
from compiler.emit.sql.state import API_SCHEMA, INTERNAL_SCHEMA, RoleState, StepColumn, StepState

Mode = Literal["i", "t"]  # an input, or a column of RETURNS TABLE (as pg_proc says)
SEARCH_PATH = "pg_catalog, pg_temp"
PATH_ONLY = (("search_path", SEARCH_PATH),)
# A step's statements are planned once per session, not at every call: with custom plans,
# PostgreSQL would plan them anew each time (the steps role's policy, inlining who is
# calling, costs more to plan than the statement costs to run). The generic plan finds the
# caller's rows through the key's index, which starts with the tenant column.
STEP_SETTINGS = (*PATH_ONLY, ("plan_cache_mode", "force_generic_plan"))
# A step that needs a person's approval renders its arguments in UTC, whatever the calling
# session's time zone, so that a timestamp reads the same to it as to the approver.
IN_UTC = (*STEP_SETTINGS, ("TimeZone", "UTC"))
IDLE_CAP_SECONDS = 60  # runs.SETTINGS' idle_in_transaction_session_timeout: a run's never more


@dataclass(frozen=True, slots=True)
class Argument:
    name: str
    type: str  # as PostgreSQL's format_type() prints it, without type modifiers
    mode: Mode = "i"


@dataclass(frozen=True, slots=True)
class Function:
    schema: str
    name: str
    arguments: tuple[Argument, ...]
    returns: str  # format_type() of the result; "record" for a RETURNS TABLE of 2+ columns
    returns_set: bool
    language: Literal["plpgsql", "sql"]
    volatility: Literal["v", "s"]
    body: str  # exactly as pg_proc.prosrc holds it
    owner: str
    execute: tuple[str, ...]  # the roles that may call it, sorted
    settings: tuple[tuple[str, str], ...] = PATH_ONLY
    definer: bool = True  # SECURITY DEFINER

    @property
    def key(self) -> tuple[str, str, tuple[str, ...]]:
        """What identifies it in PostgreSQL: schema, name and input argument types."""
        return (self.schema, self.name, tuple(a.type for a in self.arguments if a.mode == "i"))

    @property
    def shape(self) -> str:
        """What `statements.FUNCTION_SHAPE` computes for it in the catalog."""
        arguments = ",".join(f"{a.mode}:{a.name}:{a.type}" for a in self.arguments)
        return f"{arguments}->{self.returns}" + (" setof" if self.returns_set else "")

    @property
    def shape_digest(self) -> str:
        return hashlib.sha256(self.shape.encode()).hexdigest()

    @property
    def signature(self) -> Sql:
        """`"schema"."name"(type, type)`: what GRANT, ALTER and DROP name it by."""
        types = join(Sql(a.type) for a in self.arguments if a.mode == "i")
        return Sql(f"{ident(self.schema)}.{ident(self.name)}({types})")


# -- types -------------------------------------------------------------------------------
_PRINTED = {
    "timestamptz": "timestamp with time zone",
    "timestamp": "timestamp without time zone",
}


def argument_type(spelling: str, *, array: bool = False) -> str:
    """A DSL column type as a function argument or result column: PostgreSQL drops type
    modifiers there (`varchar(3)` is `character varying`)."""
    column_type(spelling)  # only the allow-list
    base = _PRINTED.get(spelling, spelling)
    if base.startswith("varchar("):
        base = "character varying"
    elif base.startswith("numeric("):
        base = "numeric"
    return f"{base}[]" if array and not base.endswith("[]") else base


# -- rendering ---------------------------------------------------------------------------
@cache
def _macros() -> Any:
    return st.environment().get_template("functions.sql.j2").module


def _macro(macro: str, /, **kwargs: object) -> Sql:
    return Sql(getattr(_macros(), macro)(**kwargs))


def create(function: Function) -> Sql:
    """CREATE OR REPLACE FUNCTION ..., all on the lines a reviewer reads."""
    inputs = [_declared(a) for a in function.arguments if a.mode == "i"]
    arguments = Sql(spread(inputs).lstrip(" ") if inputs else "")
    if function.returns_set:
        columns = [_declared(a) for a in function.arguments if a.mode == "t"]
        returns = Sql(f"TABLE ({spread(columns, indent='    ').lstrip(' ')})")
    else:
        returns = Sql(
            function.returns if "." not in function.returns else _qualified(function.returns)
        )
    return _macro(
        "create_function",
        name=Sql(f"{ident(function.schema)}.{ident(function.name)}"),
        arguments=arguments,
        returns=returns,
        language=Sql(function.language),
        volatility=Sql({"v": "VOLATILE", "s": "STABLE"}[function.volatility]),
        security=Sql("SECURITY DEFINER" if function.definer else "SECURITY INVOKER"),
        settings=[_setting(name, value) for name, value in function.settings],
        body=Sql(function.body),
    )


def _declared(argument: Argument) -> Sql:
    return Sql(f"{ident(argument.name)} {argument.type}")


def _qualified(name: str) -> Sql:
    schema, _, table = name.partition(".")
    return Sql(f"{ident(schema)}.{ident(table)}")


def _setting(name: str, value: str) -> Sql:
    if name == "search_path":
        return Sql(f"search_path = {SEARCH_PATH}")
    if not re.fullmatch(r"[A-Za-z_]+", name):
        raise ValueError(f"not a setting name: {name!r}")
    return Sql(f"{name} = {literal(value)}")


def statements(function: Function) -> list[Sql]:
    """Create it, give it to its owner, and let exactly its callers execute it."""
    out = [
        create(function),
        st.alter_function_owner(function.signature, function.owner),
        st.revoke(Sql("ALL"), Sql(f"FUNCTION {function.signature}"), [None]),
    ]
    if function.execute:
        out.append(
            st.grant(Sql("EXECUTE"), Sql(f"FUNCTION {function.signature}"), function.execute)
        )
    return out


# -- the functions of a target ------------------------------------------------------------
def target_functions(
    owner: str, roles: Iterable[RoleState], steps: Sequence[StepState]
) -> tuple[Function, ...]:
    """The run API, then the steps: in the order they can be created (a SQL-language body
    must find what it calls)."""
    roles = list(roles)
    executor = next((r.name for r in roles if r.kind == "steps"), None)
    approver = next((r.name for r in roles if r.kind == "approver"), None)
    if executor is None or approver is None:
        return ()
    agents = tuple(sorted(r.name for r in roles if r.kind == "grants" and r.workflows))
    apps = tuple(sorted(r.name for r in roles if r.kind == "grants" and not r.workflows))
    return (
        *file_functions(owner),
        *run_functions(owner, executor, approver, agents, apps),
        *(step_function(s, executor) for s in steps),
    )


def file_functions(owner: str) -> tuple[Function, ...]:
    """What every tenant's file calls to take back what the tenant no longer has: the
    memberships of its roles that it no longer lists, the roles it no longer has. The same
    for every tenant, so defined once. They run as their caller (the login applying the
    files, which may revoke and drop roles) with no EXECUTE for anyone: only the owner role
    and its members may call them."""

    def fn(name: str, *arguments: Argument) -> Function:
        body = str(_macro(name, schema=ident(INTERNAL_SCHEMA)))
        return Function(
            INTERNAL_SCHEMA, name, arguments, "void", False, "plpgsql", "v", body, owner, (),
            definer=False,
        )  # fmt: skip

    return (
        fn(KEEP_MEMBERSHIPS, Argument("desired", "text[]")),
        fn(RETIRE_ROLES, *(Argument(n, t) for n, t in RETIRE_ARGUMENTS)),
    )


KEEP_MEMBERSHIPS = "keep_memberships"  # ((group, member), ...): the members' only ones
RETIRE_ROLES = "retire_roles"
RETIRE_ARGUMENTS = (("marker", "text"), ("keep", "text[]"), ("schemas", "text[]"))


def run_functions(
    owner: str, executor: str, approver: str, agents: tuple[str, ...], apps: tuple[str, ...]
) -> tuple[Function, ...]:
    """The helpers, the run API and `entitlements` (`agents`: the workflows' profiles;
    `apps`: the application's)."""
    internal = ident(INTERNAL_SCHEMA)
    agent_row = f"{INTERNAL_SCHEMA}.agents"

    def body(name: str) -> str:
        extra = {"idle_cap": IDLE_CAP_SECONDS} if name == names.START_RUN else {}
        return str(_macro(name, schema=internal, **extra))

    def fn(
        schema: str,
        name: str,
        arguments: tuple[Argument, ...],
        returns: str,
        execute: Iterable[str],
        language: Literal["plpgsql", "sql"] = "plpgsql",
        volatility: Literal["v", "s"] = "v",
    ) -> Function:
        return Function(
            schema, name, arguments, returns, False, language, volatility,
            body(name), owner, tuple(sorted(set(execute))),
        )  # fmt: skip

    def helper(name: str, arguments: tuple[Argument, ...], returns: str) -> Function:
        """Called only from paybill's own functions (which set the search path): runs as
        its caller, with no settings of its own, so that calling it costs little."""
        return replace(
            fn(INTERNAL_SCHEMA, name, arguments, returns, (executor,), volatility="s"),
            definer=False,
            settings=(),
        )

    run = Argument(names.RUN_PARAMETER, "uuid")
    text, moment, arguments = "text", "timestamp with time zone", Argument("arguments", "jsonb")
    workflow, step = Argument("workflow", text), Argument("step", text)
    integer = "integer"
    granted = (
        Argument("tenant", text, "t"),
        Argument("plan", text, "t"),
        Argument("state", text, "t"),
        Argument("seats", integer, "t"),
        Argument("storage_gb", integer, "t"),
        Argument("api_requests_per_second", integer, "t"),
        Argument("agent_runs_per_day", integer, "t"),
        Argument("agent_steps_per_workflow", integer, "t"),
        Argument("agent_rows_per_step", integer, "t"),
        Argument("features", "text[]", "t"),
    )
    return (
        helper("login_role", (), text),
        replace(helper("caller_role", (), text), language="sql"),  # calls login_role
        helper("agent", (), agent_row),
        replace(helper("digest", (Argument("arguments", "jsonb"),), text), language="sql"),
        replace(
            helper("refuse", (workflow, step, Argument("reason", text)), "void"), volatility="v"
        ),
        replace(
            helper(
                "refuse_step",
                (Argument("run", "uuid"), workflow, step, Argument("after", "text[]")),
                "void",
            ),
            volatility="v",
        ),
        replace(
            helper(
                "refuse_keys",
                (
                    workflow, step, Argument("parameter", text), Argument("tenant", text),
                    Argument("missing", "text[]"),
                ),
                "void",
            ),
            volatility="v",
        ),
        helper("tenant_role", (), text),
        fn(API_SCHEMA, names.START_RUN, (workflow,), "uuid", agents),
        fn(API_SCHEMA, names.FINISH_RUN, (run,), text, agents),
        fn(API_SCHEMA, names.APPROVAL, (run, step, arguments), moment, agents, "sql"),
        fn(
            API_SCHEMA, names.APPROVE,
            (
                run, step, arguments, Argument("approved_by", text),
                Argument("valid_for", "interval"),
            ),
            moment, (approver,),
        ),
        replace(
            fn(API_SCHEMA, ENTITLEMENTS, granted, "record", (*agents, *apps), "sql", "s"),
            returns_set=True,
        ),
    )  # fmt: skip


ENTITLEMENTS = "entitlements"


def step_function(step: StepState, executor: str) -> Function:
    """The function an agent calls for one step: begin it (run, order, limits, and a person's
    approval of these very arguments when the step needs one), check that where-values of
    the table's key name the caller's rows, run exactly the step's statement, then its row
    cap."""
    names_ = {
        "internal": ident(INTERNAL_SCHEMA),
        "workflow": literal(step.workflow),
        "step": literal(step.step),
    }
    run = Argument(names.RUN_PARAMETER, "uuid")
    where = [
        Argument(names.where_parameter(c.name), argument_type(c.type, array=True))
        for c in step.where
    ]
    table = st.table_name(step.schema, step.table) if step.table else Sql("")
    returns, returns_set = "bigint", False
    cap_check = _macro("over_cap", **names_, cap=step.max_rows)
    if step.operation == "tool":
        # A tool's arguments are what the application calls it with: they matter to the
        # database only when a person approves them.
        arguments = [run, *((Argument(names.TOOL_ARGUMENTS, "jsonb"),) if step.approval else ())]
        body = _macro("step_tool", begin=_begin(step, names_, arguments))
        returns = "void"
    elif step.operation == "select":
        arguments = [
            run,
            *where,
            *(Argument(c.name, argument_type(c.type), "t") for c in step.columns),
        ]
        # PostgreSQL records a table of one column as a set of that column's type.
        returns = argument_type(step.columns[0].type) if len(step.columns) == 1 else "record"
        returns_set = True
        body = _macro(
            "step_select", **names_, begin=_begin(step, names_, arguments), table=table,
            where=_where(step.where, 2, "    "), cap=step.max_rows, limit=step.max_rows + 1,
            columns=spread((Sql(f"t.{ident(c.name)}") for c in step.columns), indent="      "),
            keys=_keys_named(step, names_, table, 2, after=True),
        )  # fmt: skip
    elif step.operation == "update":
        values = [Argument(c.name, argument_type(c.type)) for c in step.columns]
        arguments = [run, *values, *where]
        assignments = [Sql(f"{ident(c.name)} = ${i + 2}") for i, c in enumerate(step.columns)]
        body = _macro(
            "step_update", begin=_begin(step, names_, arguments), table=table,
            assignments=spread(assignments), where=_where(step.where, 2 + len(values)),
            cap_check=cap_check, keys=_keys_named(step, names_, table, 2 + len(values)),
        )  # fmt: skip
    elif step.operation == "delete":
        arguments = [run, *where]
        body = _macro(
            "step_delete", begin=_begin(step, names_, arguments), table=table,
            where=_where(step.where, 2), cap_check=cap_check,
            keys=_keys_named(step, names_, table, 2),
        )  # fmt: skip
    else:
        arguments = [run, *_insert_arguments(step)]
        body = _insert(step, names_, _begin(step, names_, arguments), cap_check, table)
    return Function(
        API_SCHEMA, step.function, tuple(arguments), returns, returns_set, "plpgsql", "v",
        str(body), executor, (step.profile,), IN_UTC if step.approval else STEP_SETTINGS,
    )  # fmt: skip


def _begin(step: StepState, names_: dict[str, Sql], arguments: Sequence[Argument]) -> Sql:
    """The step's start; with an approval, bound to the digest of the call's arguments: a
    tool's `arguments`, or a query step's parameters (`run` aside) as a JSON object."""
    digest = Sql("")
    if step.approval:
        given = [(i + 1, a) for i, a in enumerate(arguments) if a.mode == "i"][1:]
        if step.operation == "tool":
            digest = Sql("$2")
        else:
            pairs = join(Sql(f"{literal(a.name)}, ${i}") for i, a in given)
            digest = Sql(f"pg_catalog.jsonb_build_object({pairs})")
    return _macro(
        "begin",
        **names_,
        after=st.text_array(step.after),
        max_steps=step.max_steps,
        digest=digest,
    )


def _keys_named(
    step: StepState, names_: dict[str, Sql], table: Sql, first: int, *, after: bool = False
) -> Sql:
    """Every where-value of a key column must name a row of the caller's tenant (the steps
    role's policy shows it no other): otherwise the call is refused, and its statement's
    effect rolled back. A write checks before its statement. A select checks after it, and
    only when it returned fewer rows than values were given: with a one-column key, as many
    rows as values means every value named one."""
    checks = [
        _macro(
            "keys_named",
            **names_,
            parameter=Sql(f"${first + i}"),
            name=literal(names.where_parameter(c.name)),
            table=table,
            column=ident(c.name),
        )
        for i, c in enumerate(step.where)
        if c.key
    ]
    if not checks:
        return Sql("")
    keyed = [first + i for i, c in enumerate(step.where) if c.key]
    if after and step.key_size == 1 and len(keyed) == 1:
        inner = "\n".join(f"  {line}" if line else line for line in "\n".join(checks).split("\n"))
        return Sql(f"\n  IF v_rows < pg_catalog.cardinality(${keyed[0]}) THEN\n{inner}\n  END IF;")
    return Sql("\n" + "\n".join(checks))


def _where(columns: Sequence[StepColumn], first: int, indent: str = "  ") -> Sql:
    """`WHERE` with equality on each column against its array parameter (a NULL in the
    array matches NULL); none: no condition."""
    if not columns:
        return Sql("")
    conditions = []
    for i, column in enumerate(columns):
        name, parameter = Sql(f"t.{ident(column.name)}"), Sql(f"${first + i}")
        condition = f"{name} = ANY ({parameter})"
        if column.nullable:
            condition = (
                f"({condition}\n{indent}       OR {name} IS NULL"
                f" AND pg_catalog.array_position({parameter}, NULL) IS NOT NULL)"
            )
        conditions.append(Sql(condition))
    return Sql(f"\n{indent}WHERE " + f"\n{indent}  AND ".join(conditions))


def _insert_arguments(step: StepState) -> list[Argument]:
    """An array of values per column but the tenant column, which is the caller's tenant."""
    return [
        Argument(c.name, argument_type(c.type, array=True))
        for c in step.columns
        if c.name != step.tenant_column
    ]


def _insert(step: StepState, names_: dict[str, Sql], begin: Sql, cap_check: Sql, table: Sql) -> Sql:
    """One row per element of the value arrays; the tenant column is the caller's tenant."""
    given = [c for c in step.columns if c.name != step.tenant_column]
    position = {c.name: Sql(f"${i + 2}") for i, c in enumerate(given)}
    values = [
        Sql("v_tenant") if c.name == step.tenant_column else Sql(f"v.{ident(c.name)}")
        for c in step.columns
    ]
    checks: list[Sql] = []
    if given:
        first = position[given[0].name]
        checks.append(_macro("insert_cap", **names_, first=first, cap=step.max_rows))
        checks.extend(
            _macro(
                "insert_length", **names_, first=first, parameter=position[c.name],
                reason=literal(
                    f"every column needs one value per row: {c.name} has not as many values "
                    f"as {given[0].name}"
                ),
            )
            for c in given[1:]
        )  # fmt: skip
        unnest = join(Sql(f"pg_catalog.unnest({position[c.name]})") for c in given)
        aliases = idents(c.name for c in given)
        source = Sql(f"SELECT {join(values)}\n  FROM ROWS FROM ({unnest}) AS v({aliases})")
        tail = Sql("")
    else:
        source, tail = Sql("VALUES "), Sql(f"({join(values)})")
    return _macro(
        "step_insert", begin=begin, table=table, names=idents(c.name for c in step.columns),
        source=source, values=tail, checks=checks, cap_check=cap_check,
    )  # fmt: skip
