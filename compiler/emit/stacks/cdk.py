"""The thin layer over cdktn (CDK Terrain, the maintained continuation of CDK for Terraform).

Resources are generic `cdktn.TerraformResource`s whose attributes are a plain dict named as in
the AWS provider schema: the prebuilt typed AWS bindings take ~15 s and ~1 GB to import and
track provider 6.x, while the platform pins 5.100.0. The tests check every attribute written
here against the provider's own schema instead.

Importing this module starts cdktn's JavaScript runtime (through jsii and `node`), so the
stacks family imports it only when a stack has to be synthesized. Every other module reaches
cdktn through this one, so the runtime always starts with `prepare_environment` applied.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

from compiler.emit.stacks.provider import AWS_PROVIDER_SOURCE, AWS_PROVIDER_VERSION
from compiler.emit.stacks.runtime import prepare_environment

prepare_environment()

import cdktn  # noqa: E402  (after the environment is prepared)
import jsii  # noqa: E402
from constructs import Construct, IConstruct  # noqa: E402

Aspects = cdktn.Aspects
IAspect = cdktn.IAspect
implements = jsii.implements

__all__ = [
    "AWS_PROVIDER_SOURCE",
    "AWS_PROVIDER_VERSION",
    "Aspects",
    "Construct",
    "IAspect",
    "IConstruct",
    "cdktn",
    "implements",
]

TERRAFORM_VERSION = ">= 1.5.0"

# Construct ids that cdktn keeps as they are for the Terraform address of an element placed
# directly in a stack, so references can be written without asking cdktn.
_LOGICAL_ID = re.compile(r"^[a-z][a-z0-9_]*$")


def _checked(id: str) -> str:
    if not _LOGICAL_ID.match(id):
        raise ValueError(f"construct id {id!r} must match {_LOGICAL_ID.pattern}")
    return id


class AwsProvider(cdktn.TerraformProvider):
    """The AWS provider, pinned to the exact version the platform is tested against."""

    def __init__(self, scope: Construct, region: str) -> None:
        super().__init__(
            scope,
            "aws",
            terraform_resource_type="aws",
            terraform_provider_source=AWS_PROVIDER_SOURCE,
            terraform_generator_metadata=cdktn.TerraformProviderGeneratorMetadata(
                provider_name="aws",
                provider_version=AWS_PROVIDER_VERSION,
                provider_version_constraint=AWS_PROVIDER_VERSION,
            ),
        )
        self._region = region

    def _synthesize_attributes(self) -> Mapping[str, Any]:
        return {"region": self._region}


class Provider(cdktn.TerraformProvider):
    """Any other cloud's provider, pinned, configured with `attributes` (region, account):
    the generic construct, named as the provider's schema names its arguments."""

    def __init__(
        self, scope: Construct, name: str, source: str, version: str, attributes: Mapping[str, Any]
    ) -> None:
        super().__init__(
            scope,
            name,
            terraform_resource_type=name,
            terraform_provider_source=source,
            terraform_generator_metadata=cdktn.TerraformProviderGeneratorMetadata(
                provider_name=name, provider_version=version, provider_version_constraint=version
            ),
        )
        self._attributes = dict(attributes)

    def _synthesize_attributes(self) -> Mapping[str, Any]:
        return self._attributes


class Resource(cdktn.TerraformResource):
    """One AWS resource, its attributes a plain dict that aspects may still change.

    Keeping the attributes on the Python side (rather than one `add_override` per attribute)
    halves the calls into the JavaScript runtime and keeps cdktn's override bookkeeping out
    of the output. For the same reason `ref` writes references as Terraform expressions
    itself: cdktn needs its tokens only to wire implicit cross-stack references, which these
    stacks never use (they read their pool's outputs through remote state), and inside
    cdktn functions such as `jsonencode`, for which `token` asks cdktn.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        type: str,
        attributes: Mapping[str, Any],
        *,
        ignore_changes: Sequence[str] = (),
        depends_on: Sequence[Resource] = (),
        create_before_destroy: bool = False,
    ) -> None:
        lifecycle = (
            cdktn.TerraformResourceLifecycle(
                ignore_changes=list(ignore_changes) or None,
                create_before_destroy=create_before_destroy or None,
            )
            if ignore_changes or create_before_destroy
            else None
        )
        super().__init__(
            scope,
            _checked(id),
            terraform_resource_type=type,
            lifecycle=lifecycle,
            depends_on=list(depends_on) or None,
        )
        self.type = type
        self.address = f"{type}.{id}"
        self.attributes: dict[str, Any] = dict(attributes)
        self.ignore_changes = tuple(ignore_changes)
        self.create_before_destroy = create_before_destroy

    def ref(self, attribute: str) -> str:
        """A reference to one of this resource's attributes, e.g. `arn`."""
        return f"${{{self.address}.{attribute}}}"

    def token(self, attribute: str) -> str:
        """The same reference as a cdktn token, for use inside cdktn functions."""
        return str(self.get_string_attribute(attribute))

    def protect(self, *, prevent_destroy: bool = True) -> None:
        """`lifecycle.prevent_destroy`: Terraform refuses any plan that would destroy this
        (unless `prevent_destroy` is false: a destruction reviewers confirmed). Also writes
        the lifecycle's `ignore_changes` as they stand now."""
        self.lifecycle = cdktn.TerraformResourceLifecycle(
            prevent_destroy=prevent_destroy or None,
            ignore_changes=list(self.ignore_changes) or None,
            create_before_destroy=self.create_before_destroy or None,
        )

    def _synthesize_attributes(self) -> Mapping[str, Any]:
        return self.attributes


