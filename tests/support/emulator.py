"""The local AWS emulator of a test session: one per pytest-xdist worker (each worker is a
session of its own), started when a test first asks for it and stopped by its PID at the
end of the worker's session."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from compiler.errors import EnvironmentProblem
from compiler.sandbox.emulator import (
    ACCESS_KEY,
    HOW_TO_INSTALL,
    SECRET_KEY,
    Emulator,
    require_moto,
    start_emulator,
)
from tests.support.tools import missing


@pytest.fixture(scope="session")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    try:
        require_moto()
    except EnvironmentProblem:
        missing("moto's server (the local AWS emulator)", HOW_TO_INSTALL)
    running = start_emulator(tmp_path_factory.mktemp("emulator"))
    try:
        yield running
    finally:
        running.stop()


def client(emulator: Emulator, service: str, region: str = "eu-west-1") -> Any:
    """A boto3 client of the emulator (its dummy keys)."""
    return boto3.client(
        service,
        endpoint_url=emulator.endpoint,
        region_name=region,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
    )
