"""Random edits of YAML-shaped data, for the property tests."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import strategies as st


def paths_in(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path into `data` (the empty path first): keys of mappings, indexes of lists."""
    out = [prefix]
    if isinstance(data, dict):
        for key, value in data.items():
            out += paths_in(value, (*prefix, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            out += paths_in(value, (*prefix, index))
    return out


def mutate(
    draw: st.DrawFn, data: Any, values: st.SearchStrategy[Any], delete: st.SearchStrategy[bool]
) -> Any:
    """A deep copy of `data` with one to three values replaced by `values`, or deleted from
    their mapping when `delete` draws True."""
    data = copy.deepcopy(data)
    for _ in range(draw(st.integers(1, 3))):
        paths = paths_in(data)[1:]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = data
        for part in path[:-1]:
            parent = parent[part]
        if isinstance(parent, dict) and draw(delete):
            del parent[path[-1]]
        else:
            parent[path[-1]] = draw(values)
    return data
