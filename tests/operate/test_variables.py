"""A stack's required variables are asked for before Terraform runs, by name and purpose."""

from __future__ import annotations

import json

import pytest

from compiler.errors import EnvironmentProblem
from compiler.operate.stacks import require_variables

CONFIG = json.dumps(
    {
        "variable": {
            "app_image": {"type": "string", "description": "The container image to run."},
            "api_backend_url": {"type": "string"},
            "tier": {"type": "string", "default": "standard"},
        }
    }
).encode()


def test_every_unset_required_variable_is_named_with_its_purpose(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("TF_VAR_app_image", raising=False)
    monkeypatch.delenv("TF_VAR_api_backend_url", raising=False)
    with pytest.raises(EnvironmentProblem) as raised:
        require_variables("tenant-acme", CONFIG)
    message = str(raised.value)
    assert message.startswith(
        "stack tenant-acme needs variables that are not set: TF_VAR_api_backend_url; "
        "TF_VAR_app_image (The container image to run.). Export them first"
    )
    assert "tier" not in message  # it has a default


def test_set_variables_and_defaults_need_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TF_VAR_app_image", "registry.example/app@sha256:0")
    monkeypatch.setenv("TF_VAR_api_backend_url", "https://api.internal.example")
    require_variables("tenant-acme", CONFIG)
    require_variables("tenant-acme", b"{}")
