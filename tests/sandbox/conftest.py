"""A boto3 client of the session's emulator (tests/support/emulator.py), for this folder."""

from tests.support.emulator import client

__all__ = ["client"]
