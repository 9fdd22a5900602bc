"""A stand-in `terraform` for tests of what `paybill plan` makes of a plan (the guard, the
summary, plan.json) without the AWS provider: named by PAYBILL_TERRAFORM, it answers
`init`, `plan -out` (and `-destroy`), `show -json`, `apply` (a targeted one does nothing)
and `state list` / `state rm` in a stack's working copy, and plans by
resource address alone (a module's resources under `module.<name>.`, read from the module's
folder the root calls): a resource of the configuration that the working copy's
`stand-in-state.json` lacks is created, one the state holds and the configuration no
longer has is deleted. Attribute changes, data sources and outputs are not modelled; the
real binary's plans are tested on the emulator and offline (tests/terraform,
tests/operate/test_protected_plan.py).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

STATE = "stand-in-state.json"

_SCRIPT = r"""
import json, sys
from pathlib import Path

STATE = Path("stand-in-state.json")


def resources(document, prefix=""):
    return {
        f"{prefix}{kind}.{name}": kind
        for kind, items in document.get("resource", {}).items()
        for name in items
    }


def configured():
    found, sources = {}, {}
    overrides_last = lambda p: p.name.endswith("override.tf.json")  # noqa: E731
    for path in sorted(Path(".").glob("*.tf.json"), key=overrides_last):
        document = json.loads(path.read_text())
        if not overrides_last(path):
            found.update(resources(document))
        for name, block in document.get("module", {}).items():
            sources[name] = block["source"]
    for name, source in sources.items():
        module = json.loads((Path(source) / "cdk.tf.json").read_text())
        found.update(resources(module, f"module.{name}."))
    return found


def change(address, kind, action):
    return {"address": address, "type": kind, "mode": "managed", "change": {"actions": [action]}}


args = sys.argv[1:]
command = args[0] if args else ""
if command == "init":
    sys.exit(0)
if command == "plan":
    out = next(a.removeprefix("-out=") for a in args if a.startswith("-out="))
    config = {} if "-destroy" in args else configured()
    state = json.loads(STATE.read_text()) if STATE.is_file() else {}
    changes = [change(a, k, "create") for a, k in config.items() if a not in state]
    changes += [change(a, k, "delete") for a, k in state.items() if a not in config]
    plan = {"format_version": "1.2", "resource_changes": changes, "applyable": bool(changes),
            "configured": config}
    Path(out).write_text(json.dumps(plan))
    sys.exit(2 if changes else 0)
if command == "show":
    print(Path(args[-1]).read_text())
    sys.exit(0)
if command == "apply" and any(a.startswith("-target=") for a in args):
    sys.exit(0)  # a targeted update: attributes are not modelled
if command == "apply":
    STATE.write_text(json.dumps(json.loads(Path(args[-1]).read_text())["configured"]))
    sys.exit(0)
if command == "state" and args[1:2] == ["list"]:
    print("\n".join(sorted(json.loads(STATE.read_text()) if STATE.is_file() else {})))
    sys.exit(0)
if command == "state" and args[1:2] == ["rm"]:
    state = json.loads(STATE.read_text()) if STATE.is_file() else {}
    gone = {a for a in args[2:] if not a.startswith("-")}
    STATE.write_text(json.dumps({a: k for a, k in state.items() if a not in gone}))
    sys.exit(0)
sys.exit(f"stand-in terraform: '{command}' is not scripted")
"""


def write_stand_in(folder: Path) -> Path:
    """The stand-in binary, written into `folder` (run by this Python)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "terraform"
    path.write_text(f"#!{sys.executable}\n{_SCRIPT.lstrip()}")
    path.chmod(0o755)
    return path


def seed_state(workdir: Path, generated: Path) -> None:
    """Record every stack of `generated` as applied in the working copies under `workdir`
    (what `paybill apply` would have left there)."""
    for config in sorted((generated / "stacks").glob("*/cdk.tf.json")):
        document: dict[str, Any] = json.loads(config.read_text())
        state = _resources(document, "")
        for name, block in document.get("module", {}).items():
            module = json.loads((config.parent / block["source"] / "cdk.tf.json").read_text())
            state.update(_resources(module, f"module.{name}."))
        copy = workdir / "stacks" / config.parent.name
        copy.mkdir(parents=True, exist_ok=True)
        (copy / STATE).write_text(json.dumps(state))


def _resources(document: dict[str, Any], prefix: str) -> dict[str, str]:
    return {
        f"{prefix}{kind}.{name}": kind
        for kind, items in document.get("resource", {}).items()
        for name in items
    }
