"""Who an OCI stack's code is: the container instances in the stack's compartment, as a
dynamic group (in the tenancy, `TF_VAR_tenancy_ocid`), and a policy of the stack's
compartment that lets that group use its bucket's objects, its key and its secrets.

A pooled tenant has no code of its own: the pool's shared services serve it and reach the
pool's bucket; its prefix is kept by the application and its rows by row-level security
(a gap against AWS's per-tenant role, docs/clouds.md). A bridge tenant whose plan has no
compute is served by the pool's group, which its policy names too.
"""

from __future__ import annotations

from compiler.emit.stacks.builder import StackBuilder
from compiler.emit.stacks.cdk import Resource


def identity(b: StackBuilder, compartment: str, bucket: str | None) -> Resource:
    tenancy = b.setting(
        "tenancy_ocid", "The OCI tenancy's OCID, where dynamic groups live (TF_VAR_tenancy_ocid)"
    )
    kind = b.shape.kind
    name = (
        b.values.need("workload").workload_role_name
        if kind == "pool"
        else b.values.need("tenant").role_name
    )
    group = b.add(
        "identity",
        "oci_identity_dynamic_group",
        {
            "compartment_id": tenancy,
            "name": name,
            "description": f"Code of {b.platform.name} stack {b.name}",
            "matching_rule": "ALL {resource.type = 'computecontainerinstance', "
            f"resource.compartment.id = '{compartment}'}}",
        },
    )
    if bucket is None:
        return group
    subjects = [group.ref("name")]
    if kind == "bridge" and b.shape.workload == "shared":
        subjects.append(b.pool_output("workload_group_name"))
    statements = []
    for subject in subjects:
        statements += [
            f"Allow dynamic-group {subject} to manage objects in compartment id {compartment} "
            f"where target.bucket.name = '{bucket}'",
            f"Allow dynamic-group {subject} to use keys in compartment id {compartment}",
            f"Allow dynamic-group {subject} to read secret-bundles in compartment id {compartment}",
        ]
    b.add(
        "identity_policy",
        "oci_identity_policy",
        {
            "compartment_id": compartment,
            "name": f"{b.aws_name()}-code",
            "description": f"What the code of {b.name} may reach",
            "statements": statements,
        },
    )
    return group
