"""The steps behind one object: what plan, apply and drift call for each stack.

    tf = Terraform()                          # finds the binary (TerraformMissing if none)
    copy = Workspace(root).checkout("pool-eu", generated / "stacks/pool-eu", override)
    tf.init(copy)
    plan = tf.plan(copy)                      # plan -out + show -json -> typed Plan
    if plan.changed and not plan.destructive:
        tf.apply(copy, plan)

Every method runs one stack and blocks; run stacks in parallel with threads (terraform does
the work in its own processes). Each raises a `TerraformError` with terraform's message.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from compiler.terraform import apply, init, output, plan, show, targeted
from compiler.terraform.changes import Plan
from compiler.terraform.executor import Executor, Subprocess
from compiler.terraform.output import Output
from compiler.terraform.workspace import WorkingCopy


@dataclass(frozen=True)
class Terraform:
    """How to run terraform: the executor, the state-lock wait and a per-command limit."""

    executor: Executor = field(default_factory=Subprocess.found)
    lock_timeout: float = 60.0
    timeout: float | None = None

    def in_background(self) -> Terraform:
        """The same, its commands at a lower CPU priority (the real binary only)."""
        if isinstance(self.executor, Subprocess):
            return replace(self, executor=self.executor.in_background())
        return self

    def init(self, copy: WorkingCopy, backend_config: Path | None = None) -> None:
        """Install providers and set up the backend (`backend_config`: a `*.tfbackend`
        file of settings merged into the stack's backend block, e.g. the emulator's)."""
        init.init(
            self.executor,
            copy,
            backend_config=backend_config,
            lock_timeout=self.lock_timeout,
            timeout=self.timeout,
        )

    def plan(
        self,
        copy: WorkingCopy,
        *,
        out: Path | None = None,
        variables: Mapping[str, str] | None = None,
        refresh_only: bool = False,
        destroy: bool = False,
    ) -> Plan:
        """Plan (refreshing first) and save it; the typed plan says what would change.

        A plan that exits 0 under `-detailed-exitcode` changes nothing and found nothing
        changed outside terraform (terraform exits 2 for either, since its refreshed state
        would then differ from the stored one): its typed plan is empty, without running
        `show` (which loads the provider: seconds of CPU per stack, the most of a drift
        check of unchanged stacks)."""
        planned = plan.plan(
            self.executor,
            copy,
            out=out,
            variables=variables,
            refresh_only=refresh_only,
            destroy=destroy,
            lock_timeout=self.lock_timeout,
            timeout=self.timeout,
        )
        if not planned.changed:
            return show.unchanged(copy, planned.file)
        return show.show(
            self.executor,
            copy,
            planned.file,
            changed=planned.changed,
            refresh_only=planned.refresh_only,
            keep=True,
            timeout=self.timeout,
        )

    def show(self, copy: WorkingCopy, file: Path) -> Plan:
        """A plan saved earlier (by `plan`, maybe in another run), read back: from the JSON
        `plan` kept beside it when that was made from exactly this file."""
        return show.show(self.executor, copy, file, timeout=self.timeout)

    def apply(self, copy: WorkingCopy, saved: Plan | Path) -> None:
        """Apply a saved plan exactly as planned."""
        file = saved.file if isinstance(saved, Plan) else saved
        apply.apply(self.executor, copy, file, lock_timeout=self.lock_timeout, timeout=self.timeout)

    def output(self, copy: WorkingCopy) -> dict[str, Output]:
        return output.output(self.executor, copy, timeout=self.timeout)

    def apply_targets(self, copy: WorkingCopy, addresses: list[str]) -> None:
        """Apply the current configuration to these resources only (no saved plan)."""
        targeted.apply_targets(
            self.executor, copy, addresses, lock_timeout=self.lock_timeout, timeout=self.timeout
        )

    def forget(self, copy: WorkingCopy, addresses: list[str]) -> None:
        """Remove resources from the state without deleting them."""
        targeted.state_rm(
            self.executor, copy, addresses, lock_timeout=self.lock_timeout, timeout=self.timeout
        )

    def resources(self, copy: WorkingCopy) -> list[str]:
        """The addresses in the stack's state."""
        return targeted.state_list(self.executor, copy, timeout=self.timeout)
