"""`summary.md`: one pull-request comment, business first, at most 60,000 characters.

Sections in the order a reviewer needs them: what happens to tenants and their data, what is
refused and why, which agent permissions widen, then per stack the Terraform counts and
addresses, the databases, and every agent permission change. When the whole does not fit,
the later sections are cut at a line and say how much is left out and where to find it (the
plan folder holds everything in `plan.json` and the saved plans).
"""

from __future__ import annotations

from dataclasses import dataclass, field

LIMIT = 60_000
MARKER = "<!-- paybill-plan -->"  # lets CI find and edit its own comment


@dataclass
class Section:
    title: str
    lines: list[str] = field(default_factory=list)
    keep: bool = False  # never cut (the business summary and refusals)

    def text(self) -> str:
        return f"### {self.title}\n\n" + "\n".join(self.lines) + "\n"


def render(
    headline: str,
    sections: list[Section],
    folder: str,
    limit: int = LIMIT,
    *,
    report: str = "plan",
) -> str:
    """The comment: a headline, then the sections that have lines, cut to `limit`. `report`
    is "plan" or "drift": the marker CI finds it by, and the JSON file beside it."""
    whole = f"{report}.json"
    saved = ", including the saved Terraform plans," if report == "plan" else ""
    footer = f"\n---\nEverything{saved} is in the {report} folder (`{folder}`): `{whole}`.\n"
    marker = MARKER if report == "plan" else f"<!-- paybill-{report} -->"
    head = f"{marker}\n## {headline}\n\n"
    parts = [s for s in sections if s.lines]
    budget = limit - len(head) - len(footer)
    out = []
    for section in parts:
        text = section.text()
        if section.keep or len(text) + 1 <= budget:
            out.append(text)
            budget -= len(text) + 1
            continue
        kept: list[str] = []
        used = len(f"### {section.title}\n\n") + 120
        for line in section.lines:
            if used + len(line) + 1 > budget:
                break
            kept.append(line)
            used += len(line) + 1
        left = len(section.lines) - len(kept)
        kept.append(f"\n… {left} more lines left out to keep this comment short: see `{whole}`.")
        cut = Section(section.title, kept).text()
        out.append(cut)
        budget -= len(cut) + 1
        if budget <= 200:
            break
    body = head + "\n".join(out) + footer
    return body if len(body) <= limit else body[: limit - 2] + "…\n"
