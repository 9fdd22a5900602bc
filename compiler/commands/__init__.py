"""The command table: each command's name, its line in `paybill --help`, and its module.

A command's module is imported only when that command is chosen on the command line, and
it imports what the command uses at its top: `paybill --version` and `paybill --help` import
no command module, and `paybill validate` never loads the PostgreSQL driver or the Terraform
runners that `plan` needs (tests/test_imports.py holds every command to that).

Adding a command is one line here and one module, `compiler/commands/<name>.py`, with
`configure(parser)`: it sets the parser's description, adds the arguments and sets `run`
(`parser.set_defaults(run=...)`), which receives the parsed arguments and returns the exit
code.
"""

from __future__ import annotations

import argparse
import importlib
from dataclasses import dataclass


@dataclass(frozen=True)
class Command:
    name: str
    help: str  # one line, shown by `paybill --help`

    @property
    def module(self) -> str:
        return f"compiler.commands.{self.name}"

    def configure(self, parser: argparse.ArgumentParser) -> None:
        """Import the command's module and let it add its arguments to `parser`."""
        importlib.import_module(self.module).configure(parser)


COMMANDS: tuple[Command, ...] = (
    Command("validate", "check a spec folder and report every problem with file:line:column"),
    Command(
        "compile", "write stacks, SQL, ACLs and the manifest (or --check that they are current)"
    ),
    Command("graph", "print the dependency graph (stacks, SQL targets, ACLs) and its apply waves"),
    Command("plan", "what a change will do: tenants, infrastructure, databases, agent permissions"),
    Command(
        "apply", "apply the compiled output in dependency waves (stacks, databases, ACL files)"
    ),
    Command(
        "drift", "does what runs still match the compiled output? (stacks, databases, ACL files)"
    ),
    Command("sandbox", "a local AWS emulator and PostgreSQL for plan, apply and drift"),
    Command("describe", "show the resolved view of one document (e.g. Tenant/acme)"),
    Command("schema", "write the JSON Schemas of the spec language (for editors and CI)"),
    Command("acl", "ask the compiled agent ACLs whether an agent may run a workflow step"),
    Command("sql", "compare a live PostgreSQL with a compiled SQL target, or converge it"),
    Command("init", "make a new platform repository: spec/, generated/, schemas/, CI workflows"),
    Command(
        "doctor", "which outside tools (node, terraform, ...) are here and which commands need them"
    ),
    Command("billing", "receive billing webhooks and propose their changes as pull requests"),
)
