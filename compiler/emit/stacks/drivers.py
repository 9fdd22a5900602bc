"""Which builder makes a shape's module, by cloud and kind.

Each cloud is a driver: a builder per kind of stack (pool, silo, bridge, pooled), each taking
the shape and the platform's facts and returning the module's `cdk.tf.json` and its
interface. The root stack (`compiler.emit.stacks.root`) and the stamping around it are the
same for every cloud. An unknown cloud or kind raises; nothing is guessed.

Importing this starts cdktn's JavaScript runtime (through the builders).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from compiler.emit.stacks.builder import ModuleInterface
from compiler.emit.stacks.inputs import PlatformFacts
from compiler.emit.stacks.pool import build_pool
from compiler.emit.stacks.tenant import build_tenant
from compiler.resolve.shapes import Shape

Builder = Callable[[Shape, PlatformFacts], tuple[bytes, ModuleInterface]]

DRIVERS: Mapping[str, Mapping[str, Builder]] = {
    "aws": {
        "pool": build_pool,
        "silo": build_tenant,
        "bridge": build_tenant,
        "pooled": build_tenant,
    },
}


def build_module(shape: Shape, platform: PlatformFacts) -> tuple[bytes, ModuleInterface]:
    driver = DRIVERS.get(shape.cloud)
    if driver is None:
        raise ValueError(f"no stack driver for cloud {shape.cloud!r}")
    builder = driver.get(shape.kind)
    if builder is None:
        raise ValueError(f"the {shape.cloud} driver builds no {shape.kind} stacks")
    return builder(shape, platform)
