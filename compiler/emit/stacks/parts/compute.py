"""Compute on ECS Fargate: a cluster, and a tenant's service on it, sized from the plan.

A service runs the application image, which is not part of the spec: it is the stack's one
input variable, `app_image`, set by whoever applies (`TF_VAR_app_image`). Autoscaling owns
the running task count between the plan's `minTasks` and `maxTasks`; a suspended tenant's
bounds are both zero, which stops every task and keeps everything else.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from compiler.emit.stacks.builder import StackBuilder, Statement
from compiler.emit.stacks.cdk import Resource, jsonencode
from compiler.emit.stacks.parts.keys import log_group_name

LOG_RETENTION_DAYS = 365  # a year of service logs, as audits ask
CPU_TARGET_PERCENT = 60
EXECUTION_POLICY = "service-role/AmazonECSTaskExecutionRolePolicy"


@dataclass(frozen=True)
class Placement:
    """Where a service runs: its cluster and network (its own, or its pool's)."""

    cluster_arn: str
    cluster_name: str
    subnet_ids: Sequence[str] | str  # a list, or one expression for a list (pool output)
    security_group_id: str


def cluster(b: StackBuilder) -> Resource:
    return b.add(
        "cluster",
        "aws_ecs_cluster",
        {"name": b.aws_name(), "setting": [{"name": "containerInsights", "value": "enabled"}]},
    )


def log_group(b: StackBuilder) -> Resource:
    """Kept when compute is removed: logs are records too, and expire on their own."""
    return b.add(
        "logs",
        "aws_cloudwatch_log_group",
        {"name": log_group_name(b), "retention_in_days": LOG_RETENTION_DAYS},
    )


def tasks_principal(b: StackBuilder) -> str:
    return b.data("ecs_tasks", "aws_service_principal", {"service_name": "ecs-tasks"}).ref("name")


def tasks_trust(b: StackBuilder) -> str:
    """Trust policy for roles ECS tasks of this account (only) take on."""
    return b.policy(
        "tasks_trust",
        [
            Statement(
                "EcsTasksOfThisAccount",
                ["sts:AssumeRole"],
                principals={"Service": [tasks_principal(b)]},
                conditions=[("StringEquals", "aws:SourceAccount", [b.account_id])],
            )
        ],
    )


def service(
    b: StackBuilder,
    placement: Placement,
    task_role_arn: str,
    logs: Resource,
    environment: Mapping[str, str],
) -> None:
    """The tenant's application service, sized by the stack's values (the task count is
    zero while the tenant is suspended). Only shapes whose workload is `service` have one.

    References in `environment` go into the container definitions' `jsonencode`, so they
    must be tokens (`Resource.token`, `StackBuilder.token`).
    """
    v = b.values.need("service")
    execution = b.add(
        "execution_role",
        "aws_iam_role",
        {
            "name": v.execution_role_name,
            "description": f"{b.name}: lets ECS pull the image and write the logs",
            "assume_role_policy": tasks_trust(b),
        },
    )
    b.add(
        "execution_role_policy",
        "aws_iam_role_policy_attachment",
        {
            "role": execution.ref("name"),
            "policy_arn": f"arn:{b.partition}:iam::aws:policy/{EXECUTION_POLICY}",
        },
    )
    task = b.add(
        "task",
        "aws_ecs_task_definition",
        {
            "family": b.aws_name(),
            "cpu": v.task_cpu,
            "memory": v.task_memory,
            "network_mode": "awsvpc",
            "requires_compatibilities": ["FARGATE"],
            "execution_role_arn": execution.ref("arn"),
            "task_role_arn": task_role_arn,
            "container_definitions": _containers(b, logs, environment),
        },
    )
    app = b.add(
        "service",
        "aws_ecs_service",
        {
            "name": b.name,
            "cluster": placement.cluster_arn,
            "task_definition": task.ref("arn"),
            "launch_type": "FARGATE",
            "desired_count": v.service_min_tasks,
            "network_configuration": [
                {
                    "subnets": placement.subnet_ids,
                    "security_groups": [placement.security_group_id],
                    "assign_public_ip": False,
                }
            ],
            "deployment_circuit_breaker": [{"enable": True, "rollback": True}],
            "enable_ecs_managed_tags": True,
            "propagate_tags": "SERVICE",
        },
        ignore_changes=["desired_count"],  # autoscaling owns it after creation
    )
    target = b.add(
        "scaling",
        "aws_appautoscaling_target",
        {
            "service_namespace": "ecs",
            "scalable_dimension": "ecs:service:DesiredCount",
            "resource_id": f"service/{placement.cluster_name}/{app.ref('name')}",
            "min_capacity": v.service_min_tasks,
            "max_capacity": v.service_max_tasks,
        },
    )
    b.add(
        "scaling_cpu",
        "aws_appautoscaling_policy",
        {
            "name": b.aws_name("cpu"),
            "policy_type": "TargetTrackingScaling",
            "service_namespace": target.ref("service_namespace"),
            "scalable_dimension": target.ref("scalable_dimension"),
            "resource_id": target.ref("resource_id"),
            "target_tracking_scaling_policy_configuration": [
                {
                    "target_value": CPU_TARGET_PERCENT,
                    "predefined_metric_specification": [
                        {"predefined_metric_type": "ECSServiceAverageCPUUtilization"}
                    ],
                }
            ],
        },
    )


def _containers(b: StackBuilder, logs: Resource, environment: Mapping[str, str]) -> str:
    image = b.setting(
        "app_image",
        "Container image of the application, e.g. <registry>/<repository>@sha256:<digest>; "
        "set when applying (TF_VAR_app_image).",
    )
    container = {
        "name": "app",
        "image": b.token(image),
        "essential": True,
        "readonlyRootFilesystem": True,
        "environment": [{"name": k, "value": v} for k, v in sorted(environment.items())],
        "logConfiguration": {
            "logDriver": "awslogs",
            "options": {
                "awslogs-group": logs.token("name"),
                "awslogs-region": b.token(b.region),
                "awslogs-stream-prefix": "app",
            },
        },
    }
    return jsonencode([container])
