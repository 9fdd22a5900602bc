"""Stacks that plan cannot run terraform for: their provider is not installed here.

A stack of Azure, Google Cloud, Oracle Cloud or IBM Cloud needs that cloud's provider.
Where no plugin mirror or cache holds it and the registry is out of reach, `terraform
init` would fail with a message about packages. So plan looks first. Each such stack is
not planned, and it is never reported as "no changes". The summary and `plan.json` say
"schema-checked only: provider <name> not installed" for it, because the compiler's schema
check is then the only check its configuration had. The plan then exits 3 (environment),
like any other missing tool, and a CI check goes red with the note in its comment.

The providers are read from the stack's own pins (`terraform.required_providers` of its
root and of the modules it calls), so no cloud is named here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import orjson

from compiler.operate.stacks import StackPlan, configuration
from compiler.operate.summary import Section, count, names
from compiler.terraform.installed import missing_note, not_installed
from compiler.terraform.providers import Provider, pins

Read = Callable[[str], bytes | None]


def stack_pins(read: Read, stack: str) -> set[Provider]:
    """The providers a stack's root and its modules pin, as read from one output."""
    found = configuration(read, stack)
    if found is None:
        return set()
    root, modules = found
    out: set[Provider] = set()
    for document in (root, *modules.values()):
        try:
            out |= pins(orjson.loads(document))
        except orjson.JSONDecodeError:
            continue  # terraform's own message is the better one, where it runs
    return out


def missing(
    read: Read, stack: str, unreachable: Callable[[], str | None] | None = None
) -> list[Provider]:
    """The providers of the stack (as `read` has it) that terraform cannot get here."""
    return not_installed(stack_pins(read, stack), unreachable=unreachable)


def mark(
    stacks: Mapping[str, StackPlan],
    head: Read,
    base: Read,
    unreachable: Callable[[], str | None] | None = None,
) -> None:
    """Set `not_installed` on each stack whose providers terraform cannot get here. A
    stack waiting for an upstream wave is marked too: it could not be planned after that
    wave either. It is then listed as not planned, not as planned later."""
    for item in stacks.values():
        found = missing(base if item.change == "removed" else head, item.stack, unreachable)
        if found:
            item.not_installed = [f"{p.source} {p.version}" for p in found]
            item.note = missing_note(found)
            item.deferred_after = None
            item.because = []


def section(stacks: Mapping[str, StackPlan]) -> Section:
    """A section of its own, kept in the comment whatever its length: nobody should read
    the check as green without it."""
    found = {s: p.note for s, p in stacks.items() if p.not_installed}
    if not found:
        return Section("Stacks not planned")
    intro = (
        "Terraform did not run for these stacks: their configuration was only checked "
        "against the provider's schema when it was compiled. Install the provider (a "
        "plugin mirror, the plugin cache, or network access to the registry) and plan "
        "again (exit 3).\n"
    )
    by_note: dict[str, list[str]] = {}
    for stack, note in found.items():
        by_note.setdefault(note, []).append(stack)
    grouped = [f"- {count(len(s), 'stack')}, {note}: {names(s)}" for note, s in by_note.items()]
    return Section(
        "Stacks not planned",
        [intro, *(f"- `{s}`: {note} (not planned)" for s, note in found.items())],
        keep=True,
        shorter=[[intro, *grouped]],
    )
