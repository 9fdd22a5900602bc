"""A stand-in for the GitHub CLI's `gh api`, for tests that run workflow steps: the issues
and comments of one repository, kept in a JSON file, and every call recorded.

    gh api [--method M] [--paginate] [--jq FILTER] PATH [-f key=value] [-F key=value|@file]

Only what the scaffolded workflows call is answered (anything else exits 1 with a message):

    GET    repos/O/R/issues/N/comments          POST  repos/O/R/issues/N/comments
    PATCH  repos/O/R/issues/comments/ID         GET   repos/O/R/issues?state=open...
    POST   repos/O/R/issues                     PATCH repos/O/R/issues/N

`--jq` runs the filter with the `jq` program, printing strings raw, as gh does. The state
file is $FAKE_GH_STATE: {"issues": {number: {...}}, "comments": [...], "calls": [...]}.
Run as a program: `python fake_gh.py api ...`.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit


class Usage(Exception):
    pass


def parse(argv: list[str]) -> tuple[str, str, bool, str | None, dict[str, str]]:
    if not argv or argv[0] != "api":
        raise Usage(f"only `gh api` is answered here, not: gh {' '.join(argv)}")
    method, paginate, jq, path = "", False, None, ""
    fields: dict[str, str] = {}
    args = iter(argv[1:])
    for arg in args:
        if arg in ("--method", "-X"):
            method = next(args)
        elif arg == "--paginate":
            paginate = True
        elif arg in ("--jq", "-q"):
            jq = next(args)
        elif arg in ("-f", "--raw-field", "-F", "--field"):
            key, _, value = next(args).partition("=")
            if arg in ("-F", "--field") and value.startswith("@"):
                value = Path(value[1:]).read_text()
            fields[key] = value
        elif arg.startswith("-"):
            raise Usage(f"gh api: option {arg} is not answered here")
        else:
            path = arg
    return method or ("POST" if fields else "GET"), path, paginate, jq, fields


def answer(state: dict[str, Any], method: str, path: str, fields: dict[str, str]) -> Any:
    url = urlsplit(path)
    query = {k: v[-1] for k, v in parse_qs(url.query).items()}
    route = url.path.strip("/")
    issues: dict[str, dict[str, Any]] = state["issues"]
    comments: list[dict[str, Any]] = state["comments"]
    if found := re.fullmatch(r"repos/[^/]+/[^/]+/issues/(\d+)/comments", route):
        number = int(found[1])
        if method == "GET":
            return [c for c in comments if c["issue"] == number]
        if method == "POST":
            comment = {"id": 1000 + len(comments), "issue": number, "body": fields["body"]}
            comments.append(comment)
            return comment
    if found := re.fullmatch(r"repos/[^/]+/[^/]+/issues/comments/(\d+)", route):
        comment = next(c for c in comments if c["id"] == int(found[1]))
        if method == "PATCH":
            comment["body"] = fields["body"]
            return comment
    if re.fullmatch(r"repos/[^/]+/[^/]+/issues", route):
        if method == "GET":
            wanted = query.get("state", "open")
            return [i for i in issues.values() if wanted in ("all", i["state"])]
        if method == "POST":
            number = 1 + max((int(n) for n in issues), default=0)
            issue = {"number": number, "state": "open", "title": fields["title"]}
            issue["body"] = fields.get("body", "")
            issues[str(number)] = issue
            return issue
    if found := re.fullmatch(r"repos/[^/]+/[^/]+/issues/(\d+)", route):
        issue = issues[found[1]]
        if method == "PATCH":
            issue.update(fields)
            return issue
    raise Usage(f"gh api: {method} {path} is not answered here")


def main(argv: list[str]) -> int:
    state_file = Path(os.environ["FAKE_GH_STATE"])
    state = (
        json.loads(state_file.read_text())
        if state_file.is_file()
        else {"issues": {}, "comments": [], "calls": []}
    )
    try:
        method, path, _, jq, fields = parse(argv)
        state["calls"].append({"method": method, "path": path, "fields": fields})
        result = answer(state, method, path, fields)
    except (Usage, KeyError, StopIteration) as problem:
        print(f"fake gh: {problem}", file=sys.stderr)
        return 1
    finally:
        state_file.write_text(json.dumps(state, indent=2))
    text = json.dumps(result)
    if jq is None:
        print(text)
        return 0
    done = subprocess.run(["jq", "-r", jq], input=text, text=True, capture_output=True, check=False)
    sys.stdout.write(done.stdout)
    sys.stderr.write(done.stderr)
    return done.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
