"""The sandbox's SOSL engine: grammar, parser and search over the org's records."""

from crm_sandbox.salesforce.sosl.parser import parse_search, parse_term
from crm_sandbox.salesforce.sosl.search import run_search

__all__ = ["parse_search", "parse_term", "run_search"]
