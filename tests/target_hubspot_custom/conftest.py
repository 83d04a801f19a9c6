"""Fixtures of the target's tests: the throwaway PostgreSQL of :mod:`tests.fixtures_pg`."""

from tests.fixtures_pg import postgres_server_url

__all__ = ["postgres_server_url"]
