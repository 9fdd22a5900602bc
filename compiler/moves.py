"""A migration, planned: a tenant moving from one home to another, in the order it runs.

Pure (homes in, steps out), so every side that speaks of a migration says the same: the
compiler's confirmation, `paybill plan`'s summary and `paybill apply`'s steps (through
`compiler.operate.migrations`), and the billing pull request of a plan change that moves a
tenant (`compiler.billing.migration`).
"""

from __future__ import annotations

from dataclasses import dataclass

from compiler.homes import Confirmed, Home, default_stack, move_kinds, sql_target, stack_of

STEPS = ("create", "copy", "switch", "retire")


@dataclass(frozen=True)
class Step:
    name: str  # one of STEPS
    text: str  # for people


@dataclass(frozen=True)
class Migration:
    tenant: str
    source: Home
    target: Home
    written: Confirmed | None  # the head spec's migration block, whatever it says
    moved_before: bool = False  # applied by an earlier change: only the retirement is left
    # The tenant's stack in each home ("": `tenant-<name>`); it names its own database too.
    source_stack: str = ""
    target_stack: str = ""

    @property
    def old_stack_name(self) -> str:
        return self.source_stack or default_stack(self.tenant)

    @property
    def new_stack_name(self) -> str:
        return self.target_stack or default_stack(self.tenant)

    @property
    def kinds(self) -> tuple[str, ...]:
        return () if self.moved_before else move_kinds(self.source, self.target)

    @property
    def wanted(self) -> Confirmed:
        """The block that confirms this move (the first confirmation)."""
        return Confirmed(self.source.key, self.target.key)

    @property
    def confirmed(self) -> bool:
        w = self.written
        return w is not None and (w.source, w.target) == (self.source.key, self.target.key)

    @property
    def retire(self) -> bool:
        """Whether the second confirmation lets apply retire the old home."""
        return self.confirmed and self.written is not None and self.written.retire_old

    @property
    def old_target(self) -> str:
        return sql_target(self.source, self.old_stack_name)

    @property
    def new_target(self) -> str:
        return sql_target(self.target, self.new_stack_name)

    @property
    def old_stack(self) -> str | None:
        """The old home's stack with its database, or None when it was a pool's (pooled)."""
        return stack_of(self.source, self.old_stack_name)

    @property
    def new_stack(self) -> str | None:
        return stack_of(self.target, self.new_stack_name)

    def not_here(self) -> str | None:
        """Why apply cannot run this migration, or None when it can."""
        if self.old_stack is None or self.moved_before:
            return None  # out of a pool: its database stays, the new home is beside it
        if self.old_stack == self.new_stack_name:
            return (
                f"both homes are stack {self.old_stack} and database {self.old_target}: the "
                "new home cannot be built beside the old under the same names (apply never "
                "updates a home in place); the tenant's spec must name the new home's stack "
                "with 'stack:'"
            )
        return None

    def steps(self) -> list[Step]:
        steps = [
            Step("create", f"create the new home beside the old: {self._made()}"),
            Step(
                "copy",
                f"copy the data: each of the tenant's tables, in dependency order, from "
                f"database {self.old_target} to {self.new_target}; rows counted on both sides "
                "before the switch (a mismatch stops the migration with both counts)",
            ),
            Step(
                "switch",
                f"switch: the tenant's records, routing, ACL and entitlements name "
                f"{self.target.key}",
            ),
            Step("retire", f"retire the old home {self.source.key}: {self._retired()}"),
        ]
        return steps[3:] if self.moved_before else steps

    def kept(self) -> list[str]:
        """What the migration keeps: the old home until the second confirmation, then what
        is left of it."""
        if not self.retire:
            return [
                f"the old home {self.source.key} ({self._left()}), untouched, until the spec "
                "adds 'retireOld: true' to its migration block"
            ]
        if self.old_stack is None:
            return [
                f"a dump of the tenant's rows in {self.old_target}, taken before they are "
                f"deleted: migrations/{self.tenant}/{self.old_target}.sql in the working folder"
            ]
        return [f"the final snapshot of the old database {self.old_target}, and its KMS key"]

    def _retired(self) -> str:
        if self.old_stack is None:
            what = f"the tenant's rows deleted from {self.old_target} after a dump of them"
        else:
            what = f"stack {self.old_stack} destroyed, its database's final snapshot kept"
        if self.retire:
            return f"{what} (confirmed: retireOld)"
        return f"{what}, only after the second confirmation, 'retireOld: true'"

    def _made(self) -> str:
        if self.new_stack is None:
            return (
                f"{self.target.key}: the tenant's roles and row-level security policies in the "
                f"pool's database {self.new_target}"
            )
        return f"{self.target.key}: stack {self.new_stack} with its own database {self.new_target}"

    def _left(self) -> str:
        if self.old_stack is None:
            return f"the tenant's rows in the pool's database {self.old_target}"
        return f"stack {self.old_stack} and its database {self.old_target}"

    def to_json(self) -> dict[str, object]:
        return {
            "tenant": self.tenant,
            "from": self.source.key,
            "to": self.target.key,
            "kinds": list(self.kinds),
            "steps": [{"step": s.name, "what": s.text} for s in self.steps()],
            "kept": self.kept(),
            "confirmation": self.wanted.block(),
            "confirmed": self.confirmed,
            "retireOld": self.retire,
            "fromStack": self.old_stack_name,
            "toStack": self.new_stack_name,
            "notApplicable": self.not_here(),
        }
