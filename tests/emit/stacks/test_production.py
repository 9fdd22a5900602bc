"""What makes the stacks fit for production: networks of their own, databases reachable from
their tenant only, API limits enforced on a stage, TLS-only databases sized by the plan,
logged and expiring storage, closed default security groups (tests/emit/stacks/specs.py)."""

from __future__ import annotations

import ipaddress
import json
import re
from pathlib import Path
from typing import Any

import pytest

from compiler.emit import Artifact
from compiler.emit.stacks.parts.database import PARAMETERS
from tests.emit.stacks.compiled import resources, stacks_of
from tests.emit.stacks.conftest import SET_NAMES, write_files
from tests.emit.stacks.specs import spec_files, tenant

Stacks = dict[str, dict[str, Any]]
POOL = "${data.terraform_remote_state.pool.outputs.%s}"
POOL_OUTPUT = re.compile(r"data\.terraform_remote_state\.pool\.outputs\.([a-z_]+)")


def stacks(compiled_sets: dict[str, list[Artifact]], name: str) -> Stacks:
    return {a.path.split("/")[1]: json.loads(a.content) for a in compiled_sets[name]}


def one(stack: dict[str, Any], type_: str) -> dict[str, Any]:
    (body,) = resources(stack, type_).values()
    return body


# -- networks ---------------------------------------------------------------------------


def test_silo_tenants_get_networks_of_their_own(behaviour: Stacks) -> None:
    cidrs = {
        name: one(stack, "aws_vpc")["cidr_block"]
        for name, stack in behaviour.items()
        if "aws_vpc" in stack.get("resource", {})
    }
    assert cidrs == {
        "pool-shared": "10.1.0.0/16",
        "tenant-leaving": "10.76.208.0/20",  # allocated in 10.64.0.0/12 by name
        "tenant-paused": "10.75.32.0/20",
        "tenant-siloed": "10.50.0.0/16",  # written in the tenant's spec
    }
    networks = [ipaddress.ip_network(c) for c in cidrs.values()]
    assert not any(a.overlaps(b) for i, a in enumerate(networks) for b in networks[i + 1 :])
    subnets = [
        s["cidr_block"] for s in resources(behaviour["tenant-paused"], "aws_subnet").values()
    ]
    assert subnets == ["10.75.32.0/24", "10.75.33.0/24", "10.75.34.0/24"]


def test_two_new_tenants_change_disjoint_files_that_merge(tmp_path: Path) -> None:
    """Two pull requests that each add a tenant (silo and bridge) touch disjoint stacks, and
    the merged spec compiles to the base plus both changes, byte for byte."""
    first = {"tenants/first.yaml": tenant("first", "dedicated", pool=None)}
    second = {"tenants/second.yaml": tenant("second", "dedicated", pool=None)}
    third = {"tenants/third.yaml": tenant("third", "business")}

    def compiled(name: str, *added: dict[str, str]) -> dict[str, bytes]:
        files = spec_files()
        for extra in added:
            files.update(extra)
        folder = write_files(tmp_path / name, files)
        return {k: json.dumps(v, sort_keys=True).encode() for k, v in stacks_of(folder).items()}

    base = compiled("base")
    one_pr = compiled("one", first, third)
    other_pr = compiled("other", second)
    merged = compiled("merged", first, second, third)

    def changes(head: dict[str, bytes]) -> dict[str, bytes]:
        return {k: v for k, v in head.items() if base.get(k) != v}

    assert sorted(changes(one_pr)) == ["tenant-first", "tenant-third"]
    assert sorted(changes(other_pr)) == ["tenant-second"]
    assert merged == {**base, **changes(one_pr), **changes(other_pr)}


def test_every_network_is_closed_by_default_and_logged(
    compiled_sets: dict[str, list[Artifact]],
) -> None:
    for name in SET_NAMES:
        for stack_name, stack in stacks(compiled_sets, name).items():
            vpcs = resources(stack, "aws_vpc")
            if not vpcs:
                continue
            default = one(stack, "aws_default_security_group")
            assert default["vpc_id"] == "${aws_vpc.vpc.id}"
            assert "ingress" not in default, stack_name
            assert "egress" not in default, stack_name
            flow = one(stack, "aws_flow_log")
            assert (flow["vpc_id"], flow["traffic_type"]) == ("${aws_vpc.vpc.id}", "ALL")
            assert flow["log_destination"] == "${aws_s3_bucket.log_bucket.arn}"
            assert flow["depends_on"] == ["aws_s3_bucket_policy.log_bucket_policy"]


# -- databases --------------------------------------------------------------------------


