"""EC2: a security-group rule that references another group loses its description.

moto keeps the description of a group-to-group rule with the referenced group, but
`DescribeSecurityGroupRules` reads it only from the CIDR range, so the provider sees an
empty description and plans to restore it on every run. Here the rule's description falls
back to the referenced group's.
"""

from __future__ import annotations

from moto.ec2.models.security_groups import SecurityGroupRule

_MARK = "_paybill_description"


def description(self: SecurityGroupRule) -> str | None:
    return self.ip_range.get("Description") or self.source_group.get("Description")


def apply() -> None:
    current = SecurityGroupRule.__dict__.get("description")
    if getattr(getattr(current, "fget", None), _MARK, False):
        return
    setattr(description, _MARK, True)
    setattr(SecurityGroupRule, "description", property(description))  # noqa: B010
