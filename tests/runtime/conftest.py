"""The PostgreSQL server fixtures (tests/support/postgres.py) for the tests of this folder."""

from tests.support.postgres import pg, postgres_server

__all__ = ["pg", "postgres_server"]
