"""`summary.md`: one pull-request comment, business first, at most 60,000 characters.

Sections in the order a reviewer needs them: what changes for plans, tenants and their
data, what is refused and why, which agent permissions widen, then per stack the Terraform
counts and addresses, the databases, and every agent permission change. A section may offer
shorter forms of itself (the same facts grouped by kind, with counts): when the whole does
not fit, the longest sections fall back to their shorter forms first, so that a first
deployment or a fleet-wide change still fits in one comment and every section still says
something. Only then are sections without a short enough form cut at a line. Nothing is
lost: the plan folder holds every line uncut (`details.md`) and everything as data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

LIMIT = 60_000
MARKER = "<!-- paybill-plan -->"  # lets CI find and edit its own comment
DETAILS = "details.md"  # the summary uncut, beside it in the plan folder
NAMES_SHOWN = 5  # names listed before "and N more" in a grouped line


@dataclass
class Section:
    title: str
    lines: list[str] = field(default_factory=list)
    keep: bool = False  # never cut (the business summary and refusals)
    # Shorter forms of `lines`, each shorter than the one before: the same facts grouped.
    shorter: list[list[str]] = field(default_factory=list)

    def text(self, form: int = 0) -> str:
        lines = self.lines if form == 0 else self.shorter[form - 1]
        return f"### {self.title}\n\n" + "\n".join(lines) + "\n"


def names(items: Sequence[str], shown: int = NAMES_SHOWN) -> str:
    """`a, b, c` — or `a, b, c, d, e and 12 more` for a long list."""
    if len(items) <= shown:
        return ", ".join(items)
    return f"{', '.join(items[:shown])} and {len(items) - shown:,} more"


def count(number: int, thing: str) -> str:
    """`1 tenant`, `3 tenants`, `1,200 tenants`."""
    return f"{number:,} {thing}{'' if number == 1 else 's'}"


def render(
    headline: str,
    sections: list[Section],
    folder: str,
    limit: int | None = LIMIT,
    *,
    report: str = "plan",
) -> str:
    """The comment: a headline, then the sections that have lines, within `limit` (None:
    everything, uncut). `report` is "plan" or "drift": the marker CI finds it by, and the
    JSON file beside it."""
    whole = f"{report}.json"
    saved = ", including the saved Terraform plans," if report == "plan" else ""
    also = f" and every line of this summary in `{DETAILS}`" if report == "plan" else ""
    footer = f"\n---\nEverything{saved} is in the {report} folder (`{folder}`): `{whole}`{also}.\n"
    marker = MARKER if report == "plan" else f"<!-- paybill-{report} -->"
    head = f"{marker}\n## {headline}\n\n"
    parts = [s for s in sections if s.lines]
    if limit is None:
        return head + "\n".join(s.text() for s in parts) + footer
    budget = limit - len(head) - len(footer)
    forms = _shortest_needed(parts, budget)
    out = []
    for section, form in zip(parts, forms, strict=True):
        text = section.text(form)
        if section.keep or len(text) + 1 <= budget:
            out.append(text)
            budget -= len(text) + 1
            continue
        rest = f"`{DETAILS}` and `{whole}`" if report == "plan" else f"`{whole}`"
        cut = _cut(section, form, budget, rest)
        out.append(cut)
        budget -= len(cut) + 1
        if budget <= 200:
            break
    body = head + "\n".join(out) + footer
    return body if len(body) <= limit else body[: limit - 2] + "…\n"


def _shortest_needed(parts: list[Section], budget: int) -> list[int]:
    """Which form of each section to show: the fullest forms that fit together, giving up
    detail in the longest section first."""
    forms = [0] * len(parts)
    sizes = [len(s.text()) + 1 for s in parts]
    while sum(sizes) > budget:
        shrinkable = [i for i, s in enumerate(parts) if forms[i] < len(s.shorter)]
        if not shrinkable:
            break
        longest = max(shrinkable, key=lambda i: sizes[i])
        forms[longest] += 1
        sizes[longest] = len(parts[longest].text(forms[longest])) + 1
    return forms


def _cut(section: Section, form: int, budget: int, rest: str) -> str:
    lines = section.lines if form == 0 else section.shorter[form - 1]
    kept: list[str] = []
    used = len(f"### {section.title}\n\n") + 160
    for line in lines:
        if used + len(line) + 1 > budget:
            break
        kept.append(line)
        used += len(line) + 1
    left = len(lines) - len(kept)
    kept.append(f"\n… {left:,} more lines left out to keep this comment short: see {rest}.")
    return Section(section.title, kept).text()
