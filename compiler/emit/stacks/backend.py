"""Where each stack keeps its Terraform state, and how a tenant stack reads its pool's.

`Platform.stateBackend` decides both:

* local (the default): `<path>` relative to the folder Terraform runs in, one folder per
  stack (`stacks/<stack>/`), so a tenant finds its pool's state at `../pool-<pool>/<path>`.
  cdktn's own default is an absolute path under `cdk.out`, which would put the build
  machine into the output; the path is always set here.
* s3: one object per stack, `<keyPrefix><stack>/terraform.tfstate`, encrypted, locked with
  the DynamoDB table.
* azurerm (Azure stacks): one blob per stack, the same key, in the platform's container;
  Azure AD (OIDC) authentication, no access key, locked by the blob's lease.
* gcs (GCP stacks): one folder per stack, `<keyPrefix><stack>/` (the backend names the
  object `default.tfstate` in it), in the platform's bucket; the workflow's credentials
  (workload identity federation), locked by the backend's lock object.
* oci (OCI stacks): Terraform's own `oci` backend (Terraform 1.12 or later), one object per
  stack, the same key, in the platform's bucket and namespace; it authenticates as the oci
  provider does. cdktn has no construct for it: it is written as an override of the
  stack's `terraform.backend`, and its remote state through the generic construct.
* s3 with an `endpoint` (IBM stacks: Cloud Object Storage): Terraform's `s3` backend at
  that endpoint, one object per stack, the same key, locked with a lock file beside it
  (`use_lockfile`: COS has no DynamoDB). The checks that only AWS answers (credentials
  through STS, the region's name, the account id, the instance metadata, the checksums COS
  does not take) are skipped. The backend authenticates with COS HMAC keys, which it reads
  from the shared credentials profile `S3_COMPATIBLE_PROFILE` that the workflow's IBM
  login writes from repository secrets: never from the stack, and never AWS's variables,
  which an AWS login in the same job sets.
"""

from __future__ import annotations

from compiler.emit.stacks.cdk import Construct, cdktn
from compiler.resolve.model import (
    AnyBackend,
    AzurermBackend,
    GcsBackend,
    LocalBackend,
    OciBackend,
    S3Backend,
    S3CompatibleBackend,
)

STATE_FILE = "terraform.tfstate"
OCI_BACKEND_TERRAFORM = ">= 1.12.0"  # the first Terraform with the oci backend
S3_COMPATIBLE_PROFILE = "paybill-s3-compatible"
# The s3 backend's region when the spec names none: a name only (its check is skipped);
# the endpoint says where the bucket is.
S3_COMPATIBLE_REGION = "us-east-1"


def state_prefix(backend: GcsBackend, stack: str) -> str:
    """The gcs backend's folder of `stack` (it adds `default.tfstate` itself)."""
    prefix = backend.key_prefix.strip("/")
    return f"{prefix}/{stack}" if prefix else stack


def state_key(
    backend: S3Backend | S3CompatibleBackend | AzurermBackend | OciBackend, stack: str
) -> str:
    """`keyPrefix` is a folder: `platform` and `platform/` both give `platform/<stack>/...`."""
    prefix = backend.key_prefix.strip("/")
    return f"{prefix}/{stack}/{STATE_FILE}" if prefix else f"{stack}/{STATE_FILE}"


def configure_backend(stack: Construct, backend: AnyBackend, name: str) -> None:
    if isinstance(backend, LocalBackend):
        cdktn.LocalBackend(stack, path=backend.path)
        return
    if isinstance(backend, AzurermBackend):
        cdktn.AzurermBackend(stack, **_azurerm(backend, name))  # type: ignore[arg-type]
        return
    if isinstance(backend, GcsBackend):
        cdktn.GcsBackend(stack, bucket=backend.bucket, prefix=state_prefix(backend, name))
        return
    if isinstance(backend, OciBackend):
        stack.add_override("terraform.backend", {"oci": _oci(backend, name)})  # type: ignore[attr-defined]
        stack.add_override("terraform.required_version", OCI_BACKEND_TERRAFORM)  # type: ignore[attr-defined]
        return
    if isinstance(backend, S3CompatibleBackend):
        stack.add_override("terraform.backend", {"s3": s3_compatible(backend, name)})  # type: ignore[attr-defined]
        return
    if not isinstance(backend, S3Backend):
        raise ValueError(f"no {backend.type} state backend for this stack's cloud")
    cdktn.S3Backend(
        stack,
        bucket=backend.bucket,
        key=state_key(backend, name),
        region=backend.region,
        dynamodb_table=backend.lock_table,
        encrypt=True,
    )


