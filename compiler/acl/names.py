"""The database names an agent's steps are called by, shared by the SQL the compiler writes
and the runtime that calls it (`compiler.runtime`), so the two cannot disagree.

Every step of a workflow is a function in the API schema named `<workflow>.<step>` (cut to
PostgreSQL's 63 bytes with a hash suffix when longer). A query step's where-columns are
parameters named `where.<column>`, its other columns parameters named as the column; a
column name never holds '.', so the two kinds cannot collide. A tool step that needs a
person's approval takes the tool's arguments (jsonb), which the approval is bound to.
"""

from __future__ import annotations

import hashlib

API_SCHEMA = "paybill_api"
START_RUN = "start_run"
FINISH_RUN = "finish_run"
APPROVAL = "approval"
APPROVE = "approve"
RUN_PARAMETER = "run"
TOOL_ARGUMENTS = "arguments"  # a tool step's parameter when a person must approve the call
REFUSED_SQLSTATE = "PB403"  # every refusal of a run or step function
_MAX_BYTES = 63  # PostgreSQL's NAMEDATALEN - 1
_SUFFIX_HEX = 8


def cut(name: str) -> str:
    """`name`, or when longer than 63 bytes its first bytes, '_' and 8 hex digits of the
    SHA-256 of the whole name (two long names stay distinct)."""
    if len(name.encode()) <= _MAX_BYTES:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:_SUFFIX_HEX]
    keep = _MAX_BYTES - _SUFFIX_HEX - 1
    return f"{name.encode()[:keep].decode(errors='ignore')}_{digest}"


def step_function(workflow: str, step: str) -> str:
    return cut(f"{workflow}.{step}")


def where_parameter(column: str) -> str:
    return cut(f"where.{column}")
