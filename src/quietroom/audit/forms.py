"""The audit log's filters as GET parameters: each bad value gets a sentence naming the field
and the reason, shown on the page (never a 500, never silently ignored)."""
from __future__ import annotations

import datetime as dt
import re

from django import forms
from django.utils import timezone

from .browse import OUTCOMES, Filters

# Actions are dotted words ("snippet.play", "escalation.decision.confirmed"); a trailing "*" or
# "." asks for every action starting with what comes before it.
ACTION = re.compile(r"[A-Za-z0-9_.:\-]+\*?")
DATE_FORMAT = "%Y-%m-%d"


class LogFilterForm(forms.Form):
    action = forms.CharField(required=False, max_length=65)
    actor = forms.CharField(required=False, max_length=32, label="Actor pseudonym")
    object_type = forms.CharField(required=False, max_length=32)
    object_id = forms.CharField(required=False, max_length=64)
    outcome = forms.CharField(required=False)
    date_from = forms.DateField(required=False, input_formats=[DATE_FORMAT], label="From")
    date_to = forms.DateField(required=False, input_formats=[DATE_FORMAT], label="To")
    # Keyset cursors (the "newer" and "older" links), not shown as fields.
    before = forms.IntegerField(required=False, min_value=1, max_value=2**62, label="Before entry")
    after = forms.IntegerField(required=False, min_value=0, max_value=2**62, label="After entry")

    def __init__(self, data=None, **kwargs):
        super().__init__(data, **kwargs)
        for name in ("date_from", "date_to"):
            self.fields[name].error_messages["invalid"] = "not a date: write it as YYYY-MM-DD (for example 2025-03-01)"
        for name in ("before", "after"):
            self.fields[name].error_messages["invalid"] = "not an entry number"

    def clean_action(self):
        value = self.cleaned_data["action"].strip()
        if value and not ACTION.fullmatch(value):
            raise forms.ValidationError(
                "use letters, digits and . _ : - only, with an optional * at the end for a prefix "
                "(for example escalation.*)")
        return value

    def clean_outcome(self):
        value = self.cleaned_data["outcome"].strip()
        if value and value not in OUTCOMES:
            raise forms.ValidationError(f"unknown outcome {value!r}: choose one of {', '.join(OUTCOMES)}")
        return value

    def clean(self):
        data = super().clean()
        if data.get("object_id") and not data.get("object_type"):
            self.add_error("object_id", "give the object type too (for example snippet)")
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", f"{end:%Y-%m-%d} is before the From date {start:%Y-%m-%d}")
        if data.get("before") is not None and data.get("after") is not None:
            self.add_error(None, "a page is either before or after an entry, not both")
        return data

    def problems(self) -> list[str]:
        """One sentence per bad field: "From: not a date: ..."."""
        out = []
        for name, errors in self.errors.items():
            field = self.fields.get(name)
            label = (field.label or name.replace("_", " ").capitalize()) if field else ""
            out += [f"{label}: {e}" if label else str(e) for e in errors]
        return out

    def filters(self) -> Filters:
        """The filters (call after is_valid()). Dates are whole days in the site's time zone,
        both ends included."""
        data = self.cleaned_data
        action = data["action"]
        prefix = ""
        if action.endswith("*") or action.endswith("."):
            prefix, action = action.rstrip("*"), ""
        return Filters(
            action=action, action_prefix=prefix, actor=data["actor"].strip(),
            object_type=data["object_type"].strip(), object_id=data["object_id"].strip(), outcome=data["outcome"],
            since=_start_of(data["date_from"]),
            until=_start_of(data["date_to"] + dt.timedelta(days=1)) if data["date_to"] and data["date_to"] < dt.date.max else None,
        )


def _start_of(day: dt.date | None) -> dt.datetime | None:
    if day is None:
        return None
    return dt.datetime.combine(day, dt.time.min, tzinfo=timezone.get_current_timezone())
