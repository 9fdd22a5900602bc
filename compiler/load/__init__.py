"""Stage 1: find spec files and read them as positioned YAML documents."""

from compiler.load.discover import LoadedSpec, discover, load_files, load_spec
from compiler.load.source import Path, SourceDocument, format_path
from compiler.load.yaml_reader import Unread

__all__ = [
    "LoadedSpec",
    "Path",
    "SourceDocument",
    "Unread",
    "discover",
    "format_path",
    "load_files",
    "load_spec",
]
