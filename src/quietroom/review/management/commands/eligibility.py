"""`quietroom eligibility SNIPPET [--reviewer NAME]`: why a snippet can or cannot go to reviewers.

The reasons come from the eligibility function itself (review.policy.explain), the same answer
the queue and the gate get. Prints reviewer usernames, sites and reasons; never content.
"""
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from quietroom.audit.log import Actor, record
from quietroom.review import policy
from quietroom.review.models import Task


class Command(BaseCommand):
    help = "Explain, per reviewer, whether a snippet may be assigned to them and why not."

    def add_arguments(self, parser):
        parser.add_argument("snippet", help="snippet id (uuid)")
        parser.add_argument("--reviewer", action="append", default=[], help="only this reviewer (repeatable)")

    def handle(self, *args, snippet, reviewer, **options):
        try:
            task = Task.objects.filter(snippet_id=snippet).order_by("slot").first()
        except ValidationError:
            raise CommandError(f"snippet: {snippet!r} is not a snippet id") from None
        if task is None:
            raise CommandError(f"snippet: no review task for snippet {snippet}")
        reviewers = get_user_model().objects.filter(role="reviewer").select_related("site").order_by("username")
        if reviewer:
            reviewers = reviewers.filter(username__in=reviewer)
            missing = set(reviewer) - set(reviewers.values_list("username", flat=True))
            if missing:
                raise CommandError(f"--reviewer: no reviewer named {', '.join(sorted(missing))}")
        record(Actor(name="cli", role="operator"), "eligibility.explain", object_type="snippet",
               object_id=task.snippet_id, purpose="oversight")
        for who, decision in policy.explain(task, reviewers, timezone.now()):
            site = f"{who.site.name} ({who.site.country})" if who.site else "no site"
            if decision.allowed:
                self.stdout.write(f"{who.username}\t{site}\tallowed")
            else:
                self.stdout.write(f"{who.username}\t{site}\trefused: " + "; ".join(decision.reasons))
