"""Limits on input: how much one spec file and one run may hold.

Spec files come from pull requests, so reading them must stay cheap whatever they hold: a
small file must not expand into minutes of work ("billion laughs", merge keys repeated over
and over), and a folder must not hold so many files or documents that a run takes gigabytes.
Each limit is far above what a real platform writes (a 100,000-tenant fleet fits) and is
checked while reading, so a hostile file is refused within a fraction of a second.

The manual lists them (docs/spec.md, "Limits on input"); tests/docs/test_pages.py keeps the
two in step.
"""

from __future__ import annotations

from dataclasses import dataclass, field

MiB = 1024 * 1024

# One file
MAX_FILE_BYTES = 8 * MiB
MAX_DOCUMENTS_PER_FILE = 20_000  # `---` separated, empty ones included
# One document (`---`). Its text is checked before YAML reads it (reading builds every node
# of a document at once, about 300 bytes of memory each). Then the values it expands to,
# counting every alias and every key a merge (`<<`) visits, taken or not; and its nesting.
MAX_DOCUMENT_CHARACTERS = 1024 * 1024
MAX_VALUES_PER_DOCUMENT = 100_000
MAX_DEPTH = 64
# One run: what the spec folder may hold in all.
MAX_ENTRIES = 200_000  # files, folders and links looked at under the spec folder
MAX_RUN_BYTES = 64 * MiB  # bytes of spec files read
# A fleet of 100,000 tenants, one document of about 16 values each, and its shared documents
# fit within half of these: a compile of the changed tenants alone is taken only within half
# of them (`compiler.load.scan.within_limits`).
MAX_RUN_DOCUMENTS = 250_000  # documents, empty ones included
MAX_RUN_VALUES = 4_000_000  # values of every document together (all that YAML built)

# Where a message about a limit sends the reader.
SEE_LIMITS = "see 'Limits on input' in Paybill's manual, docs/spec.md"
SPLIT_HINT = f"{SEE_LIMITS}; split the platform into several specs"


@dataclass
class Budget:
    """What the rest of one run may still read; every file of the run draws from it.

    `spent` says which limit ran out (empty while none has): later files are then not read,
    and say so.
    """

    bytes: int = field(default_factory=lambda: MAX_RUN_BYTES)
    documents: int = field(default_factory=lambda: MAX_RUN_DOCUMENTS)
    values: int = field(default_factory=lambda: MAX_RUN_VALUES)
    spent: str = ""

    def take_bytes(self, size: int) -> bool:
        """Whether `size` more bytes may be read (and counts them)."""
        if size > self.bytes:
            self.spent = f"the spec files hold more than {_size(MAX_RUN_BYTES)} in all"
            return False
        self.bytes -= size
        return True

    def take_document(self) -> bool:
        self.documents -= 1
        if self.documents < 0:
            self.spent = f"the spec files hold more than {MAX_RUN_DOCUMENTS:,} documents in all"
            return False
        return True

    def take_values(self, count: int) -> bool:
        self.values -= count
        if self.values < 0:
            self.spent = f"the spec files hold more than {MAX_RUN_VALUES:,} values in all"
            return False
        return True


def _size(count: int) -> str:
    return f"{count // MiB} MiB" if count % MiB == 0 else f"{count:,} bytes"
