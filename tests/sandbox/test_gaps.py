"""Each gap of moto that these stacks meet, as the AWS provider meets it, handled in the
emulator (`compiler.sandbox.gaps`). Every test here fails against stock moto 5.2.5.

Resources live in eu-west-1, a region the stacks of `test_stacks` do not use.
"""

from __future__ import annotations

import re

from compiler.sandbox.emulator import Emulator
from tests.sandbox.conftest import client


def test_every_rds_instance_gets_its_own_resource_id(emulator: Emulator) -> None:
    rds = client(emulator, "rds")
    ids = []
    for name in ("gap-db-one", "gap-db-two"):
        created = rds.create_db_instance(
            DBInstanceIdentifier=name,
            DBInstanceClass="db.t4g.micro",
            Engine="postgres",
            AllocatedStorage=20,
            MasterUsername="admin_user",
            ManageMasterUserPassword=True,
        )
        ids.append(created["DBInstance"]["DbiResourceId"])
    assert ids[0] != ids[1]
    assert all(re.fullmatch(r"db-[A-Z2-7]{26}", i) for i in ids)
    # How the provider reads an instance back: by a filter on that id.
    found = rds.describe_db_instances(Filters=[{"Name": "dbi-resource-id", "Values": [ids[1]]}])
    assert [i["DBInstanceIdentifier"] for i in found["DBInstances"]] == ["gap-db-two"]


def test_aws_managed_iam_policies_exist(emulator: Emulator) -> None:
    arn = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
    policy = client(emulator, "iam").get_policy(PolicyArn=arn)["Policy"]
    assert policy["PolicyName"] == "AmazonECSTaskExecutionRolePolicy"


def test_scalable_targets_keep_their_tags(emulator: Emulator) -> None:
    scaling = client(emulator, "application-autoscaling")
    target = {
        "ServiceNamespace": "dynamodb",
        "ResourceId": "table/gap-table",
        "ScalableDimension": "dynamodb:table:ReadCapacityUnits",
    }
    arn = scaling.register_scalable_target(
        **target, MinCapacity=1, MaxCapacity=4, Tags={"tenant": "acme", "plan": "pro"}
    )["ScalableTargetARN"]
    assert scaling.list_tags_for_resource(ResourceARN=arn)["Tags"] == {
        "tenant": "acme",
        "plan": "pro",
    }
    scaling.tag_resource(ResourceARN=arn, Tags={"plan": "enterprise"})
    scaling.untag_resource(ResourceARN=arn, TagKeys=["tenant"])
    assert scaling.list_tags_for_resource(ResourceARN=arn)["Tags"] == {"plan": "enterprise"}
    scaling.register_scalable_target(**target, MaxCapacity=8)  # an update keeps the tags
    assert scaling.list_tags_for_resource(ResourceARN=arn)["Tags"] == {"plan": "enterprise"}


def test_a_rule_referencing_a_group_keeps_its_description(emulator: Emulator) -> None:
    ec2 = client(emulator, "ec2")
    vpc = ec2.create_vpc(CidrBlock="10.77.0.0/16")["Vpc"]["VpcId"]
    database = ec2.create_security_group(GroupName="gap-db", Description="db", VpcId=vpc)
    workload = ec2.create_security_group(GroupName="gap-app", Description="app", VpcId=vpc)
    pair = {"GroupId": workload["GroupId"], "Description": "PostgreSQL from the workload"}
    ec2.authorize_security_group_ingress(
        GroupId=database["GroupId"],
        IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "UserIdGroupPairs": [pair]}
        ],
    )
    rules = ec2.describe_security_group_rules(
        Filters=[{"Name": "group-id", "Values": [database["GroupId"]]}]
    )["SecurityGroupRules"]
    (ingress,) = [r for r in rules if not r["IsEgress"]]
    assert ingress["ReferencedGroupInfo"]["GroupId"] == workload["GroupId"]
    assert ingress["Description"] == "PostgreSQL from the workload"