def _azurerm(backend: AzurermBackend, stack: str) -> dict[str, str | bool]:
    """The azurerm backend's settings for `stack`: no key or secret, the workflow's OIDC
    token (`use_oidc`) and Azure AD for the blob (`use_azuread_auth`)."""
    return {
        "resource_group_name": backend.resource_group,
        "storage_account_name": backend.storage_account,
        "container_name": backend.container,
        "key": state_key(backend, stack),
        "use_oidc": True,
        "use_azuread_auth": True,
    }


def _oci(backend: OciBackend, stack: str) -> dict[str, str]:
    return {
        "bucket": backend.bucket,
        "namespace": backend.namespace,
        "key": state_key(backend, stack),
    }


def s3_compatible(backend: S3CompatibleBackend, stack: str) -> dict[str, object]:
    """The s3 backend's settings for `stack` in another cloud's S3-compatible storage."""
    return {
        "bucket": backend.bucket,
        "key": state_key(backend, stack),
        "region": backend.region or S3_COMPATIBLE_REGION,
        "endpoints": {"s3": backend.endpoint},
        "profile": S3_COMPATIBLE_PROFILE,
        "use_lockfile": True,
        "use_path_style": True,
        "skip_credentials_validation": True,
        "skip_region_validation": True,
        "skip_requesting_account_id": True,
        "skip_metadata_api_check": True,
        "skip_s3_checksum": True,
    }


class PoolState:
    """The outputs of a pool stack, read through `terraform_remote_state`.

    Tenant stacks refer to the pool's network, cluster, bucket and key only through these
    declared outputs, never through copied ids, so the pool can be rebuilt and its tenants
    follow on their next apply.
    """

    ID = "pool"

    def __init__(self, scope: Construct, backend: AnyBackend, pool_stack: str):
        if isinstance(backend, LocalBackend):
            cdktn.DataTerraformRemoteStateLocal(
                scope, self.ID, path=f"../{pool_stack}/{backend.path}"
            )
        elif isinstance(backend, AzurermBackend):
            settings = _azurerm(backend, pool_stack)
            cdktn.DataTerraformRemoteStateAzurerm(scope, self.ID, **settings)  # type: ignore[arg-type]
        elif isinstance(backend, OciBackend):
            state = cdktn.TerraformRemoteState(scope, self.ID, "oci")
            state.add_override("config", _oci(backend, pool_stack))
        elif isinstance(backend, S3CompatibleBackend):
            state = cdktn.TerraformRemoteState(scope, self.ID, "s3")
            found = s3_compatible(backend, pool_stack)
            found.pop("use_lockfile")  # reading takes no lock
            state.add_override("config", found)
        elif isinstance(backend, GcsBackend):
            cdktn.DataTerraformRemoteStateGcs(
                scope, self.ID, bucket=backend.bucket, prefix=state_prefix(backend, pool_stack)
            )
        elif not isinstance(backend, S3Backend):
            raise ValueError(f"no {backend.type} remote state for this stack's cloud")
        else:
            cdktn.DataTerraformRemoteStateS3(
                scope,
                self.ID,
                bucket=backend.bucket,
                key=state_key(backend, pool_stack),
                region=backend.region,
            )

    def get(self, output: str) -> str:
        """A reference to one of the pool's outputs (a list output stays one expression)."""
        return f"${{data.terraform_remote_state.{self.ID}.outputs.{output}}}"
