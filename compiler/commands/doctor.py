"""`paybill doctor [--for COMMAND] [--format text|json]`."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping

from compiler.doctor.needs import DEFAULT, NEEDS, Readiness, probe_all, readiness
from compiler.doctor.probes import Finding

EXIT_MISSING = 3


def configure(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Report Python, git, Node.js and whether CDK for Terraform starts, Terraform and "
        "the AWS provider (plugin mirror, cache or registry), and the sandbox's PostgreSQL "
        "server and moto; which commands need which, and how to get what is missing. "
        f"Exit 3 when a tool that {', '.join(DEFAULT)} need is missing (or, with --for, "
        "one that COMMAND needs)."
    )
    parser.add_argument(
        "--for",
        dest="command",
        choices=sorted(NEEDS),
        metavar="COMMAND",
        help=f"check what one command needs ({', '.join(sorted(NEEDS))}); "
        f"default: {', '.join(DEFAULT)}",
    )
    parser.add_argument(
        "--format", choices=("text", "json"), default="text", help="output (default: text)"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    findings = probe_all()
    checked: tuple[str, ...] = (args.command,) if args.command else DEFAULT
    result = readiness(findings, checked)
    if args.format == "json":
        sys.stdout.write(json.dumps(to_json(findings, result), indent=2, sort_keys=True) + "\n")
    else:
        sys.stdout.write(render(findings, result))
    return 0 if all(r.ready for r in result) else EXIT_MISSING


def to_json(findings: Mapping[str, Finding], result: list[Readiness]) -> dict[str, object]:
    return {
        "tools": {key: f.to_json() for key, f in findings.items()},
        "needs": {command: list(tools) for command, tools in NEEDS.items()},
        "checked": {r.command: {"ready": r.ready, "missing": list(r.missing)} for r in result},
        "ready": all(r.ready for r in result),
    }


def _line(finding: Finding) -> str:
    state = "ok" if finding.ok else "MISSING"
    name = f"{finding.tool} {finding.version}".strip()
    notes = ", ".join(part for part in (finding.where, finding.detail) if part)
    return f"  {state:<8} {name:<30} {notes}".rstrip()


def render(findings: Mapping[str, Finding], result: list[Readiness]) -> str:
    lines = ["Tools:"]
    lines += [_line(f) for f in findings.values()]
    lines += ["", "What needs what:"]
    groups: dict[tuple[str, ...], list[str]] = {}
    for command, tools in NEEDS.items():
        groups.setdefault(tools, []).append(command)
    rows = [(", ".join(commands), tools) for tools, commands in groups.items()]
    rows.append(("plan --no-terraform", ("git",)))
    width = max(len(commands) for commands, _ in rows) + 2
    for commands, tools in rows:
        needed = ", ".join(findings[t].tool for t in tools) or "nothing beyond Python"
        lines.append(f"  {commands:<{width}}{needed}")
    lines.append("")
    ready = [r.command for r in result if r.ready]
    blocked = [r for r in result if not r.ready]
    if ready:
        lines.append(f"Ready for: {', '.join(ready)}.")
    if blocked:
        shown = "; ".join(
            f"{r.command} (missing {', '.join(findings[t].tool for t in r.missing)})"
            for r in blocked
        )
        lines += [f"NOT ready for: {shown}.", "", "What to do:"]
        missing = dict.fromkeys(t for r in blocked for t in r.missing)
        for key in missing:
            finding = findings[key]
            why = f" ({finding.detail})" if finding.detail else ""
            lines.append(f"  - {finding.tool}{why}: {finding.fix}")
    return "\n".join(lines) + "\n"
