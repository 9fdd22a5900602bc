"""A shape's root-stack template, and stamping one stack's values into it.

The template is the root stack cdktn synthesizes for the shape with a placeholder,
`@@<input>@@`, wherever a stack's value goes: as a whole JSON value (the module's inputs) or
inside a string (the stack's name in its backend key and in cdktn's metadata). Stamping puts
the stack's values there, JSON-encoded, and nothing else changes: cdktn is not involved, so
this runs without node. `tests/emit/stacks/test_conformance.py` proves, for every shape, that
a stamped stack is byte for byte what cdktn synthesizes for that stack.

Stamping is only the same as synthesizing when nothing in the output depends on a value but
its place: the canonical JSON sorts keys, so a placeholder in a key is allowed only where the
object has no other key (cdktn's list of a stack's outputs, keyed by the stack's name). The
template is checked for that when it is made.

No cdktn import here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from compiler.emit.stacks.values import Scalar

_PLACEHOLDER = re.compile(rb'"@@([a-z0-9_]+)@@"|@@([a-z0-9_]+)@@')
_MARK = "@@"


def placeholder(name: str) -> str:
    return f"{_MARK}{name}{_MARK}"


def placeholders(names: Mapping[str, Scalar] | list[str]) -> dict[str, Scalar]:
    """A placeholder for each input (what the template is synthesized with)."""
    return {name: placeholder(name) for name in names}


class TemplateError(ValueError):
    """A template that stamping cannot be trusted with, or values that do not fit it."""


@dataclass(frozen=True)
class Template:
    content: bytes
    inputs: frozenset[str]  # every placeholder in it

    @classmethod
    def of(cls, content: bytes, shape: str) -> Template:
        """A template as synthesized (or read back from its file), checked."""
        try:
            document = orjson.loads(content)
        except orjson.JSONDecodeError as error:
            raise TemplateError(f"the template of {shape} is not JSON ({error})") from None
        _check_keys(document, shape)
        found = frozenset(
            (whole or inside).decode() for whole, inside in _PLACEHOLDER.findall(content)
        )
        return cls(content, found)

    def stamp(self, values: Mapping[str, Scalar]) -> bytes:
        """The template with `values` in place of its placeholders: exactly one value for
        each placeholder, and none with a placeholder's mark inside."""
        if values.keys() != self.inputs:
            missing = sorted(self.inputs - values.keys())
            extra = sorted(values.keys() - self.inputs)
            raise TemplateError(f"values do not fit the template: missing {missing}, extra {extra}")
        encoded = {name: orjson.dumps(value) for name, value in values.items()}
        if any(_MARK.encode() in text for text in encoded.values()):
            raise TemplateError(f"a value holds {_MARK!r}, which marks placeholders")

        def put(match: re.Match[bytes]) -> bytes:
            whole, inside = match.groups()
            if whole is not None:
                return encoded[whole.decode()]
            text = encoded[inside.decode()]
            if not text.startswith(b'"'):
                raise TemplateError(f"{inside.decode()} is written inside a string: not text")
            return text[1:-1]

        return _PLACEHOLDER.sub(put, self.content)


def _check_keys(value: Any, shape: str) -> None:
    if isinstance(value, dict):
        marked = [k for k in value if _MARK in k]
        if marked and len(value) > 1:
            raise TemplateError(
                f"the template of {shape} has a placeholder in a key beside other keys "
                f"({marked[0]}): the keys' order would depend on the value"
            )
        for item in value.values():
            _check_keys(item, shape)
    elif isinstance(value, list):
        for item in value:
            _check_keys(item, shape)
