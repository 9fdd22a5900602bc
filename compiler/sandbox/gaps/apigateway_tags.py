"""API Gateway: tags can be read and changed only on stages, not on API keys, usage plans or
REST APIs.

moto routes `/tags/<arn>` only for stage ARNs; for any other resource `TagResource`,
`UntagResource` and `GetTags` answer 404 with an HTML page, so the AWS provider fails to
update a tag of an API key or a usage plan (a tenant changing plan changes their `plan`
tag) and the apply stops. Here `/tags/<arn>` reaches the API key, usage plan, REST API or
stage the ARN names, as on AWS.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

from moto.apigateway import urls
from moto.apigateway.exceptions import NotFoundException
from moto.apigateway.responses import APIGatewayResponse

_MARK = "_paybill_any_resource_tags"
_ROUTE = "{0}/tags/(?P<resourceArn>.+)$"


def _resource(response: APIGatewayResponse) -> Any:
    """The tagged object the request's ARN names (`arn:aws:apigateway:REGION::/PATH`)."""
    arn = unquote(response.path.split("/tags/", 1)[1])
    parts = arn.partition("::")[2].strip("/").split("/")
    backend = response.backend
    match parts:
        case ["apikeys", key]:
            return backend.get_api_key(key)
        case ["usageplans", plan]:
            return backend.get_usage_plan(plan)
        case ["restapis", api]:
            return backend.get_rest_api(api)
        case ["restapis", api, "stages", stage]:
            return backend.get_stage(api, stage)
    raise NotFoundException(f"Invalid resource ARN: {arn}")


def get_tags(self: APIGatewayResponse) -> str:
    return json.dumps({"tags": _resource(self).tags or {}})


def tag_resource(self: APIGatewayResponse) -> str:
    tags = self._get_param("tags") or {}
    resource = _resource(self)
    resource.tags = {**(resource.tags or {}), **tags}
    return json.dumps({})


def untag_resource(self: APIGatewayResponse) -> str:
    resource = _resource(self)
    keys = set(self.querystring.get("tagKeys") or [])
    resource.tags = {k: v for k, v in (resource.tags or {}).items() if k not in keys}
    return json.dumps({})


def apply() -> None:
    original: Callable[..., str] = APIGatewayResponse.tag_resource
    if getattr(original, _MARK, False):
        return
    # After moto's own tag routes, so that every ARN, slashes and all, reaches the handlers.
    urls.url_paths[_ROUTE] = APIGatewayResponse.dispatch
    for name, handler in (
        ("get_tags", get_tags),
        ("tag_resource", tag_resource),
        ("untag_resource", untag_resource),
    ):
        wrapped = functools.update_wrapper(handler, getattr(APIGatewayResponse, name))
        setattr(wrapped, _MARK, True)
        setattr(APIGatewayResponse, name, wrapped)
