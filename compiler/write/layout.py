"""Where the writer keeps its own files inside the output folder.

    <out>/.paybill/             never committed: it holds a `.gitignore` of `*`
    <out>/.paybill/staging/     new file contents, before they are moved into place
    <out>/.paybill/journal.json the moves and removals of a write, once all is staged
    <out>/.paybill/disk.json    size, times and digest of each file last written or read
    <out>/.paybill/records.json the node records as last checked
    <out>/.paybill/inputs.json  what the last compile was made from (incremental compiles)

Everything else under the output folder is output: the manifest and the folders named in
`compiler.records.OUTPUT_FOLDERS`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

INTERNAL: Final = ".paybill"
STAGING: Final = "staging"
JOURNAL: Final = "journal.json"
DISK_CACHE: Final = "disk.json"
RECORD_CACHE: Final = "records.json"
INPUTS: Final = "inputs.json"
IGNORE_ALL: Final = b"# Working files of paybill compile; never committed.\n*\n"


def internal(out: Path) -> Path:
    return out / INTERNAL


def ensure_internal(out: Path) -> Path:
    """`<out>/.paybill`, created (with its `.gitignore`) when missing."""
    folder = internal(out)
    folder.mkdir(exist_ok=True)
    ignore = folder / ".gitignore"
    if not ignore.exists():
        ignore.write_bytes(IGNORE_ALL)
    return folder
