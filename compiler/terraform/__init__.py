"""Terraform, one small module per step, run in working copies of the generated stacks.

workspace   working copies side by side under a root, state kept between runs
providers   the filesystem mirror (when the machine has one) or a shared plugin cache
executor    the one place that starts the binary (swap it in tests)
init, plan, show, apply, output    one step each; `changes` types a saved plan
runner      `Terraform`: the steps behind one object
"""

from compiler.terraform.changes import DATA_BEARING_TYPES, Action, Plan, ResourceChange
from compiler.terraform.errors import (
    StalePlan,
    StateLocked,
    TerraformError,
    TerraformMissing,
    TimedOut,
)
from compiler.terraform.executor import Completed, Executor, Subprocess, find_terraform
from compiler.terraform.output import Output
from compiler.terraform.providers import Provider, find_mirror, required_providers
from compiler.terraform.runner import Terraform
from compiler.terraform.workspace import OVERRIDE_NAME, WorkingCopy, Workspace

__all__ = [
    "DATA_BEARING_TYPES",
    "OVERRIDE_NAME",
    "Action",
    "Completed",
    "Executor",
    "Output",
    "Plan",
    "Provider",
    "ResourceChange",
    "StalePlan",
    "StateLocked",
    "Subprocess",
    "Terraform",
    "TerraformError",
    "TerraformMissing",
    "TimedOut",
    "WorkingCopy",
    "Workspace",
    "find_mirror",
    "find_terraform",
    "required_providers",
]
