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
from compiler.emit.stacks.cdk import AwsProvider, module_call, moved, new_stack, output, variable
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
    AwsProvider(stack, str(inputs["region"]))
    configure_backend(stack, platform.backend, name)
    passed: dict[str, object] = dict(inputs)
    if interface.pool_outputs:
        pool = PoolState(stack, platform.backend, f"pool-{inputs['pool']}")
        passed.update((key, pool.get(found)) for key, found in interface.pool_outputs)
    for key, description in interface.settings:
        variable(stack, key, "string", description)
        passed[key] = f"${{var.{key}}}"
    call = module_name(shape)
    module_call(stack, call, module_source(module), passed)
    for key, description in interface.outputs:
        output(stack, key, f"${{module.{call}.{key}}}", description)
    moved(stack, moves(shape, interface))
    return canonical_json(stack.to_terraform())
