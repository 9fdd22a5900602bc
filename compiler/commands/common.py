"""Arguments several commands share."""

from __future__ import annotations

import argparse
from pathlib import Path

from compiler.load.discover import DEFAULT_SPEC


def add_spec_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "spec_dir",
        nargs="?",
        default=DEFAULT_SPEC,
        type=Path,
        metavar="SPEC_DIR",
        help=f"folder of spec files, read recursively (default: {DEFAULT_SPEC})",
    )


def add_base(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--base",
        metavar="REV_OR_DIR",
        help="also check lifecycle transitions, and columns added to tables that exist "
        "there, against the spec at this git revision (e.g. origin/main) or in this folder",
    )
