"""ECS: `DescribeServices` omits `availabilityZoneRebalancing` and `enableECSManagedTags`.

moto ignores both on `CreateService` and never returns them, so the provider reads them as
unset and plans to set them again on every run. Here a service keeps what it was created
with (AWS's defaults otherwise), and `UpdateService` already stores both.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from moto.ecs.models import Service
from moto.ecs.responses import EC2ContainerServiceResponse

_MARK = "_paybill_service_fields"
# The request field and the attribute the response serializer reads, with AWS's default.
FIELDS = {
    "availabilityZoneRebalancing": ("availability_zone_rebalancing", "DISABLED"),
    "enableECSManagedTags": ("enable_ecs_managed_tags", False),
}


def apply() -> None:
    original: Callable[[EC2ContainerServiceResponse], Any] = (
        EC2ContainerServiceResponse.create_service
    )
    if getattr(original, _MARK, False):
        return
    for attribute, default in FIELDS.values():
        setattr(Service, attribute, default)

    @functools.wraps(original)
    def create_service(self: EC2ContainerServiceResponse) -> Any:
        result = original(self)
        cluster = self._get_param("cluster", "default")
        services, _ = self.ecs_backend.describe_services(cluster, [self._get_param("serviceName")])
        for service in services:
            for field, (attribute, _default) in FIELDS.items():
                value = self._get_param(field)
                if value is not None:
                    setattr(service, attribute, value)
        return result

    setattr(create_service, _MARK, True)
    setattr(EC2ContainerServiceResponse, "create_service", create_service)  # noqa: B010