def test_bridge_database_admits_its_tenants_service_only(behaviour: Stacks) -> None:
    bridge = behaviour["tenant-bridged"]
    groups = resources(bridge, "aws_security_group")
    assert sorted(groups) == ["database_sg", "workload_sg"]
    assert {g["vpc_id"] for g in groups.values()} == {POOL % "vpc_id"}
    (ingress,) = resources(bridge, "aws_vpc_security_group_ingress_rule").values()
    assert ingress["security_group_id"] == "${aws_security_group.database_sg.id}"
    assert ingress["referenced_security_group_id"] == "${aws_security_group.workload_sg.id}"
    assert (ingress["from_port"], ingress["to_port"]) == (5432, 5432)
    assert "cidr_ipv4" not in ingress
    egress = resources(bridge, "aws_vpc_security_group_egress_rule")
    assert {e["security_group_id"] for e in egress.values()} == {
        "${aws_security_group.workload_sg.id}"
    }
    text = json.dumps(bridge)
    assert "database_security_group_id" not in text  # the pool database's group
    assert "workload_security_group_id" not in text  # every pool service's group


def test_bridge_database_without_compute_admits_the_pools_services(behaviour: Stacks) -> None:
    """A bridge plan without compute is served by the pool's shared services: those reach the
    tenant's database (a rule on their group, owned by the tenant's stack), nothing else."""
    lite = behaviour["tenant-bridged-lite"]
    (group,) = resources(lite, "aws_security_group").values()
    assert group["vpc_id"] == POOL % "vpc_id"
    (ingress,) = resources(lite, "aws_vpc_security_group_ingress_rule").values()
    assert ingress["referenced_security_group_id"] == POOL % "workload_security_group_id"
    (egress,) = resources(lite, "aws_vpc_security_group_egress_rule").values()
    assert egress["security_group_id"] == POOL % "workload_security_group_id"
    assert egress["referenced_security_group_id"] == "${aws_security_group.database_sg.id}"
    assert one(lite, "aws_db_instance")["vpc_security_group_ids"] == [
        "${aws_security_group.database_sg.id}"
    ]


@pytest.mark.parametrize("name", SET_NAMES)
def test_tenants_read_only_outputs_their_pool_declares(
    compiled_sets: dict[str, list[Artifact]], name: str
) -> None:
    found = stacks(compiled_sets, name)
    for stack_name, stack in found.items():
        remote = stack.get("data", {}).get("terraform_remote_state", {}).get("pool")
        if remote is None:
            continue
        config = remote["config"]
        if "prefix" in config:  # gcs: a folder per stack
            pool = config["prefix"].split("/")[-1]
        else:
            pool = (config.get("path") or config["key"]).split("/")[-2]
        read = set(POOL_OUTPUT.findall(json.dumps(stack)))
        assert read, stack_name
        assert read <= set(found[pool]["output"]), stack_name


def test_multi_az_comes_from_the_plan_and_tls_is_forced_everywhere(
    compiled_sets: dict[str, list[Artifact]], behaviour: Stacks
) -> None:
    assert one(behaviour["tenant-bridged-lite"], "aws_db_instance")["multi_az"] is False
    assert one(behaviour["tenant-bridged"], "aws_db_instance")["multi_az"] is True
    assert one(behaviour["pool-shared"], "aws_db_instance")["multi_az"] is True
    for name in SET_NAMES:
        for stack_name, stack in stacks(compiled_sets, name).items():
            for db in resources(stack, "aws_db_instance").values():
                group = one(stack, "aws_db_parameter_group")
                assert db["parameter_group_name"] == (
                    "${aws_db_parameter_group.database_parameters.name}"
                )
                major = db["engine_version"].split(".")[0]
                assert group["family"] == f"postgres{major}", stack_name
                assert group["name"].endswith(f"-postgres{major}")
                values = {p["name"]: p["value"] for p in group["parameter"]}
                assert values == PARAMETERS
                assert values["rds.force_ssl"] == "1"
                assert group["lifecycle"] == {"create_before_destroy": True}


# -- storage ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", SET_NAMES)
def test_buckets_log_access_and_expire_old_versions(
    compiled_sets: dict[str, list[Artifact]], name: str
) -> None:
    for stack_name, stack in stacks(compiled_sets, name).items():
        buckets = resources(stack, "aws_s3_bucket")
        lifecycles = resources(stack, "aws_s3_bucket_lifecycle_configuration")
        assert sorted(lifecycles) == sorted(f"{b}_lifecycle" for b in buckets), stack_name
        for lifecycle in lifecycles.values():
            (rule,) = lifecycle["rule"]
            assert rule["status"] == "Enabled"
            assert rule["noncurrent_version_expiration"][0]["noncurrent_days"] > 0
            assert rule["abort_incomplete_multipart_upload"][0]["days_after_initiation"] > 0
        if "bucket" not in buckets:
            continue
        assert "expiration" not in lifecycles["bucket_lifecycle"]["rule"][0]  # tenant data
        logging = one(stack, "aws_s3_bucket_logging")
        assert logging["bucket"] == "${aws_s3_bucket.bucket.id}"
        assert logging["target_prefix"] == f"s3-access-logs/{stack_name}/"
        if "log_bucket" in buckets:
            assert logging["target_bucket"] == "${aws_s3_bucket.log_bucket.id}"
            assert logging["depends_on"] == ["aws_s3_bucket_policy.log_bucket_policy"]
        else:  # a bridge tenant logs into its pool's log bucket
            assert logging["target_bucket"] == POOL % "log_bucket_name"


