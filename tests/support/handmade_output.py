"""A compiled output written by hand: stacks of any cloud, each with its node record, for
the operate and sandbox tests of clouds whose stacks the compiler does not build here.

Each stack's root pins its provider in `terraform.required_providers`, as the compiler's
stacks do, and holds the resources given; nothing else of a real stack is needed by what
these tests read (the pins, the change set, the resource addresses).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from compiler.records import Entry, NodeRecord, manifest_json

# cloud -> (provider name, source, version): the versions of the committed schemas.
PINS = {
    "aws": ("aws", "hashicorp/aws", "5.100.0"),
    "azure": ("azurerm", "hashicorp/azurerm", "5.10.0"),
    "gcp": ("google", "hashicorp/google", "8.7.0"),
    "oci": ("oci", "oracle/oci", "7.19.0"),
    "ibm": ("ibm", "IBM-Cloud/ibm", "2.5.0"),
}


def stack_document(cloud: str, resources: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """A root stack on `cloud` with `resources` ({type: {name: attributes}})."""
    name, source, version = PINS[cloud]
    document: dict[str, Any] = {
        "terraform": {
            "backend": {"local": {"path": "terraform.tfstate"}},
            "required_providers": {name: {"source": source, "version": version}},
        },
    }
    if resources:  # terraform refuses an empty `resource` object
        document["resource"] = {kind: dict(items) for kind, items in resources.items()}
    return document


def write_output(folder: Path, stacks: Mapping[str, dict[str, Any]]) -> Path:
    """`folder` as a compiled output holding `stacks` ({stack: document}), all in wave 0."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "manifest.json").write_text(json.dumps(manifest_json("paybill test")) + "\n")
    for stack, document in stacks.items():
        path = f"stacks/{stack}/cdk.tf.json"
        content = (json.dumps(document, indent=2, sort_keys=True) + "\n").encode()
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / path).write_bytes(content)
        record = NodeRecord(
            node=f"stack:{stack}",
            kind="stack",
            name=stack,
            depends_on=(),
            wave=0,
            input_digest="0" * 64,
            artifacts=(Entry(path, hashlib.sha256(content).hexdigest(), len(content)),),
        )
        (folder / record.path).parent.mkdir(parents=True, exist_ok=True)
        (folder / record.path).write_text(json.dumps(record.to_json(), indent=2) + "\n")
    return folder


def fake_mirror(folder: Path, *clouds: str) -> Path:
    """A plugin mirror (unpacked layout) that holds the pinned provider of each cloud: an
    empty folder per provider, which is all that deciding where a provider comes from reads."""
    from compiler.terraform.providers import target_platform  # noqa: PLC0415

    for cloud in clouds:
        _, source, version = PINS[cloud]
        (folder / "registry.terraform.io" / source / version / target_platform()).mkdir(
            parents=True, exist_ok=True
        )
    return folder
