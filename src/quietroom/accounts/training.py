"""The in-app privacy training and its quiz.

Passing (every answer right) records the `training` vetting item for a year. The questions
are the rules a reviewer must live by; a wrong answer names how many were wrong, not which,
so the quiz cannot be passed by toggling one answer at a time without reading.
"""
from __future__ import annotations

from datetime import datetime

from django import forms

from . import vetting

PASS_VALIDITY = vetting.DEFAULT_VALIDITY["training"]

QUESTIONS = (
    ("share", "A colleague asks to use your account for an hour while theirs is being fixed. You:",
     (("a", "Let them, if your manager agrees"), ("b", "Refuse: an account is one person, always"),
      ("c", "Let them, but stay next to them")), "b"),
    ("home", "You want to finish your work from home tonight. You:",
     (("a", "Work only from your assigned site, unless your vendor has approved remote work"),
      ("b", "Use a VPN from home"), ("c", "Download the snippets to listen later")), "a"),
    ("recognise", "You recognise the voice or hear a name or address in a snippet. You:",
     (("a", "Write it in the transcript exactly"), ("b", "Tell your team about it"),
      ("c", "Never repeat it; flag the snippet through the app's escalation path")), "c"),
    ("copy", "Copying, recording or writing down what you hear outside the app is:",
     (("a", "Fine for quality notes"), ("b", "Never allowed"), ("c", "Allowed with a manager's OK")), "b"),
)


class QuizForm(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for key, question, choices, _ in QUESTIONS:
            self.fields[key] = forms.ChoiceField(label=question, choices=choices, widget=forms.RadioSelect)

    def wrong_count(self) -> int:
        return sum(1 for key, _q, _c, right in QUESTIONS if self.cleaned_data.get(key) != right)


def record_pass(user, now: datetime) -> None:
    vetting.record(user, "training", performed_by="in-app quiz", performed_on=now.date(),
                   valid_until=now + PASS_VALIDITY, recorded_by=user,
                   details={"questions": len(QUESTIONS), "score": len(QUESTIONS)})
