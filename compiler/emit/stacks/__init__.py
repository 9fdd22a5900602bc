"""Output family 'stacks': one Terraform module per stack shape, one small root stack per pool
and per tenant not deleted.

    modules/<module>/cdk.tf.json           a shape's module, synthesized once through cdktn
    modules/<module>/stack-template.json   the root stack of its stacks, with a placeholder
                                           for each stack's value (`template`)
    modules/<module>/.terraform.lock.hcl   the provider lock file its stacks are
                                           initialised with (`provider`)
    stacks/<stack>/cdk.tf.json             the stack's entry point: its module's template
                                           stamped with its values, no node involved

A module is named after its shape (`aws-bridge-service-limited`), or after its one stack
when that stack lets a store go (`compiler.resolve.shapes.module_name`). A module node's
input digest is the fingerprint of its name, its shape, the platform's facts and the
builders' code; a stack's, of its module's and of its values (`values`). An unchanged
module is taken from the previous compile, and so is its template: a change to a tenant
that keeps its module is stamped from the template on disk, without cdktn. Only new modules
(a new plan or pool, a stack letting a store go, a compiler or platform change) synthesize
anything.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from functools import cache
from importlib.metadata import version

from compiler.emit.artifact import (
    Artifact,
    Family,
    Output,
    Prepared,
    Recorded,
    Reuse,
    code_digest,
    fingerprint,
)
from compiler.emit.stacks import module_cache
from compiler.emit.stacks.inputs import PlatformFacts, StackInputs, all_stacks, platform_facts
from compiler.emit.stacks.module_cache import CachedModule
from compiler.emit.stacks.provider import LOCK_FILE, lock_file
from compiler.emit.stacks.template import Template
from compiler.emit.stacks.values import Values, values_of
from compiler.errors import SpecError
from compiler.graph import PlatformGraph, module_node, stack_node
from compiler.providers import check_documents, document_problems
from compiler.resolve import ResolvedSpec
from compiler.resolve.shapes import Shape, spec_modules

STACK_FILE = "cdk.tf.json"
MODULE_FILE = "cdk.tf.json"
TEMPLATE_FILE = "stack-template.json"


def stack_path(stack: str) -> str:
    return f"stacks/{stack}/{STACK_FILE}"


def module_path(module: str, file: str = MODULE_FILE) -> str:
    return f"modules/{module}/{file}"


@cache
def builder_digest() -> str:
    """The stack builders' code and the cdktn version: a change to either may change every
    module and stack, so it is part of every input digest of the family."""
    return code_digest("stacks", f"cdktn {version('cdktn')}")


def prepare(spec: ResolvedSpec, graph: PlatformGraph) -> Prepared:
    stacks = all_stacks(spec)
    missing = sorted(set(graph.nodes("stack")) ^ {stack_node(name) for name in stacks})
    if missing:
        raise AssertionError(f"stack nodes and stack inputs disagree: {missing}")
    platform = platform_facts(spec)
    shapes = spec_modules(spec)
    missing = sorted(set(graph.nodes("module")) ^ {module_node(name) for name in shapes})
    if missing:
        raise AssertionError(f"module nodes and modules disagree: {missing}")
    modules = {n: fingerprint(builder_digest(), n, s, platform) for n, s in shapes.items()}
    values = {name: values_of(inputs) for name, inputs in stacks.items()}
    digests = {module_node(name): digest for name, digest in modules.items()}
    for name, inputs in stacks.items():
        module = modules[inputs.module]
        digests[stack_node(name)] = fingerprint(builder_digest(), module, values[name])

    def build(reuse: Reuse) -> Iterator[Output]:
        return _build(stacks, values, shapes, platform, modules, reuse)

    return Prepared(digests, build)


def _build(
    stacks: dict[str, StackInputs],
    values: dict[str, Values],
    shapes: dict[str, Shape],
    platform: PlatformFacts,
    module_digests: dict[str, str],
    reuse: Reuse,
) -> Iterator[Output]:
    """The family's files one at a time (a fleet's stacks are never in memory together):
    reused ones, then the modules synthesized now, then each stack stamped now."""
    todo: dict[str, list[str]] = defaultdict(list)  # module -> stacks to stamp
    for name in sorted(stacks):
        node = stack_node(name)
        if node in reuse:
            yield from reuse[node]
        else:
            todo[stacks[name].module].append(name)
    templates: dict[str, Template] = {}
    synthesize = {}
    for module, shape in shapes.items():
        kept = reuse.get(module_node(module))
        template = _kept_template(kept, module) if kept is not None else None
        if kept is not None and (template is not None or module not in todo):
            yield from kept
            if template is not None:
                templates[module] = template
        else:
            synthesize[module] = shape
    yield from _synthesize(synthesize, platform, module_digests, templates)
    # Every document built now, against its provider's schema: a mistake of the compiler's
    # fails the compile before anything is written (the writer only stages what it is
    # given until the compile ends), with every problem found.
    problems = []
    for module, names in sorted(todo.items()):
        template = templates[module]
        for name in names:
            node = stack_node(name)
            stamped = Artifact(stack_path(name), template.stamp(values[name].inputs()), node)
            shown = f"stack {node.partition('-')[2]}"
            problems.extend(document_problems(stamped.path, shown, stamped.content))
            yield stamped
    if problems:
        raise SpecError(problems)


def _kept_template(kept: Sequence[Recorded], module: str) -> Template | None:
    """The template of a module taken from the previous compile, read back (None when it
    cannot be: the module is synthesized again)."""
    for output in kept:
        if output.path == module_path(module, TEMPLATE_FILE) and output.read is not None:
            content = output.read()
            return Template.of(content, module) if content is not None else None
    return None


def _synthesize(
    modules: dict[str, Shape],
    platform: PlatformFacts,
    digests: dict[str, str],
    templates: dict[str, Template],
) -> list[Artifact]:
    """Each module, its lock file and its template: from the module cache when a compile
    made it before (`module_cache`), else through cdktn (node starts here)."""
    if not modules:
        return []
    built = {name: module_cache.load(digests[name]) for name in modules}
    todo = [name for name, found in built.items() if found is None]
    if todo:
        from compiler.emit.stacks.synth import ShapeJob, build_all  # noqa: PLC0415  (jsii)

        jobs = [ShapeJob(name, modules[name], platform) for name in todo]
        for job, result in zip(jobs, build_all(jobs), strict=True):
            built[job.module] = made = CachedModule(result.module, result.template)
            module_cache.save(digests[job.module], made)
    found = {name: module for name, module in built.items() if module is not None}
    check_documents(
        (module_path(name), f"module {name}", module.module) for name, module in found.items()
    )
    lock = lock_file()
    out = []
    for name, module in found.items():
        node = module_node(name)
        templates[name] = Template.of(module.template, name)
        out.append(Artifact(module_path(name), module.module, node))
        if modules[name].cloud == "aws":  # the only provider whose checksums can be known here
            out.append(Artifact(module_path(name, LOCK_FILE), lock, node))
        out.append(Artifact(module_path(name, TEMPLATE_FILE), module.template, node))
    return out


FAMILY = Family("stacks", prepare)
