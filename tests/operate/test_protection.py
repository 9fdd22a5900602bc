"""Protections and checkouts in the layout of modules: a stack's stores are in its module,
an override lifting one goes into that module's folder (a private copy), users name a store
as the spec does, and the configuration a stack was applied with is kept root and module."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from compiler.operate import protection
from compiler.operate.protection import ROOT, Address
from compiler.operate.stack_apply import StackRun
from compiler.operate.stacks import checkout, configuration, unprotecting
from compiler.terraform import Terraform, Workspace
from compiler.terraform.modules import ModuleSourceError

MODULE = "aws-bridge-service-limited"
ROOT_CONFIG = json.dumps(
    {"module": {"tenant": {"source": f"../../modules/{MODULE}", "stack": "tenant-acme"}}}
).encode()
MODULE_CONFIG = json.dumps(
    {
        "resource": {
            "aws_db_instance": {"database": {}},
            "aws_kms_key": {"key": {}},
            "aws_s3_bucket": {"bucket": {}},
            "aws_iam_role": {"tenant_role": {}},
        }
    }
).encode()
OLD_LAYOUT = json.dumps({"resource": {"aws_s3_bucket": {"bucket": {}, "log_bucket": {}}}}).encode()
OUTPUT = {
    "stacks/tenant-acme/cdk.tf.json": ROOT_CONFIG,
    f"modules/{MODULE}/cdk.tf.json": MODULE_CONFIG,
    f"modules/{MODULE}/.terraform.lock.hcl": b"# lock\n",
    f"modules/{MODULE}/stack-template.json": b"{}",
}


def test_addresses_read_as_terraform_and_the_spec_name_them() -> None:
    inside = Address.parse("module.tenant.aws_db_instance.database")
    assert (inside.module, inside.full, inside.spec) == (
        "tenant",
        "module.tenant.aws_db_instance.database",
        "aws_db_instance.database",
    )
    assert Address.parse("aws_db_instance.database").full == "aws_db_instance.database"
    assert protection.spec_address("module.pool.aws_kms_key.key") == "aws_kms_key.key"
    assert protection.needs_unprotecting("module.tenant.aws_db_instance.database")
    assert not protection.needs_unprotecting("module.tenant.aws_s3_bucket.bucket")
    with pytest.raises(ValueError, match="is not a resource of a stack or of its module"):
        Address.parse("module.a.module.b.aws_s3_bucket.x")


def test_terraforms_refusal_names_the_address_in_the_module_across_lines() -> None:
    said = (
        "Resource module.tenant.aws_db_instance.database has lifecycle.prevent_destroy\n"
        "set, but the plan calls for this resource to be destroyed."
    )
    assert protection.refused_destroys(said) == ["module.tenant.aws_db_instance.database"]


def test_stores_are_found_at_the_root_and_in_each_module() -> None:
    assert [a.full for a in protection.stores(ROOT_CONFIG, {"tenant": MODULE_CONFIG})] == [
        "module.tenant.aws_db_instance.database",
        "module.tenant.aws_kms_key.key",
        "module.tenant.aws_s3_bucket.bucket",
    ]
    assert [a.full for a in protection.stores(OLD_LAYOUT, {})] == [
        "aws_s3_bucket.bucket",
        "aws_s3_bucket.log_bucket",
    ]


def test_overrides_go_where_their_resources_are() -> None:
    found = protection.override(
        [Address("tenant", "aws_db_instance", "database"), Address(ROOT, "aws_s3_bucket", "b")],
        teardown=True,
    )
    assert json.loads(found["tenant"]) == {
        "resource": {
            "aws_db_instance": {
                "database": {
                    "apply_immediately": True,
                    "deletion_protection": False,
                    "lifecycle": {"prevent_destroy": False},
                }
            }
        }
    }
    assert json.loads(found[ROOT]) == {
        "resource": {
            "aws_s3_bucket": {"b": {"force_destroy": True, "lifecycle": {"prevent_destroy": False}}}
        }
    }
    lifted = protection.lift_prevent_destroy(["module.tenant.aws_kms_key.key"])
    assert list(lifted) == ["tenant"]
    assert json.loads(lifted["tenant"]) == {
        "resource": {"aws_kms_key": {"key": {"lifecycle": {"prevent_destroy": False}}}}
    }


def test_the_stores_of_every_cloud_are_found_and_lifted_the_way_their_cloud_needs() -> None:
    module = json.dumps(
        {
            "resource": {
                "google_sql_database_instance": {"database": {}},
                "google_storage_bucket": {"bucket": {}},
                "google_kms_crypto_key": {"key": {}},
                "google_service_account": {"identity": {}},
                "azurerm_postgresql_flexible_server": {"database": {}},
                "oci_objectstorage_bucket": {"bucket": {}},
            }
        }
    ).encode()
    found = protection.stores(ROOT_CONFIG, {"tenant": module})
    assert [a.spec for a in found] == [
        "azurerm_postgresql_flexible_server.database",
        "google_kms_crypto_key.key",
        "google_sql_database_instance.database",
        "google_storage_bucket.bucket",
        "oci_objectstorage_bucket.bucket",
    ]
    assert protection.needs_unprotecting("module.tenant.google_sql_database_instance.database")
    assert not protection.needs_unprotecting(
        "module.tenant.azurerm_postgresql_flexible_server.database"
    )
    lifted = json.loads(protection.override(found, teardown=True)["tenant"])["resource"]
    assert lifted["google_sql_database_instance"]["database"] == {
        "deletion_protection": False,
        "lifecycle": {"prevent_destroy": False},
    }
    assert lifted["google_storage_bucket"]["bucket"]["force_destroy"] is True
    assert lifted["oci_objectstorage_bucket"]["bucket"] == {"lifecycle": {"prevent_destroy": False}}
    assert {"google_kms_crypto_key", "azurerm_key_vault_key"} <= protection.KEPT_ON_TEARDOWN


def test_ibm_stores_are_found_and_lifted_with_the_providers_own_arguments() -> None:
    module = json.dumps(
        {
            "resource": {
                "ibm_database": {"database": {}},
                "ibm_cos_bucket": {"bucket": {}, "logs": {}},
                "ibm_kms_key": {"key": {}},
                "ibm_resource_instance": {"cos_instance": {}},
            }
        }
    ).encode()
    found = protection.stores(ROOT_CONFIG, {"tenant": module})
    assert [a.spec for a in found] == [
        "ibm_cos_bucket.bucket",
        "ibm_cos_bucket.logs",
        "ibm_database.database",
        "ibm_kms_key.key",
    ]
    assert protection.needs_unprotecting("module.tenant.ibm_database.database")
    lifted = json.loads(protection.override(found, teardown=True)["tenant"])["resource"]
    assert lifted["ibm_database"]["database"] == {
        "deletion_protection": False,
        "lifecycle": {"prevent_destroy": False},
    }
    assert lifted["ibm_cos_bucket"]["logs"] == {
        "force_delete": True,  # ibm's name for emptying it; force_destroy is not an argument
        "lifecycle": {"prevent_destroy": False},
    }
    assert "ibm_kms_key" in protection.KEPT_ON_TEARDOWN
    replaced = json.loads(protection.override(found, teardown=False)["tenant"])["resource"]
    assert "force_delete" not in replaced["ibm_cos_bucket"]["bucket"]


def test_an_address_in_a_module_a_configuration_does_not_call_is_at_its_root() -> None:
    """A confirmed replacement planned in modules, lifted with the configuration last
    applied, written before modules."""
    moved = protection.relocate([Address.parse("module.tenant.aws_db_instance.database")], set())
    assert [a.full for a in moved] == ["aws_db_instance.database"]
    kept = protection.relocate([Address.parse("module.tenant.aws_kms_key.key")], {"tenant"})
    assert [a.full for a in kept] == ["module.tenant.aws_kms_key.key"]


def test_a_checkout_lays_the_stack_and_its_module_out_as_generated_does(tmp_path: Path) -> None:
    workspace = Workspace(tmp_path / "work")
    incoming = checkout(workspace, "tenant-acme", OUTPUT.get)
    assert (incoming.private, incoming.modules) == (False, {"tenant": MODULE})
    module = incoming.folder.parent.parent / "modules" / MODULE
    assert sorted(p.name for p in module.iterdir()) == [".terraform.lock.hcl", "cdk.tf.json"]
    copy = incoming.into(workspace, None)
    assert (copy.path / ".terraform.lock.hcl").read_bytes() == b"# lock\n"
    assert (tmp_path / "work/modules" / MODULE / "cdk.tf.json").read_bytes() == MODULE_CONFIG


def test_an_override_for_a_module_makes_it_private(tmp_path: Path) -> None:
    workspace = Workspace(tmp_path / "work")
    stores = protection.stores(*(configuration(OUTPUT.get, "tenant-acme") or (b"", {})))
    extra = unprotecting(protection.override(stores, teardown=False))
    incoming = checkout(workspace, "tenant-acme", OUTPUT.get, extra)
    assert incoming.private
    copy = incoming.into(workspace, None)
    private = copy.path / "paybill-modules" / MODULE
    assert sorted(p.name for p in private.iterdir()) == [
        "cdk.tf.json",
        protection.UNPROTECT_FILE,
    ]
    assert not (tmp_path / "work/modules" / MODULE).exists()


def test_a_module_named_elsewhere_is_never_read(tmp_path: Path) -> None:
    evil = json.dumps({"module": {"tenant": {"source": "../../../secrets"}}}).encode()
    read = {"stacks/tenant-acme/cdk.tf.json": evil}.get
    with pytest.raises(ModuleSourceError, match="a stack's module must be at"):
        configuration(read, "tenant-acme")
    with pytest.raises(ModuleSourceError):
        checkout(Workspace(tmp_path / "work"), "tenant-acme", read)


def run_in(root: Path) -> StackRun:
    return StackRun(
        terraform=Terraform(executor=None),  # type: ignore[arg-type]  (nothing runs here)
        workspace=Workspace(root),
        override=None,
        head=OUTPUT.get,
        base=None,
        head_records={},
        base_records={},
    )


def test_what_was_applied_is_kept_root_and_module(tmp_path: Path) -> None:
    run = run_in(tmp_path / "work")
    run.remember("tenant-acme", OUTPUT.get)
    kept = run.applied_folder("tenant-acme")
    assert sorted(p.relative_to(kept).as_posix() for p in kept.rglob("*") if p.is_file()) == [
        f"modules/{MODULE}/.terraform.lock.hcl",
        f"modules/{MODULE}/cdk.tf.json",
        "stacks/tenant-acme/cdk.tf.json",
    ]
    previous = run.previous("tenant-acme")
    assert previous is not None
    assert configuration(previous, "tenant-acme") == (ROOT_CONFIG, {"tenant": MODULE_CONFIG})


def test_what_an_older_paybill_kept_is_read_as_the_stacks_root(tmp_path: Path) -> None:
    run = run_in(tmp_path / "work")
    kept = run.applied_folder("tenant-acme")
    kept.mkdir(parents=True)
    (kept / "cdk.tf.json").write_bytes(OLD_LAYOUT)
    previous = run.previous("tenant-acme")
    assert previous is not None
    assert configuration(previous, "tenant-acme") == (OLD_LAYOUT, {})
    assert previous("modules/x/cdk.tf.json") is None
