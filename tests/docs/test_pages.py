"""The manual (docs/, built with mkdocs-material) and the README, the front door to it.

The site is built with `--strict`, as `make docs` builds it: a broken link or anchor, a page
left out of the navigation or a missing page fails the build, and so this test. Facts the
docs state about the code are checked against the code where a test can do it.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from compiler.load import limits
from tests.support.tools import REPO, missing

README_MAX_LINES = 250


def build(root: Path, site: Path) -> subprocess.CompletedProcess[str]:
    if importlib.util.find_spec("mkdocs") is None or importlib.util.find_spec("material") is None:
        missing("mkdocs-material", "install the docs extra: pip install -e '.[docs]'")
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=root,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        check=False,
    )


def test_the_site_builds_strictly_with_every_page(tmp_path: Path) -> None:
    done = build(REPO, tmp_path / "site")
    assert done.returncode == 0, done.stderr
    pages = sorted(p.stem for p in (REPO / "docs").glob("*.md"))
    assert "index" in pages
    assert "sandbox" in pages
    for page in pages:
        html = "index.html" if page == "index" else f"{page}/index.html"
        assert (tmp_path / "site" / html).is_file(), page


def test_a_broken_link_fails_the_build(tmp_path: Path) -> None:
    root = tmp_path / "copy"
    shutil.copytree(REPO / "docs", root / "docs")
    shutil.copy(REPO / "mkdocs.yml", root / "mkdocs.yml")
    page = root / "docs" / "sandbox.md"
    page.write_text(page.read_text() + "\nSee [the moon](operate.md#the-moon).\n")
    done = build(root, tmp_path / "site")
    assert done.returncode != 0
    assert "the-moon" in done.stderr


def test_the_readme_is_a_front_door() -> None:
    readme = (REPO / "README.md").read_text()
    assert len(readme.splitlines()) <= README_MAX_LINES
    for command in ("make demo", "make test"):
        assert f"{command}   #" in readme
    assert re.search(r"`make demo` .*Measured: \*\*\d+(\.\d+)? minutes\*\*", readme, re.S)
    assert re.search(r"`make test` .*Measured: \*\*\d+(\.\d+)? minutes\*\*", readme, re.S)
    links = re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", readme)
    assert "docs/getting-started.md" in links
    for link in links:
        assert (REPO / link).is_file(), f"README links to {link}, which does not exist"


def limits_table() -> dict[str, str]:
    """The rows of the 'Limits on input' table in docs/spec.md: limit -> value."""
    text = (REPO / "docs" / "spec.md").read_text()
    section = text.split("## Limits on input", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| ([^|]+?) \| ([^|]+?) \|", section, re.M)
    return {name: value for name, value in rows if name not in ("limit", "---")}


def test_the_limits_in_the_docs_are_the_limits_in_the_code() -> None:
    mib = limits.MiB
    assert limits_table() == {
        "size of one file": f"{limits.MAX_FILE_BYTES // mib} MiB",
        "documents in one file": f"{limits.MAX_DOCUMENTS_PER_FILE:,}",
        "length of one document": f"{limits.MAX_DOCUMENT_CHARACTERS:,} characters",
        "values of one document": f"{limits.MAX_VALUES_PER_DOCUMENT:,}",
        "nesting of one document": f"{limits.MAX_DEPTH} levels",
        "files, folders and links looked at under the spec folder": f"{limits.MAX_ENTRIES:,}",
        "bytes of all spec files of a run": f"{limits.MAX_RUN_BYTES // mib} MiB",
        "documents of a run": f"{limits.MAX_RUN_DOCUMENTS:,}",
        "values of all documents of a run": f"{limits.MAX_RUN_VALUES:,}",
    }


def test_messages_about_limits_point_at_a_section_that_exists() -> None:
    hint, page, section = limits.SEE_LIMITS, "docs/spec.md", "Limits on input"
    assert page in hint
    assert section in hint
    assert f"\n## {section}\n" in (REPO / page).read_text()
