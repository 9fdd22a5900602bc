"""Plan: a subscription tier. Isolation, limits, features and dedicated sizing."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, model_validator

from compiler.dsl.common import (
    UNIQUE,
    UNIQUE_ITEMS,
    WHOLE,
    Cidr,
    Cloud,
    DatabaseStorage,
    Document,
    Feature,
    FieldError,
    Model,
    PostgresVersion,
    Text,
)
from compiler.dsl.sizing import Sizing

Isolation = Literal["silo", "pooled", "bridge"]
LIMIT_KEYS = ("seats", "storageGb", "apiRequestsPerSecond", "agentRunsPerDay")

# Every number has a range: those that reach a provider, what the provider accepts (a value
# past it would compile and fail later, in Terraform or at apply); entitlements that reach
# none yet, a range no real plan comes near. The description says why, in messages too.
Seats = Annotated[int, Field(ge=0, le=10_000_000, description="Seats: 0 to 10,000,000."), WHOLE]
StorageEntitlement = Annotated[
    int,
    Field(ge=0, le=1_000_000, description="Storage entitled, in GB: 0 to 1,000,000."),
    WHOLE,
]
ApiRate = Annotated[
    int,
    Field(
        ge=0,
        le=10_000,
        description=(
            "Steady requests per second of the tenant's API key, bursts twice that: 0 to "
            "10,000, API Gateway's throttle for an account in a region."
        ),
    ),
    WHOLE,
]
RunsPerDay = Annotated[
    int, Field(ge=0, le=1_000_000, description="Agent runs per day: 0 to 1,000,000."), WHOLE
]
StepsCap = Annotated[
    int,
    Field(ge=1, le=100, description="Steps of any one workflow: 1 to 100, as maxSteps."),
    WHOLE,
]
RowsCap = Annotated[
    int,
    Field(
        ge=1,
        le=1_000_000,
        description="Rows any one step may touch: 1 to 1,000,000, as maxRowsPerStep.",
    ),
    WHOLE,
]
TaskCount = Annotated[
    int,
    Field(ge=0, le=5000, description="Tasks: 0 to 5,000, what ECS runs for one service."),
    WHOLE,
]


class Limits(Model):
    """Numeric entitlements. The first four keys must be written; `null` means unlimited."""

    seats: Seats | None
    storage_gb: StorageEntitlement | None
    api_requests_per_second: ApiRate | None
    agent_runs_per_day: RunsPerDay | None
    # Optional ceilings on any one workflow an agent runs for a tenant of this plan; absent
    # or null means unlimited. A workflow over them is a compile error at the step that
    # crosses the line (compiler.resolve.plan_limits), never a silent cut at run time.
    agent_steps_per_workflow: StepsCap | None = None
    agent_rows_per_step: RowsCap | None = None


class LimitOverrides(Model):
    """A tenant's exceptions to its plan's limits; absent keys keep the plan's value."""

    seats: Seats | None = None
    storage_gb: StorageEntitlement | None = None
    api_requests_per_second: ApiRate | None = None
    agent_runs_per_day: RunsPerDay | None = None
    agent_steps_per_workflow: StepsCap | None = None
    agent_rows_per_step: RowsCap | None = None


class DatabaseSize(Sizing):
    storage_gb: DatabaseStorage
    version: PostgresVersion = "15"
    multi_az: bool = True


class ComputeSize(Model):
    cpu: Annotated[Literal[256, 512, 1024, 2048, 4096, 8192, 16384], WHOLE]
    memory_mb: Annotated[
        int,
        Field(
            ge=512,
            le=122880,
            description="Memory of a task in MiB: 512 to 122,880, what Fargate runs.",
        ),
        WHOLE,
    ]
    min_tasks: TaskCount
    max_tasks: Annotated[
        int,
        Field(ge=1, le=5000, description="Tasks: 1 to 5,000, what ECS runs for one service."),
        WHOLE,
    ]


class NetworkSize(Model):
    cidr: Cidr


class Resources(Model):
    database: DatabaseSize | None = None
    compute: ComputeSize | None = None
    network: NetworkSize | None = None


Days = Annotated[int, Field(ge=0, le=365, description="Days: 0 to 365."), WHOLE]


class Billing(Model):
    trial_days: Days = 0
    grace_period_days: Days = 0


def _given(required: tuple[str, ...], **properties: dict[str, Any]) -> dict[str, Any]:
    """JSON Schema for an object whose `required` fields are written and not null."""
    props: dict[str, Any] = {name: {"type": "object"} for name in required}
    props.update(properties)
    return {"type": "object", "required": list(required), "properties": props}


_ABSENT: dict[str, Any] = {"type": "null"}
# What each isolation needs, as JSON Schema; `PlanSpec._resources_match_isolation` says the
# same in Python.
_RESOURCES_BY_ISOLATION: dict[str, Any] = {
    "allOf": [
        {
            "if": {"properties": {"isolation": {"const": "silo"}}},
            "then": _given(("resources",), resources=_given(("database", "compute"))),
        },
        {
            "if": {"properties": {"isolation": {"const": "bridge"}}},
            "then": _given(("resources",), resources=_given(("database",), network=_ABSENT)),
        },
        {
            "if": {"properties": {"isolation": {"const": "pooled"}}},
            "then": {"properties": {"resources": _ABSENT}},
        },
    ]
}


class PlanSpec(Model):
    model_config = ConfigDict(json_schema_extra=_RESOURCES_BY_ISOLATION)

    display_name: Text
    isolation: Isolation
    limits: Limits
    features: Annotated[list[Feature], UNIQUE, Field(json_schema_extra=UNIQUE_ITEMS)] = Field(
        default_factory=list
    )
    resources: Resources | None = None
    billing: Billing = Field(default_factory=Billing)
    # Where tenants of this plan may live; absent: on every cloud of the platform.
    clouds: (
        Annotated[list[Cloud], UNIQUE, Field(min_length=1, json_schema_extra=UNIQUE_ITEMS)] | None
    ) = None

    @model_validator(mode="after")
    def _resources_match_isolation(self) -> PlanSpec:
        if self.isolation == "pooled":
            if self.resources is not None:
                raise FieldError(
                    "pooled plans have no dedicated resources; remove 'resources' "
                    "(pooled tenants share their pool's database and compute)",
                    "resources",
                )
            return self
        needed = ("database", "compute") if self.isolation == "silo" else ("database",)
        missing = [
            n for n in needed if self.resources is None or getattr(self.resources, n) is None
        ]
        if missing:
            raise FieldError(
                f"{self.isolation} plans need resources.{' and resources.'.join(missing)} "
                "to size what is dedicated to each tenant",
                "isolation" if self.resources is None else "resources",
            )
        if self.isolation == "bridge" and self.resources and self.resources.network:
            raise FieldError(
                "bridge tenants use their pool's network; remove resources.network",
                "resources",
                "network",
            )
        return self


class Plan(Document):
    kind: Literal["Plan"]
    spec: PlanSpec
