"""A stack whose state lives in the `s3` backend, kept with its DynamoDB lock in the
emulator: `init` merges the emulator's backend settings into the stack's own block."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from compiler.sandbox.emulator import Emulator
from compiler.terraform import Terraform, Workspace
from tests.emit.stacks.terraform import terraform
from tests.sandbox.conftest import client

pytestmark = [pytest.mark.terraform]

REGION = "eu-west-1"
BACKEND = {
    "s3": {
        "bucket": "state-bucket",
        "key": "infra/pool-eu/terraform.tfstate",
        "region": REGION,
        "dynamodb_table": "state-locks",
        "encrypt": True,
    }
}


def test_state_and_its_lock_live_in_the_emulators_s3_and_dynamodb(
    emulator: Emulator, tmp_path: Path
) -> None:
    terraform()
    client(emulator, "s3", REGION).create_bucket(
        Bucket="state-bucket", CreateBucketConfiguration={"LocationConstraint": REGION}
    )
    client(emulator, "dynamodb", REGION).create_table(
        TableName="state-locks",
        KeySchema=[{"AttributeName": "LockID", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "LockID", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    source = tmp_path / "generated" / "stacks" / "pool-eu"
    source.mkdir(parents=True)
    stack = {
        "terraform": {"backend": BACKEND},
        "resource": {"terraform_data": {"value": {"input": "v1"}}},
        "output": {"value": {"value": "${terraform_data.value.output}"}},
    }
    (source / "cdk.tf.json").write_text(json.dumps(stack))
    copy = Workspace(tmp_path / "work", plugin_cache=tmp_path / "cache").checkout("pool-eu", source)
    tf = Terraform()
    tf.init(copy, backend_config=emulator.write_backend_config(tmp_path / "emulator.tfbackend"))
    tf.apply(copy, tf.plan(copy))
    assert not tf.plan(copy).changed
    assert tf.output(copy)["value"].value == "v1"

    assert not copy.state_file.exists()
    body = client(emulator, "s3", REGION).get_object(
        Bucket="state-bucket", Key=BACKEND["s3"]["key"]
    )
    assert json.loads(body["Body"].read())["outputs"]["value"]["value"] == "v1"
    items = client(emulator, "dynamodb", REGION).scan(TableName="state-locks")["Items"]
    assert [i["LockID"]["S"] for i in items] == [f"state-bucket/{BACKEND['s3']['key']}-md5"]
