"""Each command imports what it uses and nothing heavy that it does not.

Every check runs the command in a fresh Python process and lists the modules loaded when it
ends, so a new top-level import anywhere on a command's path (a command module, the pipeline,
a package's `__init__`) fails here. `--help` of a command loads its module and its
arguments; the real runs below also load what the command does.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import pytest

from compiler.cli import main
from compiler.commands import COMMANDS, Command
from tests.support.tools import REPO

# The PostgreSQL driver, CDK for Terraform and its JavaScript bridge, the AWS SDK and the
# emulator, and the layers that operate what was compiled.
DRIVERS = ("psycopg", "cdktn", "jsii", "constructs", "boto3", "botocore", "moto")
OPERATE = ("compiler.operate", "compiler.terraform", "compiler.sandbox", "compiler.sqlops")
# What a compile needs after resolving; commands that stop at resolving load none of it.
LATER_STAGES = ("compiler.graph", "compiler.emit", "compiler.write", "jinja2")
# The emitters and their templates: a compile's alone.
EMITTERS = ("compiler.emit.families", "compiler.emit.sql", "compiler.emit.stacks", "jinja2")
SPEC_STAGES = ("compiler.pipeline", "compiler.load", "compiler.dsl", "compiler.resolve")
# The billing receiver's HTTP stack, the providers' SDKs and the round-trip YAML editor.
BILLING = ("compiler.billing", "stripe", "orb", "httpx", "jwt", "starlette", "uvicorn", "ruamel")

# command -> what it must not import (its module loaded and its arguments added).
NOT_AT_HELP: dict[str, tuple[str, ...]] = {
    "validate": DRIVERS + OPERATE + EMITTERS + BILLING,
    "describe": DRIVERS + OPERATE + EMITTERS + BILLING,
    "graph": DRIVERS + OPERATE + EMITTERS + BILLING,
    "schema": DRIVERS + OPERATE + LATER_STAGES + ("compiler.pipeline", "compiler.resolve"),
    "compile": DRIVERS + OPERATE + BILLING,
    "init": DRIVERS + OPERATE,
    "acl": DRIVERS + OPERATE + LATER_STAGES + SPEC_STAGES + ("compiler.acl",),
    "sql": DRIVERS + OPERATE + LATER_STAGES + SPEC_STAGES,
    "plan": ("cdktn", "jsii", "constructs", "moto", "compiler.sandbox"),
    "apply": ("cdktn", "jsii", "constructs", "moto", "compiler.sandbox"),
    "drift": ("cdktn", "jsii", "constructs", "moto", "compiler.sandbox"),
    "sandbox": (
        *("cdktn", "jsii", "constructs", "compiler.operate", "compiler.terraform"),
        *LATER_STAGES,
        *SPEC_STAGES,
    ),
    "doctor": ("cdktn", "jsii", "constructs", "moto", "compiler.operate", "compiler.sqlops"),
    "billing": DRIVERS + OPERATE + LATER_STAGES + BILLING,
}

# Only these of the compiler are loaded by `paybill --version` and `paybill --help`.
START = {"compiler", "compiler.cli", "compiler.commands", "compiler.errors"}

SCRIPT = """
import json, sys
from compiler.cli import main
try:
    code = main(sys.argv[1:])
except SystemExit as exit:
    code = exit.code
print("MODULES " + json.dumps(sorted(sys.modules)))
"""


def modules_of(*argv: str, cwd: Path = REPO) -> set[str]:
    """The modules loaded by `paybill ARGV` run in a fresh process, once it has finished."""
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, *argv],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )
    line = next((x for x in done.stdout.splitlines() if x.startswith("MODULES ")), None)
    assert line is not None, done.stderr
    return set(json.loads(line.removeprefix("MODULES ")))


def loaded(modules: set[str], packages: tuple[str, ...]) -> list[str]:
    """Which of `packages` (a package counts with all its modules) were loaded."""
    return sorted(p for p in packages if any(m == p or m.startswith(f"{p}.") for m in modules))


def test_every_command_has_a_rule() -> None:
    assert {c.name for c in COMMANDS} == set(NOT_AT_HELP)


@pytest.mark.parametrize("argv", [("--version",), ("--help",)], ids=" ".join)
def test_version_and_help_load_no_command(argv: tuple[str, ...]) -> None:
    modules = modules_of(*argv)
    assert {m for m in modules if m.split(".")[0] == "compiler"} <= START
    assert loaded(modules, DRIVERS + OPERATE + SPEC_STAGES + LATER_STAGES) == []


@pytest.mark.parametrize("command", sorted(NOT_AT_HELP))
def test_a_command_loads_only_its_own_module(command: str) -> None:
    modules = modules_of(command, "--help")
    assert f"compiler.commands.{command}" in modules
    others = {f"compiler.commands.{c.name}" for c in COMMANDS} - {f"compiler.commands.{command}"}
    assert sorted(modules & others) == []
    assert loaded(modules, NOT_AT_HELP[command]) == []


RUNS = [
    (("validate", "spec"), DRIVERS + OPERATE + EMITTERS),
    (("describe", "Tenant/initech", "spec"), DRIVERS + OPERATE + EMITTERS),
    (("graph", "spec"), DRIVERS + OPERATE + EMITTERS),
    (("compile", "spec", "--out", "generated", "--check"), DRIVERS + OPERATE),
    (
        ("acl", "check", "initech", "support-triage", "ticket-triage", "classify"),
        DRIVERS + OPERATE + LATER_STAGES + SPEC_STAGES,
    ),
]


@pytest.mark.parametrize(
    ("argv", "forbidden"), [pytest.param(*run, id=" ".join(run[0])) for run in RUNS]
)
def test_a_command_run_loads_nothing_it_does_not_use(
    argv: tuple[str, ...], forbidden: tuple[str, ...]
) -> None:
    """Run for real on this repository's spec/ and generated/: `compile --check` of a
    current output synthesizes nothing, so CDK for Terraform is not even loaded."""
    assert loaded(modules_of(*argv), forbidden) == []


def test_help_lists_every_command_with_its_line(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--help"])
    assert exited.value.code == 0
    shown = " ".join(capsys.readouterr().out.split())
    for command in COMMANDS:
        assert f" {command.name} {command.help} " in shown


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c.name)
def test_each_command_configures_its_parser(command: Command) -> None:
    """What `paybill COMMAND --help` shows and what runs: a description, and `run` (on the
    command, or on each of its own subcommands)."""
    parser = argparse.ArgumentParser(prog=f"paybill {command.name}")
    command.configure(parser)
    assert parser.description
    assert len(parser.description) > len("Do it.")
    actions = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    parsers = [p for a in actions for p in a.choices.values()] or [parser]
    assert all(callable(p.get_default("run")) for p in parsers)
