"""Node records as the last compile checked them, kept in `<out>/.paybill/records.json`.

Reading every record and checking it field by field was the largest part of a one-tenant
recompile (3,400 records at 1,000 tenants, 34,000 at 10,000). Like `disk.json`, this cache
keys each record by its file's stat (size, modification and change times, inode): a record
whose file still has that stat is built from the cached data, which was checked when it was
cached; any other is read and checked again. The cache also names the code that checked
it: a different `compiler/records.py` starts it afresh. `--check` never reads or writes it, and a
missing or damaged cache only costs the time it saves.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import orjson

from compiler import records
from compiler.emit.artifact import Artifact, Output
from compiler.records import RECORDS_FOLDER, NodeRecord, trusted_record
from compiler.write.disk import Stat, save_cache, stat_key
from compiler.write.layout import RECORD_CACHE, internal

PREFIX = f"{RECORDS_FOLDER}/"


class RecordCache:
    def __init__(self, out: Path) -> None:
        self.out = out
        # The module that checks records and builds them from cached data (not the emitter
        # of the same name, which `code_digest("records.py")` would name).
        self.code = hashlib.sha256(Path(records.__file__).read_bytes()).hexdigest()
        self._entries: dict[str, list[Any]] = self._load()
        self._changed = False

    def _load(self) -> dict[str, list[Any]]:
        try:
            data = orjson.loads((internal(self.out) / RECORD_CACHE).read_bytes())
        except (OSError, ValueError):
            return {}
        if not isinstance(data, dict) or data.get("code") != self.code:
            return {}
        entries = data.get("records")
        if not isinstance(entries, dict):
            return {}
        return {
            p: e
            for p, e in entries.items()
            if isinstance(e, list) and len(e) == 5 and isinstance(e[4], dict)
        }

    def key(self, path: str) -> Stat | None:
        return stat_key(os.path.join(self.out, path))

    def get(self, path: str, key: Stat | None) -> NodeRecord | None:
        """The cached record of `path` when its file still has stat `key`."""
        entry = self._entries.get(path)
        if entry is None or key is None or entry[:4] != key:
            return None
        try:
            return trusted_record(entry[4])
        except (KeyError, TypeError, AttributeError):
            return None  # not what this code cached: read and check the file

    def put(self, path: str, key: Stat | None, data: dict[str, Any]) -> None:
        if key is None:
            return
        self._entries[path] = [*key, data]
        self._changed = True

    def keep_only(self, paths: Iterable[str]) -> None:
        """Forget the records of files that are gone."""
        present = set(paths)
        for path in [p for p in self._entries if p not in present]:
            del self._entries[path]
            self._changed = True

    def wrote(self, outputs: Iterable[Output], written: set[str]) -> None:
        """After a write: cache each record file among `outputs` that was `written` now or
        is not cached yet, from its bytes."""
        for output in outputs:
            path = output.path
            if not path.startswith(PREFIX) or not isinstance(output, Artifact):
                continue
            if path in written or path not in self._entries:
                self.put(path, self.key(path), orjson.loads(output.content))

    def save(self) -> None:
        """Write the cache when it learned something; a failure to write is not an error."""
        if self._changed:
            content = orjson.dumps({"code": self.code, "records": self._entries})
            save_cache(self.out, RECORD_CACHE, content)
