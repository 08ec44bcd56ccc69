"""The parts of the task page that never depend on the request, rendered once per process.

The shortcut list, the speed and skip-reason options and the label fields of a snippet with no
labels yet (every page without a draft or a refused form) are the same on every page: rendering
them on every request was most of the page's template time (bench/review_http.py --profile).
They are still templates (`review/_*.html`), rendered by Django with autoescaping; a deploy
restarts the processes, which renders them again.
"""
from __future__ import annotations

import functools

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from . import labels as label_choices
from .models import Skip

SHORTCUTS = (
    ("Ctrl+Space", "play / pause"),
    ("Alt+←", "back 2 s"),
    ("← / → on the waveform", "1 s back / forward (Home / End: start / end)"),
    ("Alt+↓ / Alt+↑", "slower / faster (0.5×–2×)"),
    ("Alt+M", "mark personal data: start, then end (or drag on the waveform)"),
    ("Alt+I / Alt+A", "intended for the device / accidental activation"),
    ("Alt+L", "other language"),
    ("Alt+Q", "audio quality (cycles)"),
    ("Alt+X", "sensitive content"),
    ("Alt+S", "skip (choose a reason, then Ctrl+Enter)"),
    ("Ctrl+Enter", "submit"),
)
SPEEDS = ("0.5", "0.75", "1", "1.25", "1.5", "1.75", "2")  # room.js steps by 0.25 between these
LABEL_CHOICES = {"activation": label_choices.ACTIVATION, "domain": label_choices.DOMAINS,
                 "quality": label_choices.QUALITY, "sensitive": label_choices.SENSITIVE}


def _render(template: str, context: dict) -> SafeString:
    return mark_safe(render_to_string(template, context).strip())  # noqa: S308 (our own template, autoescaped)


@functools.cache
def fixed() -> dict:
    """The request-independent pieces of the task page."""
    reasons = {"skip_reasons": Skip.Reason.choices}
    return {
        "shortcuts": _render("review/_shortcuts.html", {"shortcuts": SHORTCUTS}),
        "speed_options": _render("review/_speed_options.html", {"speeds": SPEEDS}),
        "skip_options": _render("review/_skip_options.html", {**reasons, "care_warning": None}),
        "skip_options_warned": _render("review/_skip_options.html", {**reasons, "care_warning": True}),
        "guidelines_link": reverse("review:guidelines"),
        "support_link": reverse("escalation:support"),
    }


@functools.cache
def blank_labels() -> SafeString:
    """The label fields of a task page with nothing chosen yet and no note (most pages)."""
    return _render("review/_labels.html", {"choices": LABEL_CHOICES, "labels": {}, "spans_editable": True,
                                           "pii_spans_json": "[]", "sensitive_note": ""})
