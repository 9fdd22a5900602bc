"""Output family 'stacks': one CDK for Terraform stack per pool and per tenant not deleted,
written to `stacks/<stack>/cdk.tf.json`, with the provider's lock file beside it
(`stacks/<stack>/.terraform.lock.hcl`, see `compiler.emit.stacks.provider`).

A stack's input digest is the fingerprint of the record it is built from
(`compiler.emit.stacks.inputs`) and of the code that builds it, so an unchanged stack is
taken from the previous compile instead of being synthesized again, and a change to one
tenant re-synthesizes that tenant's stack only.
"""

from __future__ import annotations

from functools import cache
from importlib.metadata import version

from compiler.emit.artifact import (
    Artifact,
    Family,
    Output,
    Prepared,
    Reuse,
    code_digest,
    fingerprint,
)
from compiler.emit.stacks.inputs import all_stacks
from compiler.emit.stacks.provider import LOCK_FILE, lock_file
from compiler.graph import PlatformGraph, stack_node
from compiler.providers import check_documents
from compiler.resolve import ResolvedSpec

STACK_FILE = "cdk.tf.json"


def stack_path(stack: str) -> str:
    return f"stacks/{stack}/{STACK_FILE}"


def lock_path(stack: str) -> str:
    return f"stacks/{stack}/{LOCK_FILE}"


@cache
def builder_digest() -> str:
    """The stack builders' code and the cdktn version: a change to either may change every
    stack, so it is part of every stack's input digest."""
    return code_digest("stacks", f"cdktn {version('cdktn')}")


def prepare(spec: ResolvedSpec, graph: PlatformGraph) -> Prepared:
    stacks = all_stacks(spec)
    missing = sorted(set(graph.nodes("stack")) ^ {stack_node(name) for name in stacks})
    if missing:
        raise AssertionError(f"stack nodes and stack inputs disagree: {missing}")
    digests = {
        stack_node(name): fingerprint(builder_digest(), inputs) for name, inputs in stacks.items()
    }

    def build(reuse: Reuse) -> list[Output]:
        from compiler.emit.stacks.synth import build_all  # noqa: PLC0415  (jsii when needed)

        artifacts: list[Output] = []
        todo = []
        for name in sorted(stacks):
            node = stack_node(name)
            if node in reuse:
                artifacts.extend(reuse[node])
            else:
                todo.append(name)
        if todo:
            built = build_all([stacks[name] for name in todo])
            check_documents(
                (stack_path(name), f"stack {name}", content)
                for name, content in zip(todo, built, strict=True)
            )
            lock = lock_file()
            for name, content in zip(todo, built, strict=True):
                artifacts.append(Artifact(stack_path(name), content, stack_node(name)))
                artifacts.append(Artifact(lock_path(name), lock, stack_node(name)))
        return artifacts

    return Prepared(digests, build)


FAMILY = Family("stacks", prepare)
