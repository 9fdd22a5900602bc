"""The stacks of a compiled output that the sandbox cannot apply: those of other clouds.

The sandbox emulates AWS alone (moto); nothing applies an Azure, Google Cloud, Oracle Cloud
or IBM Cloud stack on one machine. A stack's cloud is read from the providers its root
pins (`terraform.required_providers` of `stacks/<stack>/cdk.tf.json`), as plan reads them:
the output is all the sandbox looks at, never the spec.
"""

from __future__ import annotations

from pathlib import Path

import orjson

from compiler.providers.schemas import cloud_of_source

EMULATED = "aws"


def stack_clouds(generated: Path) -> dict[str, list[str]]:
    """Each stack of the output: the clouds of the providers its root pins, sorted (a
    provider of no known cloud is named by its source)."""
    out: dict[str, list[str]] = {}
    for config in sorted((generated / "stacks").glob("*/cdk.tf.json")):
        try:
            document = orjson.loads(config.read_bytes())
        except (OSError, orjson.JSONDecodeError):
            continue  # plan and apply report an unreadable stack with what is wrong
        terraform = document.get("terraform") if isinstance(document, dict) else None
        pins = terraform.get("required_providers") if isinstance(terraform, dict) else None
        sources = [
            pin["source"]
            for pin in (pins or {}).values()
            if isinstance(pin, dict) and isinstance(pin.get("source"), str)
        ]
        out[config.parent.name] = sorted({cloud_of_source(s) or s for s in sources})
    return out


def not_emulated(generated: Path) -> dict[str, str]:
    """The stacks that need a cloud the sandbox does not emulate: stack -> its clouds."""
    return {
        stack: ", ".join(clouds)
        for stack, clouds in stack_clouds(generated).items()
        if any(cloud != EMULATED for cloud in clouds)
    }


def notice(generated: Path) -> list[str]:
    """What `sandbox up` and `status` print about those stacks (nothing when all are AWS)."""
    found = not_emulated(generated)
    if not found:
        return []
    listed = ", ".join(f"{stack} ({clouds})" for stack, clouds in found.items())
    return [
        f"the sandbox emulates AWS only: {len(found)} stack(s) of {generated} cannot be "
        f"applied here: {listed}",
        "  paybill plan lists each as 'schema-checked only' where its provider is not "
        "installed (exit 3); paybill apply stops at the first wave holding one (its other "
        "nodes finish): apply the rest with --only NODE",
    ]
