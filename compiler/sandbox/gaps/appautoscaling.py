"""Application Auto Scaling: moto has no `TagResource`, `UntagResource` or
`ListTagsForResource`, and drops the `Tags` of `RegisterScalableTarget`.

The AWS provider tags every scalable target and then reads its tags back; the missing action
is answered with an error the provider retries, so an apply with a scalable target waits
until its timeout. Here a target keeps its tags, and the three actions work on them.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator

from moto.applicationautoscaling.models import (
    FakeScalableTarget,
    applicationautoscaling_backends,
)
from moto.applicationautoscaling.responses import ApplicationAutoScalingResponse
from moto.core.exceptions import JsonRESTError

_MARK = "_paybill_tags"


class ResourceNotFound(JsonRESTError):
    def __init__(self, arn: str) -> None:
        super().__init__("ResourceNotFoundException", f"No scalable target found for {arn}")


def _targets(response: ApplicationAutoScalingResponse) -> Iterator[FakeScalableTarget]:
    backend = applicationautoscaling_backends[response.current_account][response.region]
    for by_resource in backend.targets.values():
        yield from by_resource.values()


def _target(response: ApplicationAutoScalingResponse, arn: str) -> FakeScalableTarget:
    for target in _targets(response):
        if target.arn == arn:
            return target
    raise ResourceNotFound(arn)


def _tags(target: FakeScalableTarget) -> dict[str, str]:
    tags: dict[str, str] = target.__dict__.setdefault(_MARK, {})
    return tags


def list_tags_for_resource(self: ApplicationAutoScalingResponse) -> str:
    target = _target(self, self._get_param("ResourceARN"))
    return json.dumps({"Tags": _tags(target)})


def tag_resource(self: ApplicationAutoScalingResponse) -> str:
    target = _target(self, self._get_param("ResourceARN"))
    _tags(target).update(self._get_param("Tags") or {})
    return json.dumps({})


def untag_resource(self: ApplicationAutoScalingResponse) -> str:
    target = _target(self, self._get_param("ResourceARN"))
    tags = _tags(target)
    for key in self._get_param("TagKeys") or []:
        tags.pop(key, None)
    return json.dumps({})


def apply() -> None:
    original: Callable[[ApplicationAutoScalingResponse], str] = (
        ApplicationAutoScalingResponse.register_scalable_target
    )
    if getattr(original, _MARK, False):
        return

    @functools.wraps(original)
    def register_scalable_target(self: ApplicationAutoScalingResponse) -> str:
        body = original(self)
        tags = self._get_param("Tags")
        if tags:
            _tags(_target(self, json.loads(body)["ScalableTargetARN"])).update(tags)
        return body

    setattr(register_scalable_target, _MARK, True)
    cls = ApplicationAutoScalingResponse
    setattr(cls, "register_scalable_target", register_scalable_target)  # noqa: B010
    setattr(cls, "list_tags_for_resource", list_tags_for_resource)  # noqa: B010
    setattr(cls, "tag_resource", tag_resource)  # noqa: B010
    setattr(cls, "untag_resource", untag_resource)  # noqa: B010
