"""The sandbox's SOQL engine: grammar, parser, compiler to SQLite, row shaping."""

from crm_sandbox.salesforce.soql.compiler import CompiledQuery, compile_query
from crm_sandbox.salesforce.soql.errors import SoqlError
from crm_sandbox.salesforce.soql.parser import parse

__all__ = ["CompiledQuery", "SoqlError", "compile_query", "parse"]
