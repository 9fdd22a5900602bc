"""A local AWS emulator: moto's server (with this project's gaps handled, see `gaps`) on
127.0.0.1, started as a process we own and stopped by its PID.

    emulator = start_emulator(folder)         # ready to answer when this returns
    emulator.write_override(path)             # provider override pointing the AWS provider at it
    emulator.stop()

`folder` holds `emulator.json` (PID and port), `emulator.log` and the port file; a later
process finds a running emulator there with `running_emulator(folder)` (what
`paybill sandbox status|down` need). The emulator keeps everything in memory: stopping it
forgets every resource, so state kept by terraform afterwards describes nothing.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from compiler.errors import EnvironmentProblem
from compiler.sandbox import process

HOST = "127.0.0.1"
MODULE = "compiler.sandbox.moto_server"
STATE_NAME = "emulator.json"
HOW_TO_INSTALL = "install the sandbox extra: pip install 'paybill[sandbox]' (moto's server)"
START_TIMEOUT = 60.0
# Dummy credentials the emulator accepts; they open nothing anywhere else.
ACCESS_KEY = SECRET_KEY = "test"
# Provider endpoint names (canonical ones, no aliases) of the services these stacks use,
# with the state backend's and common neighbours', all served by moto.
SERVICES = (
    "acm",
    "apigateway",
    "apigatewayv2",
    "appautoscaling",
    "autoscaling",
    "cloudformation",
    "cloudwatch",
    "dynamodb",
    "ec2",
    "ecr",
    "ecs",
    "efs",
    "elasticache",
    "elbv2",
    "events",
    "iam",
    "kinesis",
    "kms",
    "lambda",
    "logs",
    "rds",
    "route53",
    "s3",
    "secretsmanager",
    "sns",
    "sqs",
    "ssm",
    "sts",
)


@dataclass(frozen=True)
class Emulator:
    """A running emulator: its PID, its port and the folder that records it."""

    pid: int
    port: int
    folder: Path

    @property
    def endpoint(self) -> str:
        return f"http://{HOST}:{self.port}"

    def is_running(self) -> bool:
        return process.is_ours(self.pid, MODULE)

    def stop(self) -> None:
        """Stop the server (by its PID, only if it is still ours) and forget it."""
        process.stop(self.pid, MODULE)
        (self.folder / STATE_NAME).unlink(missing_ok=True)

    def reset(self) -> None:
        """Forget every resource the emulator holds (moto's reset), keeping it running."""
        request = urllib.request.Request(f"{self.endpoint}/moto-api/reset", method="POST")
        with urllib.request.urlopen(request, timeout=10):
            pass

    def provider_override(self) -> dict[str, Any]:
        return provider_override(self.endpoint)

    def write_override(self, path: Path) -> Path:
        """Write the provider override (`*_override.tf.json`) for this emulator."""
        path.write_text(json.dumps(self.provider_override(), indent=2, sort_keys=True) + "\n")
        return path

    def write_backend_config(self, path: Path) -> Path:
        """Write the `s3` backend settings (a `*.tfbackend` file for `init`) that keep state
        and its DynamoDB lock in this emulator; the bucket and table must exist there."""
        path.write_text(backend_config(self.endpoint))
        return path


def provider_override(endpoint: str) -> dict[str, Any]:
    """The AWS provider settings that send every call of these stacks to `endpoint`.

    `skip_requesting_account_id` stays false: moto answers STS, and with it true the
    provider writes a made-up account into security-group references, which then drift.
    """
    settings = {
        "access_key": ACCESS_KEY,
        "secret_key": SECRET_KEY,
        "endpoints": [dict.fromkeys(SERVICES, endpoint)],
        "s3_use_path_style": True,
        "skip_credentials_validation": True,
        "skip_metadata_api_check": True,
        "skip_requesting_account_id": False,
    }
    return {"provider": {"aws": [settings]}}


def backend_config(endpoint: str) -> str:
    """HCL settings merged into a stack's `s3` backend block by `init -backend-config`."""
    endpoints = "".join(
        f"  {service} = {json.dumps(endpoint)}\n" for service in ("dynamodb", "iam", "s3", "sts")
    )
    return (
        f"endpoints = {{\n{endpoints}}}\n"
        f'access_key = "{ACCESS_KEY}"\n'
        f'secret_key = "{SECRET_KEY}"\n'
        "skip_credentials_validation = true\n"
        "skip_metadata_api_check = true\n"
        "skip_requesting_account_id = true\n"
        "use_path_style = true\n"
    )


def require_moto() -> None:
    """Raise for people when moto's server is not installed."""
    if importlib.util.find_spec("moto") is None or importlib.util.find_spec("flask") is None:
        raise EnvironmentProblem(f"the local AWS emulator is not installed: {HOW_TO_INSTALL}")


def start_emulator(folder: Path, *, timeout: float = START_TIMEOUT) -> Emulator:
    """Start the emulator detached (it outlives this process) and wait until it answers."""
    require_moto()
    folder.mkdir(parents=True, exist_ok=True)
    running = running_emulator(folder)
    if running is not None:
        raise EnvironmentProblem(
            f"an emulator already runs for {folder} (PID {running.pid}, {running.endpoint}); "
            "stop it first"
        )
    port_file = folder / "emulator.port"
    port_file.unlink(missing_ok=True)
    with open(folder / "emulator.log", "ab") as log:
        child = subprocess.Popen(
            [sys.executable, "-m", MODULE, "--port-file", str(port_file)],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    process.adopt(child)
    try:
        port = _wait_for_port(child, port_file, folder, timeout)
        emulator = Emulator(child.pid, port, folder)
        _wait_ready(emulator, child, timeout)
    except BaseException:
        process.stop(child.pid, MODULE)
        raise
    (folder / STATE_NAME).write_text(json.dumps({"pid": child.pid, "port": port}) + "\n")
    return emulator


def running_emulator(folder: Path) -> Emulator | None:
    """The emulator recorded in `folder`, if it still runs."""
    try:
        recorded = json.loads((folder / STATE_NAME).read_text())
        emulator = Emulator(int(recorded["pid"]), int(recorded["port"]), folder)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return emulator if emulator.is_running() else None


def _wait_for_port(
    child: subprocess.Popen[bytes], port_file: Path, folder: Path, timeout: float
) -> int:
    deadline = time.monotonic() + timeout
    while not port_file.is_file():
        if child.poll() is not None:
            log = (folder / "emulator.log").read_text(errors="replace")[-4000:]
            raise EnvironmentProblem(f"the local AWS emulator exited while starting:\n{log}")
        if time.monotonic() > deadline:
            raise EnvironmentProblem(f"the local AWS emulator did not start in {timeout:.0f} s")
        time.sleep(process.POLL_SECONDS)
    return int(port_file.read_text())


def _wait_ready(emulator: Emulator, child: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"{emulator.endpoint}/moto-api/", timeout=5):
                return
        except (urllib.error.URLError, OSError) as not_yet:
            if child.poll() is not None or time.monotonic() > deadline:
                raise EnvironmentProblem(
                    f"the local AWS emulator at {emulator.endpoint} does not answer: {not_yet}"
                ) from not_yet
            time.sleep(process.POLL_SECONDS)