def test_ecs_services_report_rebalancing_and_managed_tags(emulator: Emulator) -> None:
    ecs = client(emulator, "ecs")
    ecs.create_cluster(clusterName="gap-cluster")
    ecs.register_task_definition(
        family="gap-task",
        containerDefinitions=[{"name": "app", "image": "registry.example/app", "memory": 512}],
    )
    ecs.create_service(
        cluster="gap-cluster",
        serviceName="configured",
        taskDefinition="gap-task",
        desiredCount=0,
        enableECSManagedTags=True,
        availabilityZoneRebalancing="ENABLED",
    )
    ecs.create_service(
        cluster="gap-cluster", serviceName="defaults", taskDefinition="gap-task", desiredCount=0
    )
    described = ecs.describe_services(cluster="gap-cluster", services=["configured", "defaults"])
    fields = {
        s["serviceName"]: (s["enableECSManagedTags"], s["availabilityZoneRebalancing"])
        for s in described["services"]
    }
    assert fields == {"configured": (True, "ENABLED"), "defaults": (False, "DISABLED")}
    ecs.update_service(cluster="gap-cluster", service="defaults", enableECSManagedTags=True)
    (updated,) = ecs.describe_services(cluster="gap-cluster", services=["defaults"])["services"]
    assert updated["enableECSManagedTags"] is True


def test_parameters_set_on_a_group_report_their_source(emulator: Emulator) -> None:
    rds = client(emulator, "rds")
    rds.create_db_parameter_group(
        DBParameterGroupName="gap-params", DBParameterGroupFamily="postgres15", Description="x"
    )
    rds.modify_db_parameter_group(
        DBParameterGroupName="gap-params",
        Parameters=[
            {"ParameterName": "rds.force_ssl", "ParameterValue": "1", "ApplyMethod": "immediate"}
        ],
    )
    (parameter,) = rds.describe_db_parameters(DBParameterGroupName="gap-params")["Parameters"]
    assert (parameter["ParameterName"], parameter["ParameterValue"], parameter["Source"]) == (
        "rds.force_ssl",
        "1",
        "user",
    )


def test_api_keys_usage_plans_and_apis_take_tags(emulator: Emulator) -> None:
    api = client(emulator, "apigateway")
    key = api.create_api_key(name="gap-key", tags={"plan": "starter"})
    plan = api.create_usage_plan(name="gap-plan", tags={"plan": "starter"})
    rest = api.create_rest_api(name="gap-api", tags={"plan": "starter"})
    region = "eu-west-1"
    arns = [
        f"arn:aws:apigateway:{region}::/apikeys/{key['id']}",
        f"arn:aws:apigateway:{region}::/usageplans/{plan['id']}",
        f"arn:aws:apigateway:{region}::/restapis/{rest['id']}",
    ]
    for arn in arns:
        api.tag_resource(resourceArn=arn, tags={"plan": "free", "tier": "low"})
        api.untag_resource(resourceArn=arn, tagKeys=["tier"])
        assert api.get_tags(resourceArn=arn)["tags"] == {"plan": "free"}, arn
    assert api.get_api_key(apiKey=key["id"])["tags"] == {"plan": "free"}


def test_a_usage_plan_changed_in_place_keeps_numbers(emulator: Emulator) -> None:
    api = client(emulator, "apigateway")
    plan = api.create_usage_plan(
        name="gap-quota",
        throttle={"rateLimit": 10.0, "burstLimit": 20},
        quota={"limit": 1000, "period": "MONTH"},
    )
    changed = api.update_usage_plan(
        usagePlanId=plan["id"],
        patchOperations=[
            {"op": "replace", "path": "/quota/limit", "value": "5000"},
            {"op": "replace", "path": "/throttle/rateLimit", "value": "12.5"},
            {"op": "replace", "path": "/throttle/burstLimit", "value": "40"},
        ],
    )
    read = api.get_usage_plan(usagePlanId=plan["id"])
    for answer in (changed, read):
        assert answer["quota"] == {"limit": 5000, "period": "MONTH"}
        assert answer["throttle"] == {"rateLimit": 12.5, "burstLimit": 40}
