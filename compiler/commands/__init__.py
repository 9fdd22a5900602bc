"""One module per command; each exposes `register(subparsers)` and sets `run` on its parser."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from compiler.commands import (
    acl,
    apply,
    billing,
    compile,
    describe,
    doctor,
    drift,
    graph,
    init,
    plan,
    sandbox,
    schema,
    sql,
    validate,
)

Register = Callable[["argparse._SubParsersAction[argparse.ArgumentParser]"], None]

COMMANDS: tuple[Register, ...] = (
    validate.register,
    compile.register,
    graph.register,
    plan.register,
    apply.register,
    drift.register,
    sandbox.register,
    describe.register,
    schema.register,
    acl.register,
    sql.register,
    init.register,
    doctor.register,
    billing.register,
)
