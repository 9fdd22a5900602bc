"""Functions as catalog objects: who owns them, dropping them, and which ones the files keep.
(What a function is and does, its CREATE, is `compiler.emit.sql.functions`.)"""

from __future__ import annotations

from collections.abc import Sequence

from compiler.emit.sql.quote import Sql, ident, literal, spread
from compiler.emit.sql.statements.template import BLOCK, call, literals

# What a function is, beyond its body, as one text computed from pg_proc: each argument's
# mode (i: input, t: a column of RETURNS TABLE), name and type, then the result type, and
# its SHA-256 in hex (`functions.Function.shape_digest`), to keep lines short. Two
# functions of one name and shape can be replaced one by the other (CREATE OR REPLACE);
# otherwise the old one is dropped first. With search_path = pg_catalog, types of paybill's
# schemas print qualified (`paybill.agents`).
FUNCTION_SHAPE = Sql(
    """pg_catalog.encode(pg_catalog.sha256(pg_catalog.convert_to(pg_catalog.array_to_string(ARRAY(
        SELECT COALESCE(p.proargmodes[k.i]::text, 'i') || ':' || COALESCE(p.proargnames[k.i], '')
               || ':' || pg_catalog.format_type(k.t, NULL)
        FROM pg_catalog.unnest(COALESCE(p.proallargtypes, p.proargtypes::pg_catalog.oid[]))
             WITH ORDINALITY AS k(t, i)
        ORDER BY k.i), ',')
      || '->' || pg_catalog.format_type(p.prorettype, NULL)
      || CASE WHEN p.proretset THEN ' setof' ELSE '' END, 'UTF8')), 'hex')"""
)


def alter_function_owner(signature: Sql, owner: str) -> Sql:
    return call("alter_function_owner", function=signature, owner=ident(owner))


def alter_functions_owner(signatures: Sequence[Sql], owner: str) -> Sql:
    """`alter_function_owner` of each of `signatures` (already quoted), in one loop."""
    return call(
        "alter_functions_owner",
        functions=Sql(f"ARRAY[{literals(signatures)}]::text[]"),
        owner=literal(owner),
    )


def drop_function(signature: Sql) -> Sql:
    return call("drop_function", function=signature)


def keep_functions(schemas: Sequence[str], keep: Sequence[tuple[str, str, str]]) -> Sql:
    """Drop every function of `schemas` that is not one of `keep` ((schema, name, shape)):
    what the spec no longer has, and old versions whose shape changed."""
    rows = spread(
        (Sql(f"({literal(a)}, {literal(b)}, {literal(c)})") for a, b, c in sorted(keep)),
        indent=BLOCK,
    )
    return call(
        "keep_functions", schemas=literals(sorted(schemas)), shape=FUNCTION_SHAPE, keep=rows
    )
