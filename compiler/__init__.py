"""Paybill: compile a platform's typed YAML into Terraform stacks, SQL grants and agent ACLs."""

__version__ = "0.1.0"
