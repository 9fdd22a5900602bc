"""Where moto (5.1-5.2) differs from AWS for this project's stacks, corrected in the emulator.

Each module fixes one gap by patching moto's models or responses in the emulator's own
process before it serves (see `compiler.sandbox.moto_server`). Nothing here changes what
`generated/` holds: the stacks stay exactly what a real AWS account receives. The manual's
sandbox page (docs/sandbox.md) lists every gap with the symptom that shows without its fix.
"""

from __future__ import annotations

import os

from compiler.sandbox.gaps import (
    apigateway_tags,
    apigateway_usage_plans,
    appautoscaling,
    ec2,
    ecs,
    rds,
    rds_parameters,
)

# Settings moto reads from its environment: AWS-managed IAM policies (the stacks attach
# `service-role/AmazonECSTaskExecutionRolePolicy`) exist only when moto loads them.
ENVIRONMENT = {"MOTO_IAM_LOAD_MANAGED_POLICIES": "true"}


def apply_all() -> None:
    """Set the environment moto reads and patch every known gap (idempotent)."""
    os.environ.update(ENVIRONMENT)
    rds.apply()
    rds_parameters.apply()
    appautoscaling.apply()
    ec2.apply()
    ecs.apply()
    apigateway_tags.apply()
    apigateway_usage_plans.apply()