def test_only_log_delivery_writes_to_the_log_bucket(behaviour: Stacks) -> None:
    pool = behaviour["pool-shared"]
    statements = pool["data"]["aws_iam_policy_document"]["log_bucket_policy_document"]["statement"]
    allowed = {
        s["sid"]: (s["principals"][0]["identifiers"], s["actions"])
        for s in statements
        if s["effect"] == "Allow"
    }
    suffix = "${data.aws_partition.partition.dns_suffix}"
    assert allowed == {
        "S3AccessLogs": ([f"logging.s3.{suffix}"], ["s3:PutObject"]),
        "FlowLogsWrite": ([f"delivery.logs.{suffix}"], ["s3:PutObject"]),
        "FlowLogsCheckBucket": ([f"delivery.logs.{suffix}"], ["s3:GetBucketAcl", "s3:ListBucket"]),
    }
    for statement in statements:
        if statement["effect"] == "Allow":
            conditions = {c["variable"]: c["values"] for c in statement["condition"]}
            assert conditions["aws:SourceAccount"] == [
                "${data.aws_caller_identity.account.account_id}"
            ]


# -- API --------------------------------------------------------------------------------


def test_pool_serves_the_platform_api_with_keys_required(behaviour: Stacks) -> None:
    pool = behaviour["pool-shared"]
    assert set(pool["variable"]) == {"api_backend_url"}
    method = one(pool, "aws_api_gateway_method")
    assert (method["http_method"], method["api_key_required"]) == ("ANY", True)
    backend = one(pool, "aws_api_gateway_integration")
    assert (backend["type"], backend["uri"]) == ("HTTP_PROXY", "${var.api_backend_url}/{proxy}")
    stage = one(pool, "aws_api_gateway_stage")
    assert stage["deployment_id"] == "${aws_api_gateway_deployment.api_deployment.id}"
    assert stage["stage_name"] == "v1"
    deployment = one(pool, "aws_api_gateway_deployment")
    assert deployment["lifecycle"] == {"create_before_destroy": True}
    assert deployment["triggers"]["backend"] == "${var.api_backend_url}"
    assert pool["output"]["api_id"]["value"] == "${aws_api_gateway_rest_api.api.id}"
    assert pool["output"]["api_stage_name"]["value"] == (
        "${aws_api_gateway_stage.api_stage.stage_name}"
    )


@pytest.mark.parametrize(
    ("stack", "stage"),
    [
        ("tenant-pooled", (POOL % "api_id", POOL % "api_stage_name")),
        ("tenant-bridged", (POOL % "api_id", POOL % "api_stage_name")),
        ("tenant-leaving-bridged", (POOL % "api_id", POOL % "api_stage_name")),
        (
            "tenant-siloed",
            ("${aws_api_gateway_rest_api.api.id}", "${aws_api_gateway_stage.api_stage.stage_name}"),
        ),
        (
            "tenant-paused",
            ("${aws_api_gateway_rest_api.api.id}", "${aws_api_gateway_stage.api_stage.stage_name}"),
        ),
        ("tenant-leaving", None),  # offboarding silo: no service, no API left to limit
    ],
)
def test_usage_plans_are_attached_to_the_stage_they_limit(
    behaviour: Stacks, stack: str, stage: tuple[str, str] | None
) -> None:
    plan = one(behaviour[stack], "aws_api_gateway_usage_plan")
    expected = None if stage is None else [{"api_id": stage[0], "stage": stage[1]}]
    assert plan.get("api_stages") == expected
    has_api = "aws_api_gateway_rest_api" in behaviour[stack].get("resource", {})
    assert has_api is (stack in ("tenant-siloed", "tenant-paused"))


@pytest.mark.parametrize("name", SET_NAMES)
def test_every_live_tenant_but_an_offboarding_silo_is_limited_on_a_stage(
    compiled_sets: dict[str, list[Artifact]], name: str
) -> None:
    for stack_name, stack in stacks(compiled_sets, name).items():
        if not stack_name.startswith("tenant-") or "aws" not in stack["provider"]:
            continue  # Azure's products: tests/emit/stacks/test_azure.py
        plan = one(stack, "aws_api_gateway_usage_plan")
        silo_without_service = (
            "aws_vpc" in stack["resource"] and "aws_ecs_service" not in stack["resource"]
        )
        assert ("api_stages" in plan) is not silo_without_service, stack_name
