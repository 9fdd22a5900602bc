"""What the last compile into an output folder knew, for the next one: `<out>/.paybill/cache`.

One file, one format (`FORMAT`), read whole before a compile and replaced whole after its
write. Each stage of the compile skips work with it, and checks before it trusts:

* `files`: every output file's stat (size, modification and change times, inode) and
  SHA-256. A file whose stat is still the one listed has that digest, without being read
  (like git's index); any other is read again. An edit changes the change time, so a hand
  edit is always seen.
* `records`: the node records as they were checked, each tied to the SHA-256 of its file:
  a record whose file still has that digest is taken without reading and checking it again.
* `snapshot`: what the compile was made from: each spec file as it was read (`KnownFile`),
  the tenants' facts the checks between tenants need, and the graph's shared nodes. With it
  a compile reads and builds only the tenants whose files changed (`compiler.scope`). It is
  left out when the compile could not vouch for every file it read or wrote.

The cache is a convenience, never an authority. It belongs to one compiler (`key`: every file
of the compiler package, the versions that shape output, the spec and output folders);
another key, another format, a damaged file or one edited by hand (a SHA-256 of its first
line no longer matches) are ignored and the cache is rebuilt. It is replaced by a rename
after the output is written, so a compile killed at any moment leaves the cache of the last
complete compile, whose stats no longer match what the killed one changed. `--check` neither
reads nor writes it. Paths taken from it pass the same checks as paths taken from records.

Layout: a header line (JSON: format, key, the SHA-256 of the index line and that of the
record lines), the index line (JSON: files, snapshot), then one line per record:
`path <TAB> sha256 <TAB> record as JSON`. The record lines stay bytes, neither parsed nor
hashed, until a compile asks for a record: a one-tenant compile never does.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib.metadata import version
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from compiler import __version__
from compiler.emit.artifact import Output
from compiler.load.scan import KnownFile
from compiler.write.layout import CACHE, OLD_CACHES, internal

FORMAT = "paybill.dev/compile-cache/v1"
_EMPTY = hashlib.sha256(b"").hexdigest()
FileEntry = list[Any]  # [size, mtime_ns, ctime_ns, inode, sha256], as the file stores it
_SHA256 = re.compile(rb"^[0-9a-f]{64}$")


@dataclass(frozen=True, slots=True)
class TenantTies:
    """What a tenant brings to the checks between tenants: whether it is live (not deleted),
    and its own network when it has one."""

    live: bool
    network: str | None


@dataclass
class Snapshot:
    spec: dict[str, KnownFile]  # spec file, relative to the spec folder -> as it was read
    tenants: dict[str, TenantTies]
    shared: list[str]  # the graph's nodes that belong to no tenant


@dataclass
class Cache:
    key: str
    files: dict[str, FileEntry] = field(default_factory=dict)
    snapshot: Snapshot | None = None
    notes: list[str] = field(default_factory=list)  # for people: a cache that was damaged
    # The record lines as read, and the digest the header gives them, until a compile asks
    # for a record (a compile of a few tenants reads their few records from their files,
    # and saves these lines as they are, without reading or hashing them).
    _lines: bytes = b""
    _lines_sha256: str = _EMPTY
    _records: dict[str, tuple[bytes, bytes]] | None = None  # path -> (sha256, JSON)
    _path: Path | None = None  # where it was read from, for the note when damaged
    _read: str = ""  # the digests of the index and the record lines as read

    @property
    def records(self) -> dict[str, tuple[bytes, bytes]]:
        if self._records is None:
            if hashlib.sha256(self._lines).hexdigest() == self._lines_sha256:
                self._records = _records(self._lines)
            else:
                self._records = {}
                self._read = ""  # the file does not hold what its header says: write it again
                self.notes.append(_damaged(self._path or Path(CACHE)))
            self._lines = b""
        return self._records

    @classmethod
    def load(cls, out: Path, key: str) -> Cache:
        """The cache of `out` when it was written for `key`; else an empty one (with a note
        when the file was damaged)."""
        path = internal(out) / CACHE
        try:
            content = path.read_bytes()
        except OSError:
            return cls(key)
        try:
            found = _parse(content, key)
        except (ValueError, TypeError, KeyError, AttributeError):
            return cls(key, notes=[_damaged(path)])
        if found is None:
            return cls(key)
        found._path = path
        return found

    def record(self, path: str, sha256: str) -> dict[str, Any] | None:
        """The checked data of the record at `path` when its file has digest `sha256`."""
        entry = self.records.get(path)
        if entry is None or entry[0] != sha256.encode():
            return None
        try:
            data = orjson.loads(entry[1])
        except orjson.JSONDecodeError:
            return None
        return data if isinstance(data, dict) else None

    def put_record(self, path: str, sha256: str, content: bytes) -> None:
        """Keep the record whose file (digest `sha256`) holds the JSON `content`."""
        self.records[path] = (sha256.encode(), re.sub(rb"\n *", b"", content))

    def keep_record(self, path: str, sha256: str, content: bytes) -> None:
        """The record a compile built (and wrote, or found on disk as it is)."""
        known = self.records.get(path)
        if known is None or known[0] != sha256.encode():
            self.put_record(path, sha256, content)

    def after_write(
        self, outputs: Sequence[Output], removed: Iterable[str], *, whole: bool
    ) -> None:
        """Forget the files a compile `removed`; after a `whole` compile, everything that
        is no longer output. (The `Disk` and the writer kept the rest up to date; a record
        kept for a file that changed since is never taken: its digest is not the file's.)"""
        for path in removed:
            self.files.pop(path, None)
        if whole:  # in place: a fleet's tables are not copied
            paths = {o.path for o in outputs}
            records = self.records
            for table in (self.files, records):
                for path in [p for p in table if p not in paths]:
                    del table[path]

    def covers(self, outputs: Sequence[Output]) -> bool:
        """Whether every file of `outputs` is known by its stat (so the next compile can tell
        that the output is as this one left it)."""
        return all(o.path in self.files for o in outputs)

    def save(self, out: Path) -> None:
        """Replace the cache file at once. A cache is a convenience: failing to write one
        is never an error (the next compile rebuilds it)."""
        folder = internal(out)
        if not folder.is_dir():
            return
        for leftover in folder.glob(f"{CACHE}.*"):  # a killed compile's: this one holds the lock
            leftover.unlink(missing_ok=True)
        index, lines = _index(self), _Lines.of(self)
        index_sha256 = hashlib.sha256(index).hexdigest()
        if self._read == f"{index_sha256} {lines.sha256}":
            return  # what the file holds already (a compile that changed nothing)
        header = {"format": FORMAT, "key": self.key, "index": index_sha256, "records": lines.sha256}
        scratch = folder / f"{CACHE}.{os.getpid()}"
        try:
            with scratch.open("wb") as handle:
                handle.write(orjson.dumps(header) + b"\n" + index + b"\n")
                lines.write(handle)
            os.replace(scratch, folder / CACHE)
        except OSError:
            scratch.unlink(missing_ok=True)
            return
        for old in OLD_CACHES:
            (folder / old).unlink(missing_ok=True)


def _index(cache: Cache) -> bytes:
    """The index line: every output file's stat, and the snapshot."""
    snapshot = cache.snapshot
    index = {
        "files": cache.files,
        "snapshot": None
        if snapshot is None
        else {
            "spec": {p: e.row() for p, e in snapshot.spec.items()},
            "tenants": {n: [t.live, t.network] for n, t in snapshot.tenants.items()},
            "shared": snapshot.shared,
        },
    }
    return orjson.dumps(index)


@dataclass(frozen=True)
class _Lines:
    """The record lines and their digest: the lines as read, when no compile asked for a
    record (they are the same bytes), or each record's line in order of path, hashed and
    then written one at a time (a fleet's records are never joined in memory)."""

    sha256: str
    read: bytes
    rows: list[tuple[str, tuple[bytes, bytes]]] | None

    @classmethod
    def of(cls, cache: Cache) -> _Lines:
        if cache._records is None:
            return cls(cache._lines_sha256, cache._lines, None)
        rows = sorted(cache._records.items())
        digest = hashlib.sha256()
        for line in _record_lines(rows):
            digest.update(line)
        return cls(digest.hexdigest(), b"", rows)

    def write(self, handle: BinaryIO) -> None:
        if self.rows is None:
            handle.write(self.read)
            return
        for line in _record_lines(self.rows):
            handle.write(line)


def _record_lines(rows: list[tuple[str, tuple[bytes, bytes]]]) -> Iterator[bytes]:
    """`path <TAB> sha256 <TAB> JSON` per record, joined by newlines (none after the last),
    in pieces."""
    separator = b""
    for path, (sha256, data) in rows:
        yield separator + b"\t".join((path.encode(), sha256, data))
        separator = b"\n"


def _parse(content: bytes, key: str) -> Cache | None:
    """The cache in `content`; None when it is of another format or key; ValueError (or
    TypeError, KeyError) when it is damaged. The record lines are checked against their
    digest when a compile first asks for a record."""
    header_end = content.index(b"\n")
    header = orjson.loads(content[:header_end])
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        return None
    if header.get("key") != key:
        return None
    index_end = content.index(b"\n", header_end + 1)
    index = memoryview(content)[header_end + 1 : index_end]
    if hashlib.sha256(index).hexdigest() != header["index"]:
        raise ValueError("its digest does not match its content")
    data = orjson.loads(index)
    files, records = data["files"], header["records"]
    if not isinstance(files, dict) or not isinstance(records, str):
        raise TypeError("files")
    lines = content[index_end + 1 :]
    read = f"{header['index']} {records}"
    return Cache(key, files, _snapshot(data["snapshot"]), [], lines, records, _read=read)


def _records(lines: bytes) -> dict[str, tuple[bytes, bytes]]:
    """The record lines (`path <TAB> sha256 <TAB> JSON`), by path. They were covered by the
    digest checked when the cache was read; a line that is not one is left out."""
    out = {}
    for line in lines.split(b"\n") if lines else ():
        path, _, rest = line.partition(b"\t")
        sha256, _, data = rest.partition(b"\t")
        if _SHA256.match(sha256) and data:
            out[path.decode(errors="replace")] = (sha256, data)
    return out


def _damaged(path: Path) -> str:
    return f"{path.as_posix()} was damaged or edited; it is ignored and written again"


def _snapshot(data: Any) -> Snapshot | None:
    if data is None:
        return None
    tenants = {}
    for name, (live, network) in data["tenants"].items():
        if not isinstance(live, bool) or not (network is None or isinstance(network, str)):
            raise TypeError("tenants")
        tenants[str(name)] = TenantTies(live, network)
    shared = data["shared"]
    if not isinstance(shared, list) or not all(isinstance(n, str) for n in shared):
        raise TypeError("shared")
    spec = {str(p): KnownFile.of_row(r) for p, r in data["spec"].items()}
    return Snapshot(spec, tenants, shared)


@cache
def code_digest() -> str:
    """Every file of the compiler package, and the versions that shape its output."""
    return package_digest(Path(__file__).resolve().parents[1])


def package_digest(root: Path) -> str:
    """SHA-256 of every file under `root` (compiled bytecode aside), with the versions of
    paybill and cdktn."""
    digest = hashlib.sha256(f"paybill {__version__}\0cdktn {version('cdktn')}".encode())
    for source in sorted(
        p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts
    ):
        digest.update(source.relative_to(root).as_posix().encode() + b"\0")
        digest.update(source.read_bytes())
    return digest.hexdigest()


def cache_key(spec_dir: Path, out_dir: Path) -> str:
    """The same code compiling the same spec folder into the same output folder."""
    folders = f"{spec_dir.resolve().as_posix()}\0{out_dir.resolve().as_posix()}"
    return hashlib.sha256(f"{code_digest()}\0{folders}".encode()).hexdigest()