class DataSource(cdktn.TerraformDataSource):
    """An AWS data source (account id, partition, availability zones)."""

    def __init__(self, scope: Construct, id: str, type: str, attributes: Mapping[str, Any]):
        super().__init__(scope, _checked(id), terraform_resource_type=type)
        self.type = type
        self.address = f"data.{type}.{id}"
        self.attributes: dict[str, Any] = dict(attributes)

    def expression(self, attribute: str) -> str:
        """The attribute as a bare expression, for use inside a function call."""
        return f"{self.address}.{attribute}"

    def ref(self, attribute: str) -> str:
        return f"${{{self.expression(attribute)}}}"

    def _synthesize_attributes(self) -> Mapping[str, Any]:
        return self.attributes


@cache
def _scratch_folder() -> str:
    """Where cdktn may create its output folder. An `App` creates it when constructed,
    although nothing is synthesized to disk here; without this it would appear as
    `cdktf.out/` in the user's working directory. Removed when the process exits."""
    folder = tempfile.TemporaryDirectory(prefix="paybill-cdktn-")
    _SCRATCH.append(folder)
    return folder.name


_SCRATCH: list[tempfile.TemporaryDirectory[str]] = []


def new_module(name: str, providers: Mapping[str, tuple[str, str]]) -> cdktn.TerraformStack:
    """A stack synthesized as a Terraform module: the providers it needs (local name ->
    source, exact version), and no provider configuration or backend (the root stack that
    calls it has those)."""
    stack = new_stack(name)
    stack.add_override(
        "terraform.required_providers",
        {local: {"source": s, "version": v} for local, (s, v) in sorted(providers.items())},
    )
    return stack


def new_stack(name: str) -> cdktn.TerraformStack:
    """A stack in an app of its own: stacks never reach into each other through cdktn's
    implicit cross-stack references (that would add outputs to the pool stack per tenant);
    they read each other's declared outputs through remote state instead."""
    app = cdktn.App(outdir=_scratch_folder(), skip_validation=True)
    stack = cdktn.TerraformStack(app, name)
    stack.add_override("terraform.required_version", TERRAFORM_VERSION)
    return stack


def invoke_aspects(stack: cdktn.TerraformStack) -> None:
    """Run the aspects added to `stack` over every construct in it, in the order added.

    cdktn runs aspects only inside `App.synth()`, which writes `cdk.out` to disk; stacks are
    synthesized in memory here, so this does the same walk (aspects are only ever added at
    stack level).
    """
    constructs = stack.node.find_all()
    for aspect in cdktn.Aspects.of(stack).all:
        for construct in constructs:
            aspect.visit(construct)


def synthesize(stack: cdktn.TerraformStack) -> dict[str, Any]:
    """The stack's `cdk.tf.json` content, after its aspects have run."""
    invoke_aspects(stack)
    return dict(stack.to_terraform())


def output(stack: Construct, name: str, value: Any, description: str) -> None:
    cdktn.TerraformOutput(stack, name, value=value, description=description)


def variable(stack: Construct, name: str, type: str, description: str) -> cdktn.TerraformVariable:
    """A required input of the stack (a module's input, or a root stack's `TF_VAR_*`)."""
    return cdktn.TerraformVariable(
        stack, _checked(name), type=type, description=description, nullable=False
    )


def module_call(
    stack: Construct, name: str, source: str, inputs: Mapping[str, Any]
) -> cdktn.TerraformHclModule:
    """`module "<name>"`: the module at `source` (a relative folder) with its inputs.

    cdktn would copy a local module into its output as an asset; the modules are written by
    the compiler next to the stacks instead (`modules/<shape>/`), so that step is skipped."""
    return cdktn.TerraformHclModule(
        stack,
        _checked(name),
        source=source,
        variables=dict(inputs),
        skip_asset_creation_from_local_modules=True,
    )


def moved(stack: cdktn.TerraformStack, moves: Sequence[tuple[str, str]]) -> None:
    """`moved` blocks (from, to): Terraform moves state from the old address to the new one
    instead of destroying one and creating the other. cdktn writes moved blocks only for
    its own resources within one stack; a move into a module is a block of the calling
    stack, added through cdktn's override of the stack's JSON."""
    if moves:
        stack.add_override("moved", [{"from": old, "to": new} for old, new in moves])


def jsonencode(value: Any) -> str:
    """`jsonencode(...)` evaluated by Terraform, so references inside are resolved first.
    References inside `value` must be cdktn tokens (`Resource.token`, `variable`)."""
    return str(cdktn.Fn.jsonencode(value))


def element(list_expression: str, index: int) -> str:
    """`element(<list>, index)`, e.g. one availability zone out of a data source's list."""
    return f"${{element({list_expression}, {index})}}"
