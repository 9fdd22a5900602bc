"""A deleted tenant's stack torn down for real on the local emulator, ready for the tenant to
be onboarded again under the same name (`compiler.operate.stack_apply`).

The stack is small: the three data stores a tenant's stack protects (a database instance,
a bucket, a key), each with the protection `compiler.emit.stacks.aspects.DataProtection`
gives it. Tearing it down must lift the database's deletion protection and the bucket's
`prevent_destroy` first, empty the bucket, keep the key (the snapshots are encrypted with
it) and leave the database's final snapshot, and nothing in the stack's state, so that
onboarding the tenant again creates the stack anew. Four to six minutes, nearly all of them
the AWS provider's waits for the database instance (created, its protection lifted, deleted).
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from compiler.emit.stacks.aspects import FINAL_SNAPSHOT_STAMP
from compiler.operate.stack_apply import StackRun, apply_stack, teardown_stack
from compiler.records import Confirm
from compiler.sandbox.emulator import Emulator
from compiler.terraform import Action, Terraform, Workspace
from tests.emit.stacks.terraform import PLUGIN_CACHE, terraform
from tests.operate.repo import tenant_record
from tests.support.emulator import client

pytestmark = [pytest.mark.emulator, pytest.mark.terraform, pytest.mark.slow]

STACK = "tenant-zulu"
REGION = "eu-central-1"
DATABASE = "teardown-tenant-zulu"
BUCKET = "teardown-tenant-zulu-data"
KEY = "tenant-zulu: data at rest"
PROTECTED = {"prevent_destroy": True}


def stack() -> dict[str, Any]:
    """A tenant's data stores, protected as the compiler protects them."""
    return {
        "terraform": {
            "backend": {"local": {"path": "terraform.tfstate"}},
            "required_providers": {"aws": {"source": "hashicorp/aws", "version": "5.100.0"}},
        },
        "provider": {"aws": [{"region": REGION}]},
        "resource": {
            "aws_kms_key": {
                "key": {
                    "description": KEY,
                    "deletion_window_in_days": 30,
                    "lifecycle": PROTECTED,
                }
            },
            "aws_s3_bucket": {
                "bucket": {"bucket": BUCKET, "force_destroy": False, "lifecycle": PROTECTED}
            },
            "aws_db_instance": {
                "database": {
                    "identifier": DATABASE,
                    "engine": "postgres",
                    "engine_version": "15",
                    "instance_class": "db.t4g.micro",
                    "allocated_storage": 20,
                    "username": "paybill_admin",
                    "manage_master_user_password": True,
                    "storage_encrypted": True,
                    "kms_key_id": "${aws_kms_key.key.arn}",
                    "deletion_protection": True,
                    "skip_final_snapshot": False,
                    "final_snapshot_identifier": f"{DATABASE}-final-${{{FINAL_SNAPSHOT_STAMP}}}",
                    "delete_automated_backups": False,
                    "lifecycle": {**PROTECTED, "ignore_changes": ["final_snapshot_identifier"]},
                }
            },
        },
    }


def test_a_deleted_tenant_is_torn_down_ready_to_be_onboarded_again(
    emulator: Emulator, tmp_path: Path
) -> None:
    terraform()  # skips locally, fails in CI, when the binary is missing
    config = json.dumps(stack()).encode()
    head = {f"stacks/{STACK}/cdk.tf.json": config}
    run = StackRun(
        terraform=Terraform(),
        workspace=Workspace(tmp_path / "work", plugin_cache=PLUGIN_CACHE),
        override=emulator.write_override(tmp_path / "emulator.tf.json"),
        head=head.get,
        base=None,
        head_records={},
        base_records={"tenant:zulu": tenant_record("zulu", Confirm(data_deletion=True))},
    )
    assert apply_stack(run, STACK).startswith("applied (3 create)")
    s3, rds, kms = (client(emulator, s, REGION) for s in ("s3", "rds", "kms"))
    s3.put_object(Bucket=BUCKET, Key="invoices/1.json", Body=b"{}")  # data the tenant wrote

    gone = replace(run, head=lambda path: None)  # the stack left the output
    done = teardown_stack(gone, STACK)
    assert done == "torn down (2 resources destroyed); kept: aws_kms_key.key", done
    snapshots = [s["DBSnapshotIdentifier"] for s in rds.describe_db_snapshots()["DBSnapshots"]]
    assert any(s.startswith(f"{DATABASE}-final-") for s in snapshots), snapshots
    assert DATABASE not in [i["DBInstanceIdentifier"] for i in live_instances(rds)]
    with pytest.raises(ClientError):
        s3.head_bucket(Bucket=BUCKET)
    key = next(
        k["KeyId"]
        for k in kms.list_keys()["Keys"]
        if kms.describe_key(KeyId=k["KeyId"])["KeyMetadata"]["Description"] == KEY
    )
    assert kms.describe_key(KeyId=key)["KeyMetadata"]["KeyState"] == "Enabled"
    assert not (run.workspace.root / "applied" / STACK).exists()

    # Onboarded again under the same name: nothing of the old stack is left in its state,
    # so the next apply creates all of it anew (the create itself is the first apply's).
    again = run.terraform.plan(run.copy_of(STACK, run.head))
    assert dict(again.counts) == {Action.CREATE: 3}


def live_instances(rds: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = rds.describe_db_instances()["DBInstances"]
    return [i for i in found if i.get("DBInstanceStatus") != "deleted"]
