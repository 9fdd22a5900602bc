"""A platform repository for billing tests: the repository's own spec with a Stripe
BillingProvider, compiled and committed on `main`."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from compiler.pipeline import compile_spec
from tests.support.tools import REPO

PROVIDER = """\
# Stripe bills every tenant; prices map to plans.
apiVersion: paybill.dev/v1
kind: BillingProvider
metadata:
  name: stripe
spec:
  type: stripe
  secrets: {webhook: TEST_STRIPE_WEBHOOK, api: TEST_STRIPE_API}
  tenantKey: metadata.paybill_tenant
  plans: {price_basic: starter, price_pro: pro, price_ent: enterprise}
"""


def git(root: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=True)
    return done.stdout


def make_repository(root: Path) -> Path:
    root.mkdir(parents=True)
    shutil.copytree(REPO / "spec", root / "spec")
    (root / "spec" / "billing").mkdir()
    (root / "spec" / "billing" / "stripe.yaml").write_text(PROVIDER)
    compile_spec(root / "spec", root / "generated")
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.email", "platform@example.com")
    git(root, "config", "user.name", "Platform team")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "Platform")
    return root
