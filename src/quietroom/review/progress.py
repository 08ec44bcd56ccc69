"""A reviewer's day, as the room shows it: done, minutes heard against the cap, work waiting,
and, when there is nothing to hand out, why.

Read from the same facts the eligibility function uses (`policy`), so the room never tells a
reviewer something the queue would contradict.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from quietroom.accounts.access import work_blockers
from quietroom.accounts.permissions import controller_id_of

from . import policy
from .models import Submission, Task

WAITING_SHOWN = 1000  # beyond this the room says "1000+": counting a huge queue costs a scan


@dataclass(frozen=True)
class ReviewerDay:
    done_today: int
    heard_minutes: float
    cap_minutes: float
    waiting: int  # queued snippets in the reviewer's languages (at most WAITING_SHOWN)

    @property
    def waiting_label(self) -> str:
        return f"{WAITING_SHOWN}+" if self.waiting >= WAITING_SHOWN else str(self.waiting)


def day_of(user, now: datetime) -> ReviewerDay:
    limits = policy.limits_of(policy.controller_policy(controller_id_of(user)))
    heard = policy.seconds_heard_today(user, now)
    done = Submission.objects.filter(reviewer=user, kind=Submission.Kind.REVIEW,
                                     submitted_at__gte=policy.start_of_day(now)).count()
    # Snippets, not queue slots: with overlap a snippet waits as two tasks, and one person takes one.
    waiting = (Task.objects.filter(status=Task.Status.QUEUED, locale__in=user.locales or [])
               .values("snippet_id").distinct()[:WAITING_SHOWN].count())
    return ReviewerDay(done, heard / 60, limits.daily_cap_seconds / 60, waiting)


def why_nothing(user, now: datetime, day: ReviewerDay) -> str:
    """The most likely reason `next` found nothing for this reviewer, in words for them."""
    blockers = work_blockers(user, now)
    if blockers:
        return "You cannot get work until this is fixed: " + "; ".join(blockers) + ". Your vendor manager can help."
    if day.heard_minutes >= day.cap_minutes:
        return f"You have heard today's limit of {day.cap_minutes:g} audio minutes. Thank you; see you tomorrow."
    if not day.waiting:
        languages = ", ".join(user.locales or []) or "none set"
        return f"Nothing is waiting in your languages ({languages}). Try again later."
    return ("The snippets waiting are ones the policy keeps from you: recordings you already heard or "
            "passed on, distressing content beyond today's limit, content needing a clearance you do not "
            "have, or customers whose data may not be reviewed at your site.")
