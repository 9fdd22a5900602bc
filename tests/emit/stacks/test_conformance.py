"""Stamping is synthesis: for every shape, a root stack stamped into the shape's template is
byte for byte what cdktn synthesizes for that stack on its own.

The compile synthesizes each shape once (its module, and its root stack with placeholders)
and stamps every stack's values into that template without cdktn. Here each stack's root is
synthesized again through cdktn with its own values and compared with what the compile
wrote, for a spec that has a stack of every shape a tenant or pool can take (and the stores
a spec may let go), for spec/ and the examples.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import get_args

import pytest

from compiler.emit import Artifact
from compiler.emit.stacks import TEMPLATE_FILE, module_path, stack_path
from compiler.emit.stacks.inputs import all_stacks, platform_facts
from compiler.emit.stacks.template import Template, TemplateError
from compiler.emit.stacks.values import declarations, values_of
from compiler.pipeline import validate
from compiler.resolve.shapes import ApiLimits, Kind, Shape, Workload, spec_modules, stores_of
from tests.emit.stacks.compiled import family_artifacts
from tests.emit.stacks.conftest import SPEC_SETS, write_files
from tests.emit.stacks.specs import every_shape_files


@pytest.fixture(scope="module")
def every_shape(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_files(tmp_path_factory.mktemp("every-shape"), every_shape_files())


def reachable_shapes() -> set[str]:
    """Every shape a tenant or a pool can have, stores let go aside: a silo runs a service
    or is idle (offboarding, so blocked); a bridge tenant the same, or is served by the
    pool (no compute); a pooled tenant is always served by the pool."""
    workloads: dict[Kind, tuple[Workload, ...]] = {
        "silo": ("service", "idle"),
        "bridge": ("service", "idle", "shared"),
        "pooled": ("shared",),
    }
    out = {Shape("aws", "pool").name}
    for kind, workload in ((k, w) for k, ws in workloads.items() for w in ws):
        for api in get_args(ApiLimits):
            if api and (workload != "idle" or api == "blocked"):
                out.add(Shape("aws", kind, workload, api).name)
    return out


def test_the_spec_has_a_stack_of_every_shape(every_shape: Path) -> None:
    spec = validate(every_shape)
    stacks = all_stacks(spec).values()
    assert {s.shape.name for s in stacks if not s.shape.unprotected} == reachable_shapes()
    assert len(reachable_shapes()) == 15
    assert {s.module: s.shape.name for s in stacks if s.shape.unprotected} == {
        "pool-other": "aws-pool-unprotected-key",
        "tenant-bridge-unprotected": "aws-bridge-service-limited-unprotected-bucket",
        "tenant-silo-unprotected": (
            "aws-silo-service-limited-unprotected-bucket-database-key-log-bucket"
        ),
    }
    # Every shape its plans allow has a module, used or not; a stack letting a store go
    # has its own.
    assert set(spec_modules(spec)) == reachable_shapes() | {
        "pool-other",
        "tenant-bridge-unprotected",
        "tenant-silo-unprotected",
    }


def conformance(spec_dir: Path) -> list[str]:
    """Stacks whose written root differs from cdktn's synthesis of it alone, and modules
    that differ from a synthesis of their own; also checks every template is a template."""
    from compiler.emit.stacks.drivers import build_module  # noqa: PLC0415  (starts jsii)
    from compiler.emit.stacks.root import build_root  # noqa: PLC0415

    spec = validate(spec_dir)
    platform = platform_facts(spec)
    written = {a.path: a.content for a in family_artifacts(spec_dir)}
    differing = []
    interfaces = {}
    for name, shape in spec_modules(spec).items():
        module, interfaces[name] = build_module(shape, platform)
        if module != written[module_path(name)]:
            differing.append(f"module {name}")
        template = Template.of(written[module_path(name, TEMPLATE_FILE)], name)
        assert template.inputs == {d.name for d in declarations(shape)}
    for stack, inputs in sorted(all_stacks(spec).items()):
        interface = interfaces[inputs.module]
        values = values_of(inputs).inputs()
        alone = build_root(inputs.module, inputs.shape, platform, interface, values)
        if alone != written[stack_path(stack)]:
            differing.append(f"stack {stack} ({inputs.module})")
    assert interfaces
    return differing


@pytest.mark.slow
def test_every_shape_stamps_what_cdktn_synthesizes(every_shape: Path) -> None:
    assert conformance(every_shape) == []


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(SPEC_SETS))
def test_the_repository_specs_stamp_what_cdktn_synthesizes(name: str) -> None:
    assert conformance(SPEC_SETS[name]) == []


def test_stamping_puts_whole_values_and_text_in_strings() -> None:
    template = Template.of(
        b'{"a": "@@n@@", "b": "x-@@s@@/y", "c": {"@@s@@": 1}, "d": "@@s@@"}\n', "test"
    )
    assert template.inputs == {"n", "s"}
    stamped = template.stamp({"n": 42, "s": 'q"t'})
    assert stamped == b'{"a": 42, "b": "x-q\\"t/y", "c": {"q\\"t": 1}, "d": "q\\"t"}\n'


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"n": 1}, r"missing \['s'\], extra \[\]"),
        ({"n": 1, "s": "a", "t": "b"}, r"missing \[\], extra \['t'\]"),
        ({"n": 1, "s": "@@n@@"}, "a value holds '@@'"),
        ({"n": 1, "s": 5}, "s is written inside a string: not text"),
    ],
)
def test_values_that_do_not_fit_are_refused(values: dict[str, object], message: str) -> None:
    template = Template.of(b'{"a": "@@n@@", "b": "x-@@s@@"}', "test")
    with pytest.raises(TemplateError, match=message):
        template.stamp(values)  # type: ignore[arg-type]


def test_a_placeholder_in_a_key_beside_others_is_refused() -> None:
    """The keys' order would then depend on the value: stamping would not be synthesis."""
    with pytest.raises(TemplateError, match="placeholder in a key beside other keys"):
        Template.of(b'{"c": {"@@s@@": 1, "m": 2}}', "test")


def test_written_templates_are_module_artifacts(family_sets: dict[str, list[Artifact]]) -> None:
    for artifacts in family_sets.values():
        for artifact in artifacts:
            if artifact.path.endswith(TEMPLATE_FILE):
                module = artifact.path.split("/")[1]
                assert artifact.node == f"module:{module}"
                assert Template.of(artifact.content, module).inputs


# Arguments Terraform gives a module call itself: no module input may take their names.
MODULE_ARGUMENTS = {"source", "version", "count", "for_each", "providers", "depends_on"}


def test_each_module_protects_the_stores_of_its_kind_but_those_let_go(
    every_shape: Path,
) -> None:
    spec = validate(every_shape)
    artifacts = {a.path: a.content for a in family_artifacts(every_shape)}
    for name, shape in spec_modules(spec).items():
        module = json.loads(artifacts[module_path(name)])
        resources = {
            f"{kind}.{resource}": body
            for kind, items in module["resource"].items()
            for resource, body in items.items()
        }
        protected = {
            a for a, body in resources.items() if body.get("lifecycle", {}).get("prevent_destroy")
        }
        assert protected == stores_of(shape.cloud, shape.kind) - set(shape.unprotected), name
        assert set(shape.unprotected) <= set(resources), name
        assert not set(module["variable"]) & MODULE_ARGUMENTS, name
