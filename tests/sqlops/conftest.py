"""The `fleet` fixture (tests/sqlops/fleet.py) for the tests of this folder."""

from tests.sqlops.fleet import fleet

__all__ = ["fleet"]
