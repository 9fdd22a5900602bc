#!/usr/bin/env python3
"""Scan compiled stacks with checkov and compare the findings with the reviewed baseline.

    .venv/bin/python scripts/checkov-stacks.py [GENERATED_DIR]     # default: generated

Each module under GENERATED_DIR (`modules/<shape>/cdk.tf.json`, as written) and each stack
(`stacks/<stack>/cdk.tf.json`, as one configuration with its module's resources and its
values) is copied to a temporary folder without `terraform.required_version` (checkov cannot
parse it there) and scanned offline; see tests/emit/stacks/checkov.py. Prints what was
checked and every finding outside tests/emit/stacks/checkov-baseline.yaml. Exit 0 when the
findings are exactly the accepted ones, 1 otherwise (new findings, accepted ones that no
longer occur, or a file checkov could not parse), 3 when checkov is missing (`make tools`
installs it).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.emit.stacks.checkov import (  # noqa: E402
    BASELINE,
    HOW_TO_GET,
    STACK_FILE,
    compare,
    find_checkov,
    generated_copies,
    load_baseline,
    scan,
)


def main(argv: list[str]) -> int:
    folder = Path(argv[1]) if len(argv) > 1 else REPO / "generated"
    files = {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for kind in ("modules", "stacks")
        for p in sorted(folder.glob(f"{kind}/*/{STACK_FILE}"))
    }
    stacks = [p for p in files if p.startswith("stacks/")]
    if not stacks:
        print(f"no stacks/*/{STACK_FILE} under {folder}", file=sys.stderr)
        return 1
    binary = find_checkov()
    if binary is None:
        print(f"checkov is not available: {HOW_TO_GET}", file=sys.stderr)
        return 3
    baseline = load_baseline()
    with tempfile.TemporaryDirectory(prefix="checkov-stacks-") as tmp:
        copies = generated_copies(Path(tmp), files)
        report = scan(binary, Path(tmp), copies)
    unexpected, stale = compare(report, baseline)
    accepted = sum(len(files) for finding, files in report.findings.items()) - len(unexpected)
    print(
        f"checkov: {len(files) - len(stacks)} modules and {len(stacks)} stacks, "
        f"{report.passed + report.failed} checks run, "
        f"{report.passed} passed, {report.failed} failed ({len(report.findings)} distinct "
        f"check/resource pairs), {report.parsing_errors} parsing errors; baseline "
        f"{BASELINE.relative_to(REPO)}: {len(baseline)} accepted check ids"
    )
    for line in unexpected:
        print(f"  not accepted: {line}")
    for line in stale:
        print(f"  accepted, but no longer found (remove it from the baseline): {line}")
    if report.parsing_errors or not report.passed + report.failed:
        print("  checkov parsed nothing or failed to parse a file", file=sys.stderr)
        return 1
    if unexpected or stale:
        return 1
    print(f"  every finding is accepted in the baseline ({accepted} across all stacks)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
