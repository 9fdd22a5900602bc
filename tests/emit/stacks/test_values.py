"""A stack's values: the inputs its module takes, computed in Python, names cut to AWS's
limits as `naming.fit` cuts them, and only the groups its shape takes."""

from __future__ import annotations

import re
from pathlib import Path

from compiler.dsl.common import NAME_PATTERN
from compiler.emit.stacks import naming
from compiler.emit.stacks.inputs import all_stacks
from compiler.emit.stacks.values import declarations, groups_of, symbolic, values_of
from compiler.pipeline import validate
from compiler.resolve.shapes import Shape
from tests.emit.stacks.conftest import write_files
from tests.emit.stacks.specs import PLATFORM, spec_files, tenant

LONG = "a" + "b" * 38 + "c"  # the longest name the DSL takes


def test_the_longest_stack_name_is_the_dsls() -> None:
    assert re.match(NAME_PATTERN, LONG)
    assert not re.match(NAME_PATTERN, LONG + "d")
    assert len(naming.LONGEST_STACK) == len(f"tenant-{LONG}")


def test_names_with_a_limit_are_cut_as_naming_cuts_them(tmp_path: Path) -> None:
    files = spec_files(**{LONG: tenant(LONG, "business")})
    long_platform = "p" + "q" * 38 + "r"
    files["platform.yaml"] = PLATFORM.format(backend="{type: local}").replace(
        "name: acmecloud", f"name: {long_platform}"
    )
    stack = all_stacks(validate(write_files(tmp_path, files)))[f"tenant-{LONG}"]
    values = values_of(stack)
    assert values.tenant is not None
    assert values.service is not None
    assert values.database is not None
    assert values.bucket is not None
    full = f"{long_platform}-tenant-{LONG}"
    assert values.tenant.role_name == naming.fit(full, naming.IAM_ROLE_MAX)
    assert len(values.tenant.role_name) == naming.IAM_ROLE_MAX
    assert values.service.execution_role_name == naming.fit(f"{full}-execution", 64)
    assert values.database.database_identifier == naming.rds_identifier(long_platform, stack.stack)
    assert values.bucket.bucket_base_name == naming.fit(full, naming.BUCKET_FIXED_MAX)
    assert len(values.bucket.bucket_base_name) <= naming.BUCKET_FIXED_MAX


def test_each_stack_takes_exactly_its_shapes_inputs(tmp_path: Path) -> None:
    for stack in all_stacks(validate(write_files(tmp_path, spec_files()))).values():
        values = values_of(stack)
        assert tuple(name for name, _ in values.groups()) == groups_of(stack.shape)
        assert list(values.inputs()) == [d.name for d in declarations(stack.shape)]


def test_the_builders_see_references_only() -> None:
    shape = Shape("aws", "bridge", "service", "limited")
    inputs = symbolic(shape).inputs()
    assert inputs == {name: f"${{var.{name}}}" for name in inputs}
    assert {d.type for d in declarations(shape)} == {"string", "number", "bool"}
    assert next(d for d in declarations(shape) if d.name == "database_multi_az").type == "bool"
