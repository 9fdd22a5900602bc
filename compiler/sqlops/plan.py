"""Desired state vs live catalogs -> the ordered changes that converge one target.

Each `Change` is one difference, with a line for people (`paybill sql drift`) and the
statements that remove it (`paybill sql apply`). Changes run in phases, so that what a
statement needs exists before it: roles, memberships, database settings, schemas, tables,
revokes, grants, functions, row-level security, policies, paybill's own rows, and last the
roles the spec no longer lists.

Some differences are reported but never changed automatically, because changing them could
lose data: a column whose type or nullability differs from the spec needs a migration
(plan_tables.py). Tables, columns and the spec's rows are never dropped.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence

from compiler.emit.sql import statements as st
from compiler.emit.sql.quote import Sql, ident, literal
from compiler.emit.sql.runs import (
    INTERNAL_SCHEMAS,
    INTERNAL_TABLES,
    schema_privileges,
    table_privileges,
)
from compiler.emit.sql.state import OWNER_COMMENT, PolicyState, TargetState
from compiler.sqlops import members, plan_runs, surface
from compiler.sqlops.catalog import LivePolicy, LiveState
from compiler.sqlops.change import (
    FUNCTIONS,
    GRANTS,
    MEMBERS,
    POLICIES,
    RETIRE,
    REVOKES,
    RLS,
    ROLES,
    ROWS,
    SCHEMAS,
    TABLES,
    Change,
)
from compiler.sqlops.plan_tables import diff_tables, pg_type

__all__ = ["Change", "diff", "pg_type", "statements"]


def diff(state: TargetState, live: LiveState) -> list[Change]:
    tables = (*state.tables, *INTERNAL_TABLES)
    return sorted(
        [
            *_roles(state, live),
            *_memberships(state, live),
            *(
                Change(MEMBERS, key, text, sql)
                for key, text, sql in members.findings(state, live.outside, live.applier)
            ),
            *(
                Change(MEMBERS, key, text, sql)
                for key, text, sql in members.self_approvals(
                    state, live.self_approvals, {state.owner, *(r.name for r in state.roles)}
                )
            ),
            *plan_runs.diff_settings(state, live),
            *_schemas(state, live),
            *diff_tables(state, live, tables),
            *_privileges(state, live),
            *plan_runs.diff_functions(state, live),
            *_row_security(state, live),
            *_policies(state, live),
            *plan_runs.diff_rows(state, live),
            *surface.diff(state, live),
        ]
    )


def statements(state: TargetState, changes: Iterable[Change]) -> list[Sql]:
    """What `apply` runs, in order. Creating or re-owning schemas, tables and functions for
    the owner role, and writing its tables, needs the applying login to be a member of it
    (a superuser always is); giving functions to the steps role, a member of that."""
    changes = list(changes)
    owns = any(c.sql and c.phase in (SCHEMAS, TABLES, FUNCTIONS, ROWS) for c in changes)
    steps = state.role_of("steps")
    gives = steps is not None and any(c.sql and c.phase == FUNCTIONS for c in changes)
    out: list[Sql] = []
    for change in changes:
        if owns and change.sql and change.phase >= SCHEMAS:
            out.append(st.let_applier_own(state.owner))
            owns = False
        if gives and steps is not None and change.sql and change.phase == FUNCTIONS:
            out.append(st.let_applier_own(steps.name))
            gives = False
        out.extend(change.sql)
    return out


# -- roles ------------------------------------------------------------------------------
# attribute: (word when true, word when false); wanted as in statements.ROLE_OPTIONS
_ATTRIBUTES = {
    "superuser": ("SUPERUSER", "NOSUPERUSER"),
    "createdb": ("CREATEDB", "NOCREATEDB"),
    "createrole": ("CREATEROLE", "NOCREATEROLE"),
    "inherit": ("INHERIT", "NOINHERIT"),
    "login": ("LOGIN", "NOLOGIN"),
    "replication": ("REPLICATION", "NOREPLICATION"),
    "bypassrls": ("BYPASSRLS", "NOBYPASSRLS"),
}
_WANTED = {attribute: yes in st.ROLE_OPTIONS for attribute, (yes, _) in _ATTRIBUTES.items()}


def _word(attribute: str, value: bool) -> str:
    yes, no = _ATTRIBUTES[attribute]
    return yes if value else no


def _roles(state: TargetState, live: LiveState) -> Iterator[Change]:
    wanted = [(state.owner, OWNER_COMMENT), *((r.name, state.comment_of(r)) for r in state.roles)]
    for name, comment in wanted:
        role = live.roles.get(name)
        who = ident(name)
        if role is None:
            yield Change(
                ROLES,
                (name,),
                f"role {who} does not exist",
                (st.create_role(name), st.comment_on_role(name, comment)),
            )
            continue
        wrong = [a for a, want in _WANTED.items() if getattr(role, a) != want]
        if wrong:
            have = " ".join(_word(a, getattr(role, a)) for a in wrong)
            fix = [_word(a, _WANTED[a]) for a in wrong]
            yield Change(
                ROLES,
                (name,),
                f"role {who} is {have}; the spec says {' '.join(fix)}",
                (st.alter_role(name, fix),),
            )
        if role.comment != comment:
            yield Change(
                ROLES,
                (name, "comment"),
                f"role {who} is not marked as managed by paybill",
                (st.comment_on_role(name, comment),),
            )
    for name in sorted(live.retired):
        yield Change(
            RETIRE,
            (name,),
            f"role {ident(name)} is no longer in the spec: its privileges go and it is dropped",
            (st.drop_role(name),),
        )


def _memberships(state: TargetState, live: LiveState) -> Iterator[Change]:
    desired = state.memberships()
    present = set()
    for group, member, admin in sorted(live.memberships):
        if member in live.retired:
            continue  # dropping the role ends its memberships
        present.add((group, member))
        if (group, member) not in desired:
            yield Change(
                MEMBERS,
                (member, group),
                f"role {ident(member)} is a member of {ident(group)}, which the spec does not "
                "grant",
                (st.revoke_membership(group, member),),
            )
        elif admin:
            yield Change(
                MEMBERS,
                (member, group, "admin"),
                f"role {ident(member)} may grant {ident(group)} to others (ADMIN OPTION)",
                (st.revoke_admin_option(group, member),),
            )
    for group, member in sorted(desired - present):
        yield Change(
            MEMBERS,
            (member, group),
            f"role {ident(member)} is not a member of {ident(group)}",
            (st.grant_membership(group, [member]),),
        )


# -- schemas and tables -----------------------------------------------------------------
def _schemas(state: TargetState, live: LiveState) -> Iterator[Change]:
    for schema in (*state.schemas, *INTERNAL_SCHEMAS):
        owner = live.schema_owners.get(schema)
        if owner is None:
            yield Change(
                SCHEMAS,
                (schema,),
                f"schema {ident(schema)} does not exist",
                (st.create_schema(schema, state.owner),),
            )
        elif owner != state.owner:
            yield Change(
                SCHEMAS,
                (schema,),
                f"schema {ident(schema)} is owned by {ident(owner)}, not {ident(state.owner)}",
                (st.alter_schema_owner(schema, state.owner),),
            )


# -- privileges -------------------------------------------------------------------------
_ORDER = {p: i for i, p in enumerate(("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE"))}

# grantee (None: PUBLIC), schema, table (None: the schema itself), privilege, column
Key = tuple[str | None, str, str | None, str, str | None]
Make = Callable[[Sql, Sql, Sequence[str | None]], Sql]  # st.grant, st.revoke, ...


def clauses(atoms: Iterable[tuple[str, str | None]]) -> Sql:
    """(privilege, column or None) pairs -> `SELECT ("a", "b"), DELETE`."""
    whole: set[str] = set()
    columns: dict[str, set[str]] = defaultdict(set)
    for privilege, column in atoms:
        if column is None:
            whole.add(privilege)
        else:
            columns[privilege].add(column)
    rank = lambda p: (_ORDER.get(p, len(_ORDER)), p)  # noqa: E731
    parts = [st.privilege_clause(p) for p in sorted(whole, key=rank)]
    parts.extend(st.privilege_clause(p, sorted(columns[p])) for p in sorted(columns, key=rank))
    return st.privileges_clause(parts)


def _who(grantee: str | None) -> str:
    return "PUBLIC" if grantee is None else ident(grantee)


def _privileges(state: TargetState, live: LiveState) -> Iterator[Change]:
    """Table, column and schema privileges of managed roles and PUBLIC. Revokes first: a
    whole-table REVOKE also removes that privilege's column grants, so column grants the
    spec wants are granted again afterwards."""
    desired: set[Key] = {(a.role, a.schema, a.table, a.privilege, a.column) for a in state.atoms()}
    desired |= {(role, schema, None, "USAGE", None) for role, schema in state.usage()}
    desired |= {(r, schema, None, p, None) for r, schema, p in schema_privileges(state.roles)}
    desired |= table_privileges(state.roles)
    found: set[tuple[Key, bool]] = {
        ((g, s, t, p, c), option) for g, s, t, p, c, option in live.table_privileges
    }
    found |= {((g, s, None, p, None), option) for g, s, p, option in live.schema_privileges}
    present: set[Key] = {key for key, _ in found}
    extra = present - desired
    cleared = {k[:4] for k in extra if k[2] is not None and k[4] is None}
    after = {k for k in present - extra if k[4] is None or k[:4] not in cleared}
    grantable = {key for key, option in found if option} & after
    yield from _grouped(extra, REVOKES, "has {p} on {o}, which the spec does not grant", st.revoke)
    yield from _grouped(
        grantable,
        REVOKES,
        "may grant {p} on {o} to others (WITH GRANT OPTION)",
        st.revoke_grant_option,
    )
    yield from _grouped(desired - after, GRANTS, "lacks {p} on {o}", st.grant)


def _grouped(keys: set[Key], phase: int, text: str, make: Make) -> Iterator[Change]:
    """One change per grantee and object, with all its privileges in one statement."""
    groups: dict[tuple[str, str, str], list[tuple[str, str | None]]] = defaultdict(list)
    for grantee, schema, table, privilege, column in keys:
        groups[(schema, table or "", grantee or "")].append((privilege, column))
    for (schema, table, grantee), atoms in sorted(groups.items()):
        privileges = clauses(atoms)
        shown = st.table_name(schema, table) if table else f"schema {ident(schema)}"
        target = st.on_table(schema, table) if table else st.on_schema(schema)
        yield Change(
            phase,
            (schema, table, grantee, text),
            f"{_who(grantee or None)} " + text.format(p=privileges, o=shown),
            (make(privileges, target, [grantee or None]),),
        )


# -- row-level security -----------------------------------------------------------------
# flag: (how it reads when on, when off), (statement to turn it on, off)
_RLS_FLAGS = {
    "enable": (("on", "off"), ("ENABLE", "DISABLE")),
    "force": (("forced", "not forced"), ("FORCE", "NO FORCE")),
}


def _row_security(state: TargetState, live: LiveState) -> Iterator[Change]:
    for table in (*state.tables, *INTERNAL_TABLES):
        found = live.tables.get(table.key)
        have = {
            "enable": found.rls_enabled if found else False,
            "force": found.rls_forced if found else False,
        }
        name = st.table_name(table.schema, table.name)
        want = table.row_security
        for flag, ((on, off), (turn_on, turn_off)) in _RLS_FLAGS.items():
            if have[flag] != want:
                yield Change(
                    RLS,
                    (*table.key, flag),
                    f"row-level security on {name} is {on if have[flag] else off}; the spec "
                    f"says {on if want else off}",
                    (st.row_security(table.schema, table.name, turn_on if want else turn_off),),
                )


def _policies(state: TargetState, live: LiveState) -> Iterator[Change]:
    """Policies on managed tables are all ours: one that the spec does not list is dropped
    (policies are permissive by default, so a hand-made one could only widen access)."""
    desired = {(p.schema, p.table, p.name): p for p in state.policies}
    managed = {t.key for t in (*state.tables, *INTERNAL_TABLES)}
    for key, found in sorted(live.policies.items()):
        if key[:2] not in managed:
            continue
        name = f"policy {ident(key[2])} on {st.table_name(key[0], key[1])}"
        want = desired.get(key)
        drop = st.drop_policy(key[0], key[1], key[2])
        if want is None:
            yield Change(POLICIES, key, f"{name} is not in the spec", (drop,))
        elif problem := _policy_problem(want, found, live.tenant_column):
            yield Change(
                POLICIES,
                key,
                f"{name} {problem}",
                (drop, st.create_policy(want, state.tenant_column)),
            )
    for key, want in sorted(desired.items()):
        if key not in live.policies:
            yield Change(
                POLICIES,
                key,
                f"policy {ident(key[2])} on {st.table_name(key[0], key[1])} does not exist",
                (st.create_policy(want, state.tenant_column),),
            )


def _policy_problem(want: PolicyState, found: LivePolicy, column: str) -> str:
    """Why a live policy is not the one the spec wants ('' when it is)."""
    tenant = literal(want.tenant) + "::text"
    bound = f"the literal tenant id {literal(want.tenant)}"
    if want.bound == "caller":
        # As pg_get_expr prints statements.CALLER_TENANT (search_path = pg_catalog).
        tenant = (
            "( SELECT a.tenant\n   FROM paybill.agents a\n  WHERE (a.role = paybill.caller_role()))"
        )
        bound = "the calling agent's tenant (paybill.caller_role())"
    accepted = {f"({column} = {tenant})", f"(({column})::text = {tenant})"}
    if found.command != "*":
        return f"applies to one command ({found.command}), not to all"
    if not found.permissive:
        return "is restrictive, not permissive"
    if found.roles != frozenset(want.roles):
        names = ", ".join(sorted(found.roles))
        return f"names roles {names}; the spec names {', '.join(want.roles)}"
    if found.using not in accepted or found.check not in accepted:
        return f"has USING {found.using} WITH CHECK {found.check}; the spec binds it to {bound}"
    return ""
