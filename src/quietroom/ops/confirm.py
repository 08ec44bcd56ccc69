"""Confirmation before a command destroys something for good (`quietroom privacy erase`).

At a terminal the operator types "yes". Anywhere else (a script, cron, a pipe) nobody can type
it, so the command refuses unless `--yes` was given: a destructive run is always a decision,
never the side effect of a command line pasted into a script.
"""
from __future__ import annotations

from django.core.management.base import CommandError


def confirm_or_refuse(command: str, consequence: str, *, stdin, stdout, yes: bool) -> None:
    """Return if confirmed (`--yes`, or "yes" typed at a terminal); else raise CommandError.

    `consequence` says what will be destroyed, for the person deciding ("this customer's key is
    destroyed ..."); it names no customer id, which would then sit in a terminal's scroll-back.
    """
    if yes:
        return
    if not (hasattr(stdin, "isatty") and stdin.isatty()):
        raise CommandError(
            f"{command}: {consequence}. Refused without confirmation: standard input is not a terminal, "
            f"so nobody can type yes. Give --yes to confirm (in a script, for example)."
        )
    stdout.write(f"{command}: {consequence}. This cannot be undone.\nType yes to go on: ", ending="")
    stdout.flush()
    answer = stdin.readline()
    if answer.strip().lower() != "yes":
        raise CommandError(f"{command}: not confirmed (the answer was not 'yes'); nothing was changed")
