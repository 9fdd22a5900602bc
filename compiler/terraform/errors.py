"""What can go wrong running terraform, as errors for people.

Every class is an `EnvironmentProblem` (exit 3): terraform missing, a provider that cannot be
installed, a cloud or emulator that does not answer, a state lock held by someone else.
The message is terraform's own (what it wrote to stderr: `-no-color` `Error:` blocks), led
by the stack and the step.
"""

from __future__ import annotations

from compiler.errors import EnvironmentProblem

HOW_TO_INSTALL = (
    "install terraform 1.5 or later (https://developer.hashicorp.com/terraform/install) "
    "and put it on PATH, or name the binary in PAYBILL_TERRAFORM"
)


class TerraformMissing(EnvironmentProblem):
    """No terraform binary where we looked."""

    def __init__(self, looked_for: str) -> None:
        self.looked_for = looked_for
        super().__init__(f"terraform not found ({looked_for}): {HOW_TO_INSTALL}")


class TerraformError(EnvironmentProblem):
    """A terraform command failed; `detail` is what terraform said."""

    def __init__(self, stack: str, step: str, exit_code: int, detail: str) -> None:
        self.stack = stack
        self.step = step
        self.terraform_exit_code = exit_code
        self.detail = detail
        super().__init__(f"terraform {step} failed for stack {stack} (exit {exit_code}):\n{detail}")


class StateLocked(TerraformError):
    """Another run holds the stack's state lock (and kept it past `-lock-timeout`)."""


class StalePlan(TerraformError):
    """The saved plan no longer matches the stack's state: plan again."""


class TimedOut(TerraformError):
    """Terraform ran longer than the runner's time limit and was interrupted."""


def classify(stack: str, step: str, exit_code: int, stderr: str, stdout: str) -> TerraformError:
    """The most specific error for a failed command, with terraform's message."""
    detail = stderr.strip() or stdout.strip()[-4000:]
    if "Error acquiring the state lock" in detail:
        return StateLocked(stack, step, exit_code, detail)
    if "Saved plan is stale" in detail:
        return StalePlan(stack, step, exit_code, detail)
    return TerraformError(stack, step, exit_code, detail)
