"""Property: whatever bytes or data a spec file holds, reading and checking it either works
or raises one of the project's own errors — never a traceback.

Three generators: arbitrary text over an alphabet rich in YAML syntax; arbitrary nested data
dumped as YAML; and valid documents of the base spec with parts replaced by arbitrary data,
which reaches the deeper checks of the models and of resolve.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compiler.dsl import parse
from compiler.errors import PaybillError, SpecError
from compiler.load import load_files
from compiler.load.yaml_reader import read_yaml
from compiler.pipeline import validate
from tests.fixtures.specs import BASE
from tests.support.mutate import mutate

PROFILE = settings(
    max_examples=int(os.environ.get("PAYBILL_PROPERTY_EXAMPLES", "300")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

YAML_ALPHABET = st.sampled_from(
    [*"abckz019 -:,[]{}&*!|>'\"#%@`?<=\n\t\r\\.~", "---", "...", "<<", "!!", "\ufeff"]
)
yaml_text = st.one_of(
    st.text(),
    st.lists(YAML_ALPHABET, max_size=80).map("".join),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=20),
    st.sampled_from(["pro", "eu-central-1", "active", "select", "10.0.0.0/16", "0 9 * * *"]),
)
nested = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=20,
)


def outcome(run: Callable[[], object], folder: str) -> None:
    """Run a stage; it may succeed or raise the project's errors, and those must be usable:
    diagnostics in the spec's files, each with a message, rendered without failing."""
    failure: PaybillError | None = None
    try:
        run()
    except PaybillError as error:
        failure = error
    if isinstance(failure, SpecError):
        assert failure.diagnostics
        for diagnostic in failure.diagnostics:
            assert diagnostic.message
            assert diagnostic.location.file.startswith(folder)
        assert failure.render().endswith(" found")
    elif failure is not None:
        assert str(failure)


def check(files: dict[str, bytes]) -> None:
    """Load and parse `files` as a spec folder."""
    outcome(lambda: parse(load_files(files, "spec"), root="spec"), "spec")


@PROFILE
@given(text=yaml_text)
def test_any_text(text: str) -> None:
    for data in (text.encode("utf-8", "surrogatepass"), text.encode("latin-1", "replace")):
        documents, problems = read_yaml("spec/x.yaml", data)
        assert all(p.location.file == "spec/x.yaml" for p in problems)
        assert all(d.file == "spec/x.yaml" for d in documents)
        check({"x.yaml": data})


@PROFILE
@given(data=nested)
def test_any_data(data: Any) -> None:
    text = yaml.safe_dump_all([data, {"kind": "Tenant", "spec": data}], allow_unicode=True)
    check({"x.yaml": text.encode()})


def _documents() -> list[tuple[str, int, Any]]:
    """(file, index, data) of every document of the base spec."""
    out = []
    for path in sorted(BASE.rglob("*.yaml")):
        for index, data in enumerate(yaml.safe_load_all(path.read_text())):
            out.append((path.relative_to(BASE).as_posix(), index, data))
    return out


DOCUMENTS = _documents()


@st.composite
def mutated_spec(draw: st.DrawFn) -> dict[str, str]:
    """The base spec with one document changed at up to three places."""
    file, index, data = draw(st.sampled_from(DOCUMENTS))
    data = mutate(draw, data, nested, st.booleans())
    documents = [d for f, i, d in DOCUMENTS if f == file]
    documents[index] = data
    return {file: yaml.safe_dump_all(documents, allow_unicode=True)}


@PROFILE
@given(change=mutated_spec())
def test_changed_spec(tmp_path_factory: Any, change: dict[str, str]) -> None:
    """The whole of validate (load, parse, resolve) on a spec with one document changed."""
    root: Path = tmp_path_factory.mktemp("spec")
    shutil.copytree(BASE, root, dirs_exist_ok=True)
    for name, text in change.items():
        (root / name).write_text(text)
    outcome(lambda: validate(root), root.as_posix())
