"""Which driver builds a shape's module, by cloud.

Each cloud is a driver: its `Components` (`compiler.emit.stacks.clouds.<cloud>`), which the
isolation builders (`compiler.emit.stacks.isolation`) call the same way for every cloud, and
its rules (provider, resource types, tags, encryption, protection: `clouds.rules`). The
root stack (`compiler.emit.stacks.root`) and the stamping around it are the same for every
cloud. An unknown cloud raises; nothing is guessed.

Importing this starts cdktn's JavaScript runtime (through the builders).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from compiler.emit.stacks import isolation
from compiler.emit.stacks.builder import ModuleInterface, StackBuilder
from compiler.emit.stacks.clouds.aws import AwsComponents
from compiler.emit.stacks.clouds.azure import AZURE_RULES, AzureComponents
from compiler.emit.stacks.clouds.gcp import GCP_RULES, GcpComponents
from compiler.emit.stacks.clouds.ibm import IBM_RULES, IbmComponents
from compiler.emit.stacks.clouds.oci import OCI_RULES, OciComponents
from compiler.emit.stacks.components import Components
from compiler.emit.stacks.inputs import PlatformFacts
from compiler.emit.stacks.rules import AWS_RULES, CloudRules
from compiler.emit.stacks.values import symbolic
from compiler.resolve.shapes import Shape

DRIVERS: Mapping[str, Callable[[StackBuilder], Components]] = {
    "aws": AwsComponents,
    "azure": AzureComponents,
    "gcp": GcpComponents,
    "oci": OciComponents,
    "ibm": IbmComponents,
}
RULES: Mapping[str, CloudRules] = {
    "aws": AWS_RULES,
    "azure": AZURE_RULES,
    "gcp": GCP_RULES,
    "oci": OCI_RULES,
    "ibm": IBM_RULES,
}


def build_module(shape: Shape, platform: PlatformFacts) -> tuple[bytes, ModuleInterface]:
    driver = DRIVERS.get(shape.cloud)
    if driver is None:
        raise ValueError(f"no stack driver for cloud {shape.cloud!r}")
    b = StackBuilder(shape, platform, tags_of(shape), RULES[shape.cloud])
    return isolation.build(driver(b))


def tags_of(shape: Shape) -> dict[str, str]:
    """The stack's own tags (beyond managed-by and platform), on every cloud: pool resources
    are `shared` so cost reports can split them."""
    values = symbolic(shape)
    if shape.kind == "pool":
        pool = values.need("pool").pool
        return {"pool": pool, "tenant": "shared", "plan": "shared", "isolation": "shared"}
    tenant = values.need("tenant")
    tags = {"tenant": tenant.tenant, "plan": tenant.plan, "isolation": shape.kind}
    if values.pool is not None:
        tags["pool"] = values.pool.pool
    return tags
