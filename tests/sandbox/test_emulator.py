"""The emulator's lifecycle: ready when started, found again from its folder, stopped by
its PID (and only while that PID is still ours), and the provider override it writes."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from compiler.errors import EnvironmentProblem
from compiler.sandbox import emulator as module
from compiler.sandbox.emulator import Emulator, running_emulator, start_emulator
from compiler.sandbox.moto_server import OneAtATime, application
from compiler.sandbox.process import is_running
from tests.sandbox.conftest import client


def test_the_session_emulator_answers_and_is_recorded_in_its_folder(emulator: Emulator) -> None:
    assert emulator.endpoint == f"http://127.0.0.1:{emulator.port}"
    assert running_emulator(emulator.folder) == emulator
    identity = client(emulator, "sts").get_caller_identity()
    assert identity["Account"] == "123456789012"


def test_the_override_points_every_service_at_the_emulator(
    emulator: Emulator, tmp_path: Path
) -> None:
    path = emulator.write_override(tmp_path / "emulator_override.tf.json")
    (settings,) = json.loads(path.read_text())["provider"]["aws"]
    (endpoints,) = settings.pop("endpoints")
    assert settings == {
        "access_key": "test",
        "secret_key": "test",
        "s3_use_path_style": True,
        "skip_credentials_validation": True,
        "skip_metadata_api_check": True,
        "skip_requesting_account_id": False,
    }
    assert set(endpoints.values()) == {emulator.endpoint}
    used = {"apigateway", "appautoscaling", "ec2", "ecs", "iam", "kms", "logs", "rds", "s3"}
    assert used | {"sts", "dynamodb", "secretsmanager"} <= set(endpoints)


def test_start_reset_and_stop_leave_nothing_behind(tmp_path: Path) -> None:
    started = start_emulator(tmp_path)
    assert is_running(started.pid)
    s3 = client(started, "s3", "us-east-1")
    s3.create_bucket(Bucket="forgotten")
    started.reset()
    assert s3.list_buckets()["Buckets"] == []
    with pytest.raises(EnvironmentProblem, match=r"an emulator already runs for .*stop it first"):
        start_emulator(tmp_path)
    started.stop()
    assert not is_running(started.pid)
    assert running_emulator(tmp_path) is None
    started.stop()  # stopping twice is harmless


def test_a_recorded_pid_that_is_no_longer_ours_is_never_signalled(tmp_path: Path) -> None:
    stranger = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        (tmp_path / "emulator.json").write_text(json.dumps({"pid": stranger.pid, "port": 1}))
        assert running_emulator(tmp_path) is None
        Emulator(stranger.pid, 1, tmp_path).stop()
        assert stranger.poll() is None
    finally:
        stranger.kill()
        stranger.wait()


def test_without_moto_the_message_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(module.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(EnvironmentProblem) as raised:
        start_emulator(tmp_path)
    assert str(raised.value) == (
        "the local AWS emulator is not installed: install the sandbox extra: "
        "pip install 'paybill[sandbox]' (moto's server)"
    )
    assert raised.value.exit_code == 3


def test_requests_go_through_moto_one_at_a_time_and_answer_whole() -> None:
    """moto is not safe for concurrent use: the server's application serializes it."""
    inside: list[int] = []
    most = 0
    lock = threading.Lock()

    class Body:
        closed = False

        def __iter__(self) -> Iterator[bytes]:
            yield b"pay"
            time.sleep(0.01)  # the body is read inside the lock too
            with lock:
                inside.pop()
            yield b"bill"

        def close(self) -> None:
            Body.closed = True

    def slow(environ: dict[str, object], start_response: Callable[..., object]) -> Body:
        nonlocal most
        with lock:
            inside.append(1)
            most = max(most, len(inside))
        time.sleep(0.01)
        start_response("200 OK", [])
        return Body()

    serial = OneAtATime(slow)
    answers: list[list[bytes]] = []
    threads = [
        threading.Thread(target=lambda: answers.append(serial({}, lambda *a: None)))
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert most == 1
    assert answers == [[b"paybill"]] * 8
    assert Body.closed
    assert isinstance(application(), OneAtATime)
