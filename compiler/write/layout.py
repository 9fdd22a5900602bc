"""Where the writer keeps its own files inside the output folder.

    <out>/.paybill/             never committed: it holds a `.gitignore` of `*`
    <out>/.paybill/staging/     new file contents, before they are moved into place
    <out>/.paybill/journal.json the moves and removals of a write, once all is staged
    <out>/.paybill/cache        what the last compile knew, for the next one to skip what
                                did not change (`compiler.write.cache`)

Everything else under the output folder is output: the manifest and the folders named in
`compiler.records.OUTPUT_FOLDERS`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

INTERNAL: Final = ".paybill"
STAGING: Final = "staging"
JOURNAL: Final = "journal.json"
CACHE: Final = "cache"
# The three caches of older versions, removed when found.
OLD_CACHES: Final = ("disk.json", "records.json", "inputs.json")
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
