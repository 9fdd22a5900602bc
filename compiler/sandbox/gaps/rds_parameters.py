"""RDS: parameters set on a DB parameter group come back without their `Source`.

The AWS provider keeps only parameters whose source is `user` (or that the configuration
names and AWS reports with a source), so it reads every parameter it set as missing and
plans to set them again on every run. Here a parameter set through `ModifyDBParameterGroup`
reports `Source: user`, as AWS does.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any

from moto.rds.models import DBParameterGroup

_MARK = "_paybill_parameter_source"


def apply() -> None:
    original: Callable[[DBParameterGroup, Iterable[dict[str, Any]]], None] = (
        DBParameterGroup.update_parameters
    )
    if getattr(original, _MARK, False):
        return

    @functools.wraps(original)
    def update_parameters(self: DBParameterGroup, new: Iterable[dict[str, Any]]) -> None:
        new = list(new)
        original(self, new)
        for parameter in new:
            self.parameters[parameter["ParameterName"]].setdefault("Source", "user")

    setattr(update_parameters, _MARK, True)
    setattr(DBParameterGroup, "update_parameters", update_parameters)  # noqa: B010
