"""Pydantic validation errors, rewritten as diagnostics a platform engineer can act on."""

from __future__ import annotations

import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from compiler.dsl.common import PATTERN_MEANING, FieldError
from compiler.errors import Diagnostic, closest, did_you_mean, quote
from compiler.load.source import Path, SourceDocument, format_path

# Fields an earlier version accepted, and what replaces them: said instead of a guess.
RETIRED = {
    "confirmDataMove": "a move to another home is confirmed with 'migration: {from: <old home>, "
    "to: <new home>}', homes written pooled/<pool>, bridge/<pool> or silo/<cloud>/<region> "
    "(docs/migrations.md)",
}


def describe_value(value: Any) -> str:
    """How a YAML value reads in a message: `the number 5`, `a list`, `null`."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text {quote(value)}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def diagnostics_for(
    source: SourceDocument, model: type[BaseModel], error: ValidationError
) -> list[Diagnostic]:
    """One diagnostic per pydantic error, placed at the key or value it is about.

    A misspelt key produces two pydantic errors: the unknown key and the missing field it
    was meant to be. Only the first is shown; its "did you mean" says the rest.
    """
    details = error.errors(include_url=False)
    meant: set[Path] = set()
    for detail in details:
        if detail["type"] == "extra_forbidden":
            path, _ = _data_path(source.data, detail["loc"])
            target = closest(str(path[-1]), _allowed_keys(model, path[:-1]))
            if target:
                meant.add((*path[:-1], target))
    return [
        _one(source, model, detail)
        for detail in details
        if not (detail["type"] == "missing" and _data_path(source.data, detail["loc"])[0] in meant)
    ]


def _one(source: SourceDocument, model: type[BaseModel], detail: ErrorDetails) -> Diagnostic:
    path, on_key = _data_path(source.data, detail["loc"])
    kind = detail["type"]
    ctx = detail.get("ctx") or {}
    value = detail.get("input")
    last = path[-1] if path else ""
    where = source.key_at(*path) if on_key else source.at(*path)
    hint = ""
    if kind == "missing":
        message = f"missing required field '{last}'"
        # at the key of the mapping that lacks it: `spec:` for `spec.region`
        where = source.key_at(*path[:-1]) if len(path) > 1 else source.start
    elif kind == "extra_forbidden":
        message = f"unknown field '{last}'"
        where = source.key_at(*path)
        hint = RETIRED.get(str(last)) or did_you_mean(str(last), _allowed_keys(model, path[:-1]))
    elif kind in ("literal_error", "enum"):
        expected = ctx.get("expected", "")
        message = f"must be {expected}, not {describe_value(value)}"
        options = [o.strip().strip("'") for o in expected.replace(" or ", ",").split(",")]
        if isinstance(value, str):
            hint = did_you_mean(value, options)
    elif kind == "string_pattern_mismatch":
        pattern = ctx.get("pattern", "")
        meaning = PATTERN_MEANING.get(pattern, f"text matching {pattern}")
        message = f"{quote(value)} is not valid here: must be {meaning}"
    elif kind in ("union_tag_invalid", "union_tag_not_found"):
        # a mapping whose `type` (the discriminator) picks its shape, like stateBackend
        tag = str(ctx.get("discriminator", "")).strip("'")
        expected = _tag_values(model, path, tag)
        if kind == "union_tag_not_found":
            message, hint = f"missing required field '{tag}'", f"the {tag} is {expected}"
            where = source.key_at(*path) if path else source.start
        else:
            message = f"must be {expected}, not {describe_value(ctx.get('tag'))}"
            where = source.at(*path, tag)
        path = (*path, tag)
    elif kind == "value_error":
        error = ctx.get("error")
        message = str(error if error is not None else detail["msg"])
        if isinstance(error, FieldError):
            # a model's own rule: its loc ends at the model, or at a union tag after it
            path = (*_written(source.data, path), *error.field)
            where = source.key_at(*path)
    elif kind in ("greater_than_equal", "less_than_equal"):
        bound = ctx.get("ge") if kind == "greater_than_equal" else ctx.get("le")
        side = "at least" if kind == "greater_than_equal" else "at most"
        message = f"must be {side} {_number(bound)}, not {_number(value)}"
        hint = _description(model, path)
    else:
        message, hint = _shape_message(kind, ctx, value, detail["msg"])
    return Diagnostic(where, message, source.label, format_path(path), hint)


def _number(value: Any) -> str:
    """A number as a message shows it: `1,000,000`; a huge one (`1.0e+300` in YAML is a
    whole number) short."""
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{float(value):g}" if abs(value) >= 10**15 else f"{value:,}"
    return str(value)


def _description(model: type[BaseModel], path: Path) -> str:
    """The description of the field at `path` (it says why a range is what it is)."""
    if not path:
        return ""
    for owner in _models_at(model, path[:-1]):
        for name, info in owner.model_fields.items():
            if (info.alias or name) == path[-1]:
                return _first_description(info)
    return ""


def _first_description(info: Any) -> str:
    """`Runs per day: 1 to 1,000,000.` -> `runs per day: 1 to 1,000,000`, as a hint reads."""
    found = [info.description, *(getattr(m, "description", None) for m in info.metadata)]
    annotations = [info.annotation]
    while annotations:
        annotation = annotations.pop()
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            found += [getattr(m, "description", None) for m in typing.get_args(annotation)[1:]]
        elif origin in (typing.Union, types.UnionType):
            annotations.extend(typing.get_args(annotation))
    text = next((str(d) for d in found if d), "")
    return text[:1].lower() + text[1:].rstrip(".") if text else ""


def _options(quoted: str) -> str:
    """`'local', 's3'` -> `'local' or 's3'`, as enum messages read."""
    head, _, last = quoted.rpartition(", ")
    return f"{head} or {last}" if head else quoted


def _shape_message(kind: str, ctx: dict[str, Any], value: Any, fallback: str) -> tuple[str, str]:
    expected = {
        "string_type": "text",
        "int_type": "a whole number",
        "int_from_float": "a whole number",
        "bool_type": "true or false",
        "float_type": "a number",
        "list_type": "a list",
        "dict_type": "a mapping",
        "model_type": "a mapping",
        "model_attributes_type": "a mapping",
    }.get(kind)
    if expected:
        hint = ""
        if kind == "string_type" and isinstance(value, bool):
            hint = "YAML reads yes/no/on/off/true/false as booleans; put the value in quotes"
        elif kind == "string_type" and isinstance(value, int | float):
            hint = "put the value in quotes"
        return f"must be {expected}, not {describe_value(value)}", hint
    if kind in ("too_short", "string_too_short"):
        least = ctx.get("min_length", 1)
        return ("must not be empty" if least == 1 else f"needs at least {least} items"), ""
    if kind in ("too_long", "string_too_long"):
        return f"must have at most {ctx.get('max_length')} {_unit(kind)}", ""
    return fallback, ""


def _unit(kind: str) -> str:
    return "characters" if kind.startswith("string") else "items"


def _data_path(data: Any, loc: tuple[int | str, ...]) -> tuple[Path, bool]:
    """Map a pydantic `loc` onto the document, dropping union tags pydantic inserts.

    Returns the path and whether the error is about a mapping key rather than a value.
    """
    path: list[str | int] = []
    current = data
    on_key = False
    for index, part in enumerate(loc):
        if part == "[key]":
            on_key = True
            continue
        is_last = index == len(loc) - 1
        if isinstance(current, dict) and part in current:
            path.append(part)
            current = current[part]
        elif isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current):
            path.append(part)
            current = current[part]
        elif is_last or isinstance(part, int):
            path.append(part)
        # any other part is a tag pydantic added for a union member: not in the data
    return tuple(path), on_key


def _written(data: Any, path: Path) -> Path:
    """The longest start of `path` that is written in the document."""
    current = data
    for index, part in enumerate(path):
        if isinstance(current, dict) and part in current:
            current = current[part]
        elif isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current):
            current = current[part]
        else:
            return path[:index]
    return path


def _models_at(model: type[BaseModel], path: Path) -> list[type[BaseModel]]:
    """The models that may describe the mapping at `path` (several for a union)."""
    candidates: list[Any] = [model]
    for part in path:
        nxt: list[Any] = []
        for annotation in candidates:
            for inner in _unwrap(annotation):
                if isinstance(part, int):
                    if typing.get_origin(inner) is list:
                        nxt.extend(typing.get_args(inner)[:1])
                elif isinstance(inner, type) and issubclass(inner, BaseModel):
                    for name, info in inner.model_fields.items():
                        if (info.alias or name) == part:
                            nxt.append(info.annotation)
        candidates = nxt
    return [
        inner
        for annotation in candidates
        for inner in _unwrap(annotation)
        if isinstance(inner, type) and issubclass(inner, BaseModel)
    ]


def _allowed_keys(model: type[BaseModel], path: Path) -> list[str]:
    """The field names (as written in YAML) accepted at `path`, for "did you mean" hints."""
    return sorted(
        {
            info.alias or name
            for m in _models_at(model, path)
            for name, info in m.model_fields.items()
        }
    )


def _tag_values(model: type[BaseModel], path: Path, tag: str) -> str:
    """`'local' or 's3'`: what the discriminator `tag` may be for the union at `path`."""
    values = [
        repr(value)
        for member in _models_at(model, path)
        for name, info in member.model_fields.items()
        if (info.alias or name) == tag
        for value in typing.get_args(info.annotation)
    ]
    return _options(", ".join(values))


def _unwrap(annotation: Any) -> list[Any]:
    """Members of `X | None`, `Annotated[X, ...]` and unions, as plain annotations."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return [m for arg in typing.get_args(annotation) for m in _unwrap(arg)]
    return [annotation]
