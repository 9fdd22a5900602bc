"""The `billing` command group is registered without importing what only billing needs:
`paybill validate` (and every other command) never loads a provider SDK, the HTTP server,
ruamel or the billing package."""

from __future__ import annotations

import subprocess
import sys

from tests.support.tools import REPO

HEAVY = ("stripe", "orb", "jwt", "httpx", "starlette", "uvicorn", "ruamel", "compiler.billing")


def test_registering_and_validating_imports_no_billing_module() -> None:
    code = (
        "import sys\n"
        "from compiler.cli import main\n"
        "main(['validate', 'spec'])\n"
        f"heavy = {HEAVY!r}\n"
        "found = sorted(m for m in sys.modules if m.split('.')[0] in heavy or "
        "m.startswith('compiler.billing'))\n"
        "print(','.join(found))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert done.stdout.splitlines()[-1] == ""


def test_billing_help_lists_the_four_commands() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "compiler", "billing", "--help"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    for command in ("serve", "sync", "reconcile", "status"):
        assert command in done.stdout
