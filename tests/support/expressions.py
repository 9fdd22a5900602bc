"""GitHub Actions expressions (`${{ ... }}`), evaluated by GitHub's own evaluator.

`scripts/gha-expressions.mjs` runs `@actions/expressions` (npm, installed by `make tools`)
in one node process per `Expressions`; each evaluation is one line of JSON each way.
Without node or the package the tests skip locally and fail under CI=true.
"""

from __future__ import annotations

import json
import math
import re
import subprocess
from collections.abc import Mapping
from typing import Any

from tests.support.tools import REPO, missing, require_binary

SCRIPT = REPO / "scripts" / "gha-expressions.mjs"
TEMPLATE = re.compile(r"\$\{\{(.*?)\}\}", re.S)


class ExpressionError(Exception):
    pass


def whole(text: str) -> str | None:
    """The expression when `text` is exactly one `${{ ... }}`, else None."""
    found = list(TEMPLATE.finditer(text))
    if len(found) == 1 and found[0].group(0) == text.strip():
        return found[0][1]
    return None


def as_text(value: Any) -> str:
    """A value as GitHub writes it into text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


def truthy(value: Any) -> bool:
    """GitHub's truthiness: false, 0, '', null (and NaN) are false."""
    if isinstance(value, float) and math.isnan(value):
        return False
    return value not in (False, 0, "", None)


class Expressions:
    def __init__(self) -> None:
        node = require_binary("node", "install Node.js 20 (apt-get install nodejs)")
        self.process = subprocess.Popen(
            [node, str(SCRIPT)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait(timeout=30)
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()

    def evaluate(
        self, expr: str, context: Mapping[str, Any], status: Mapping[str, bool] | None = None
    ) -> Any:
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        request = {"expr": expr.strip(), "context": context, "status": status or {}}
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            assert self.process.stderr is not None
            if self.process.wait(timeout=30) == 3:
                missing("the npm package @actions/expressions", "run `make tools`")
            raise ExpressionError(f"the evaluator stopped: {self.process.stderr.read()}")
        answer = json.loads(line)
        if "error" in answer:
            raise ExpressionError(f"{expr.strip()}: {answer['error']}")
        return answer["value"]

    def text(self, expr: str, context: Mapping[str, Any]) -> str:
        """An expression's value as `${{ }}` puts it into text."""
        return as_text(self.evaluate(expr, context))

    def render(self, value: Any, context: Mapping[str, Any]) -> Any:
        """A workflow value with its expressions evaluated: a string that is one expression
        keeps the expression's type (a list for a matrix, a number); other strings get the
        values' text; lists and mappings are rendered item by item."""
        if isinstance(value, str):
            expr = whole(value)
            if expr is not None:
                return self.evaluate(expr, context)
            return TEMPLATE.sub(lambda m: self.text(m[1], context), value)
        if isinstance(value, list):
            return [self.render(v, context) for v in value]
        if isinstance(value, dict):
            return {k: self.render(v, context) for k, v in value.items()}
        return value

    def environment(self, values: Mapping[str, Any], context: Mapping[str, Any]) -> dict[str, str]:
        """An `env:` mapping: every value as text (a missing secret is empty, not null)."""
        return {k: as_text(self.render(v, context)) for k, v in values.items()}

    def condition(self, value: Any, context: Mapping[str, Any], status: Mapping[str, bool]) -> bool:
        """An `if:`: an expression with or without `${{ }}`; none means `success()`."""
        if value is None:
            return status["success"]
        if isinstance(value, bool):
            return value
        text = str(value)
        expr = whole(text)
        return truthy(self.evaluate(text if expr is None else expr, context, status))
