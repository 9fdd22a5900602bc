"""The root stack: `stacks/<stack>/cdk.tf.json`, every stack's entry point.

A root stack holds what is the stack's own and nothing of its resources: the provider (its
region), the backend (where its state is), the pool's remote state (bridge and pooled
tenants), one call of its shape's module with the stack's values, the outputs later steps
read, and the `moved` blocks that carry state from the addresses of the layout before
modules (`aws_db_instance.database`) to the module's (`module.tenant.aws_db_instance.database`).

It is synthesized through cdktn like the module: once per shape with placeholders for the
values (the shape's template, `compiler.emit.stacks.template`), and per stack only in tests,
which prove the two the same byte for byte.
"""

from __future__ import annotations

from collections.abc import Mapping

from compiler.emit.artifact import canonical_json
from compiler.emit.stacks.backend import PoolState, configure_backend
from compiler.emit.stacks.builder import ModuleInterface
from compiler.emit.stacks.cdk import (
    AwsProvider,
    Construct,
    Provider,
    module_call,
    moved,
    new_stack,
    output,
    variable,
)
from compiler.emit.stacks.inputs import PlatformFacts
from compiler.emit.stacks.values import Scalar
from compiler.resolve.shapes import Shape

MODULES_FOLDER = "modules"


def module_name(shape: Shape) -> str:
    """The module call's name, the first part of every module address: `pool` or `tenant`."""
    return "pool" if shape.kind == "pool" else "tenant"


def module_source(module: str) -> str:
    """Where a root stack finds its module: `stacks/<stack>/` -> `modules/<module>/`."""
    return f"../../{MODULES_FOLDER}/{module}"


def moves(shape: Shape, interface: ModuleInterface) -> list[tuple[str, str]]:
    """(old address, address in the module) of every resource of the module."""
    prefix = f"module.{module_name(shape)}."
    return [(address, prefix + address) for address in interface.resources]


def provider(stack: Construct, cloud: str, platform: PlatformFacts, region: str) -> None:
    """The stack's provider: its region, and the account the platform names for the cloud
    (never a credential: those come from the workflow's OIDC login)."""
    if cloud == "aws":
        AwsProvider(stack, region)
        return
    from compiler.emit.stacks.drivers import RULES  # noqa: PLC0415  (no cycle at import)

    rules = RULES[cloud]
    account = dict(platform.account_of(cloud))
    if cloud == "azure":
        attributes: dict[str, object] = {
            "features": [{}],
            "subscription_id": account["subscriptionId"],
            "tenant_id": account["tenantId"],
            "use_oidc": True,
            "storage_use_azuread": True,
        }
    elif cloud == "gcp":
        attributes = {"project": account["project"], "region": region}
    elif cloud == "oci":
        attributes = {"region": region}  # the tenancy and credentials: the workflow's login
    elif cloud == "ibm":
        attributes = {"region": region}  # the account and credentials: the workflow's login
    else:
        raise ValueError(f"no provider settings for cloud {cloud!r}")
    Provider(stack, rules.provider, rules.source, rules.version, attributes)


def build_root(
    module: str,
    shape: Shape,
    platform: PlatformFacts,
    interface: ModuleInterface,
    inputs: Mapping[str, Scalar],
) -> bytes:
    """The root stack of one stack of `shape` calling `module`, which takes `inputs` (the
    stack's values, or the template's placeholders for them)."""
    name = str(inputs["stack"])
    stack = new_stack(name)
    backend = platform.backend_of(shape.cloud)
    provider(stack, shape.cloud, platform, str(inputs["region"]))
    configure_backend(stack, backend, name)
    passed: dict[str, object] = dict(inputs)
    if interface.pool_outputs:
        pool = PoolState(stack, backend, f"pool-{inputs['pool']}")
        passed.update((key, pool.get(found)) for key, found in interface.pool_outputs)
    for key, description in interface.settings:
        variable(stack, key, "string", description)
        passed[key] = f"${{var.{key}}}"
    call = module_name(shape)
    module_call(stack, call, module_source(module), passed)
    for key, description in interface.outputs:
        output(stack, key, f"${{module.{call}.{key}}}", description)
    if shape.cloud == "aws":  # the only cloud whose stacks were applied before modules
        moved(stack, moves(shape, interface))
    return canonical_json(stack.to_terraform())
