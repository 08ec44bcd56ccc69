"""Who may hear what: one pure function, asked by assignment, streaming and submission.

`decide` looks only at its arguments (no database, no clock of its own), so every rule is
testable in isolation and no caller can re-implement a piece of it differently. The first
version checks the account, the second factor, the site and the language; residency, caps,
exposure limits and vetting records join it as the identity and review issues land.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reasons: tuple[str, ...] = field(default_factory=tuple)

    def __bool__(self) -> bool:
        return self.allowed


def decide(reviewer, site, task, now: datetime) -> Decision:
    """May `reviewer`, working at `site`, hear and transcribe `task` at time `now`?"""
    reasons: list[str] = []
    if not reviewer.is_active:
        reasons.append("account is disabled")
    if reviewer.role != "reviewer":
        reasons.append("only reviewers transcribe snippets")
    if not reviewer.has_second_factor:
        reasons.append("second factor not enrolled")
    if site is None:
        reasons.append("not working from an approved site")
    elif reviewer.site_id != site.id:
        reasons.append("site is not the reviewer's assigned site")
    if task.locale not in (reviewer.locales or []):
        reasons.append(f"no language qualification for {task.locale}")
    if task.status == "done":
        reasons.append("task is already complete")
    return Decision(allowed=not reasons, reasons=tuple(reasons))
