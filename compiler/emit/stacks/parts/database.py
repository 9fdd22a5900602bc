"""PostgreSQL on RDS, sized from the pool or the plan.

The master password is created and rotated by AWS in Secrets Manager
(`manage_master_user_password`), so no credential ever appears in the JSON or in Terraform's
state. Encryption and deletion protection come from the `Encryption` and `DataProtection`
aspects; applications connect with IAM database authentication as their own role.

Every database has a parameter group of its own (`PARAMETERS`): the server refuses
connections without TLS, and logs schema changes and slow statements, without the values
bound to them (they may be personal data). A standby in a second zone (`multi_az`) is the
plan's choice; a pool's shared database always has one.
"""

from __future__ import annotations

from collections.abc import Sequence

from compiler.emit.stacks.builder import StackBuilder
from compiler.emit.stacks.cdk import Resource

MASTER_USER = "paybill_admin"
BACKUP_RETENTION_DAYS = 14
SLOW_STATEMENT_MS = 1000
PARAMETERS = {
    "rds.force_ssl": "1",  # no connection without TLS
    "log_statement": "ddl",  # schema changes; never every statement (rows hold personal data)
    "log_min_duration_statement": str(SLOW_STATEMENT_MS),  # slow statements, as written
    "log_parameter_max_length": "0",  # ... without the values bound to them
}


def subnet_group(b: StackBuilder, subnet_ids: Sequence[str]) -> str:
    group = b.add(
        "database_subnets",
        "aws_db_subnet_group",
        {
            "name": b.aws_name(),
            "description": f"{b.name}: private subnets of the database",
            "subnet_ids": list(subnet_ids),
        },
    )
    return group.ref("name")


def parameter_group(b: StackBuilder) -> Resource:
    """The database's parameters; named after the major version, whose family it is, so a
    major upgrade brings a new group that is in place before the old one goes."""
    v = b.values.need("database")
    return b.add(
        "database_parameters",
        "aws_db_parameter_group",
        {
            "name": v.database_parameter_group,
            "family": v.database_family,
            "description": f"{b.name}: TLS only, schema changes and slow statements logged",
            "parameter": [{"name": k, "value": v} for k, v in sorted(PARAMETERS.items())],
        },
        create_before_destroy=True,
    )


def database(
    b: StackBuilder,
    subnet_group_name: str,
    security_group_ids: Sequence[str],
) -> Resource:
    """The database instance, sized by the stack's values (pool or plan)."""
    v = b.values.need("database")
    parameters = parameter_group(b)
    attributes = {
        "identifier": v.database_identifier,
        "engine": v.database_engine,
        "engine_version": v.database_version,
        "instance_class": v.database_instance_class,
        "allocated_storage": v.database_storage_gb,
        "storage_type": "gp3",
        "db_name": b.platform.database_name,  # the DSL admits only names RDS accepts
        "username": MASTER_USER,
        "manage_master_user_password": True,
        "iam_database_authentication_enabled": True,
        "db_subnet_group_name": subnet_group_name,
        "vpc_security_group_ids": list(security_group_ids),
        "publicly_accessible": False,
        "parameter_group_name": parameters.ref("name"),
        "multi_az": v.database_multi_az,
        "backup_retention_period": BACKUP_RETENTION_DAYS,
        "copy_tags_to_snapshot": True,
        "auto_minor_version_upgrade": True,
        "allow_major_version_upgrade": False,
        "enabled_cloudwatch_logs_exports": ["postgresql", "upgrade"],
    }
    return b.add(
        "database", "aws_db_instance", {k: v for k, v in attributes.items() if v is not None}
    )


def master_secret_arn(db: Resource) -> str:
    """The ARN of the Secrets Manager secret AWS keeps the master password in."""
    return db.ref("master_user_secret[0].secret_arn")
