"""Who an IBM stack's code is: a trusted profile, which a Code Engine app assumes through
its compute resource token (a link of type `CE` names the project and the app), with a
policy that lets it read and write its own bucket's objects only.

The pool's profile is linked to the pool's shared app (`SHARED_APP`, deployed into the
pool's project with the application). A pooled tenant has a profile of its own too, linked
to the same shared app, whose policy reaches only its prefix of the pool's bucket (an
attribute-based condition on the object's path and the listing's prefix): the shared app
acts for a tenant by assuming that tenant's profile, as on AWS. A bridge tenant whose plan
has no compute is served by the pool's profile, which its policy names too.
"""

from __future__ import annotations

from compiler.emit.stacks.builder import StackBuilder
from compiler.emit.stacks.cdk import Resource

SHARED_APP = "platform"  # the pool's shared services' app in the pool's project
STORAGE_SERVICE = "cloud-object-storage"
OBJECT_ROLES = ["Object Reader", "Object Writer"]
# The provider documents this pattern for conditions on a bucket's objects.
PREFIX_PATTERN = "attribute-based-condition:resource:literal-and-wildcard"


def profile(b: StackBuilder) -> Resource:
    name = (
        b.values.need("workload").workload_role_name
        if b.shape.kind == "pool"
        else b.values.need("tenant").role_name
    )
    return b.add(
        "identity",
        "ibm_iam_trusted_profile",
        {"name": name, "description": f"Code of {b.platform.name} stack {b.name}"},
    )


def grant(b: StackBuilder, id: str, iam_id: str, instance: str, bucket: str) -> None:
    """`iam_id` may read and write the objects of `bucket` (in Object Storage `instance`)."""
    b.add(
        id,
        "ibm_iam_trusted_profile_policy",
        {
            "iam_id": iam_id,
            "roles": OBJECT_ROLES,
            "resources": [
                {
                    "service": STORAGE_SERVICE,
                    "resource_instance_id": instance,
                    "resource_type": "bucket",
                    "resource": bucket,
                }
            ],
            "description": f"What the code of {b.name} may reach",
        },
    )


def grant_prefix(
    b: StackBuilder, id: str, iam_id: str, instance: str, bucket: str, prefix: str
) -> None:
    """`iam_id` may read and write the objects under `prefix` of `bucket` only, and list
    nothing else of it."""
    attributes = {
        "serviceName": STORAGE_SERVICE,
        "serviceInstance": instance,
        "resourceType": "bucket",
        "resource": bucket,
    }
    b.add(
        id,
        "ibm_iam_trusted_profile_policy",
        {
            "iam_id": iam_id,
            "roles": OBJECT_ROLES,
            "resource_attributes": [
                {"name": name, "operator": "stringEquals", "value": value}
                for name, value in attributes.items()
            ],
            "rule_conditions": [
                {
                    "key": "{{resource.attributes.path}}",
                    "operator": "stringMatch",
                    "value": [f"{prefix}*"],
                },
                {
                    "operator": "and",
                    "conditions": [
                        {
                            "key": "{{resource.attributes.prefix}}",
                            "operator": "stringMatch",
                            "value": [f"{prefix}*"],
                        },
                        {
                            "key": "{{resource.attributes.delimiter}}",
                            "operator": "stringEqualsAnyOf",
                            "value": ["/", ""],
                        },
                    ],
                },
            ],
            "rule_operator": "or",
            "pattern": PREFIX_PATTERN,
            "description": f"{b.name}'s prefix of its pool's bucket",
        },
    )


def link(b: StackBuilder, id: str, profile_id: str, project_crn: str, app: str) -> None:
    """`app` in the Code Engine project `project_crn` may act as `profile_id`."""
    b.add(
        id,
        "ibm_iam_trusted_profile_link",
        {
            "profile_id": profile_id,
            "cr_type": "CE",
            "name": app,
            "link": [{"crn": project_crn, "component_type": "application", "component_name": app}],
        },
    )
