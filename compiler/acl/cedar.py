"""Ask the generated Cedar policy set the questions `authorize` answers from the JSON ACL.

For teams that already run a Cedar engine, and for the tests that prove both give the same
answers. One request of `authorize` becomes several Cedar requests, one per thing touched:

* a query: `<operation>` on `Table::"<table>"`, `<operation>` on each
  `Column::"<table>.<column>"` it reads or writes, and `filter` on each where-column
  (context `operation` too); every one carries `rows`, the query's row bound (0 when the
  request gives none, which leaves the cap to the runtime, as `authorize` does), so a
  where-column is within the step's shape only within its row cap, as in the JSON ACL;
* a tool call: `call` on `Tool::"<tool>"`.

The request is allowed only if Cedar allows every one of them. A step asked about without
an action is not a Cedar question: Cedar decides on what is touched, not on step names.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import cedarpy

from compiler.acl.decide import Action, Query, ToolCall

NAMESPACE = "Paybill"


def _uid(kind: str, name: str) -> dict[str, str]:
    return {"type": f"{NAMESPACE}::{kind}", "id": name}


def cedar_requests(
    tenant: str, agent: str, workflow: str, step: str, action: Action, *, approved: bool = False
) -> list[dict[str, Any]]:
    """The Cedar requests that together ask what `authorize(..., action)` asks."""
    principal = _uid("Agent", f"{tenant}/{agent}")
    base = {"workflow": workflow, "step": step, "approved": approved}

    def ask(verb: str, resource: dict[str, str], context: dict[str, Any]) -> dict[str, Any]:
        return {
            "principal": principal,
            "action": _uid("Action", verb),
            "resource": resource,
            "context": context,
        }

    if isinstance(action, ToolCall):
        return [ask("call", _uid("Tool", action.tool), base)]
    assert isinstance(action, Query)
    statement = {**base, "rows": action.rows if action.rows is not None else 0}
    table = action.table
    out = [ask(action.operation, _uid("Table", table), statement)]
    out.extend(
        ask(action.operation, _uid("Column", f"{table}.{c}"), statement) for c in action.columns
    )
    where = {**statement, "operation": action.operation}
    out.extend(ask("filter", _uid("Column", f"{table}.{c}"), where) for c in action.where)
    return out


class CedarAcl:
    """The generated `acl/cedar/` folder, parsed once: schema, policies and entities (the
    platform's and those of the given tenants, or of every tenant)."""

    def __init__(
        self, folder: str | os.PathLike[str], tenants: Iterable[str] | None = None
    ) -> None:
        root = Path(folder)
        self.schema = cedarpy.Schema.from_str((root / "schema.cedarschema").read_text())
        self.policies = cedarpy.PolicySet.from_str((root / "policies.cedar").read_text())
        files = [root / "platform.entities.json"]
        if tenants is None:
            files.extend(sorted((root / "tenants").glob("*.entities.json")))
        else:
            files.extend(root / "tenants" / f"{t}.entities.json" for t in sorted(tenants))
        self.entities = cedarpy.Entities.from_json_str(_concat(files), schema=self.schema)

    def results(
        self,
        tenant: str,
        agent: str,
        workflow: str,
        step: str,
        action: Action,
        *,
        approved: bool = False,
    ) -> list[cedarpy.AuthzResult]:
        """Cedar's answer to each request of `cedar_requests`, with its diagnostics."""
        requests = cedar_requests(tenant, agent, workflow, step, action, approved=approved)
        return cedarpy.is_authorized_batch(
            requests, self.policies, self.entities, schema=self.schema
        )

    def is_authorized(
        self,
        tenant: str,
        agent: str,
        workflow: str,
        step: str,
        action: Action,
        *,
        approved: bool = False,
    ) -> bool:
        """True when Cedar allows everything the request touches."""
        results = self.results(tenant, agent, workflow, step, action, approved=approved)
        return all(r.allowed for r in results)


def _concat(files: list[Path]) -> str:
    """One JSON array of the entities of several files (a missing tenant file adds none)."""
    entities: list[Any] = []
    for path in files:
        if path.is_file():
            entities.extend(json.loads(path.read_bytes()))
    return json.dumps(entities)
