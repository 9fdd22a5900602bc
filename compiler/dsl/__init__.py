"""Stage 2: the spec language as pydantic models, one module per kind."""

from compiler.dsl.agent import Agent
from compiler.dsl.billing import BillingProvider
from compiler.dsl.common import API_VERSION, Document
from compiler.dsl.parse import KINDS, Parsed, ParsedSpec, parse
from compiler.dsl.plan import Plan
from compiler.dsl.platform import Platform
from compiler.dsl.table import Table
from compiler.dsl.tenant import Tenant
from compiler.dsl.tool import Tool
from compiler.dsl.workflow import Workflow

__all__ = [
    "API_VERSION",
    "KINDS",
    "Agent",
    "BillingProvider",
    "Document",
    "Parsed",
    "ParsedSpec",
    "Plan",
    "Platform",
    "Table",
    "Tenant",
    "Tool",
    "Workflow",
    "parse",
]
