"""Transparency report for a period, from the audit log and the erasure requests.

- customers sampled: customers with a recording received in the period, and the share of
  them that had at least one snippet reviewed (a transcript submitted);
- snippets reviewed (accepted submissions) per locale, vendor and country;
- escalations by category and outcome: audit actions `escalation.*` (and `snippet.escalate`);
- erasures completed; refused accesses by reason (audit outcome "denied").
HTML with server-side SVG bar charts (no script, no inline style) and CSV.
"""
from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from django.template.loader import render_to_string
from django.utils.html import escape

from quietroom.audit.models import AuditEvent
from quietroom.recordings.models import Recording, Snippet

from .models import ErasureRequest


@dataclass
class Transparency:
    start: datetime
    end: datetime
    customers_received: int = 0
    customers_reviewed: int = 0
    reviewed_by_locale: Counter = field(default_factory=Counter)
    reviewed_by_vendor: Counter = field(default_factory=Counter)
    reviewed_by_country: Counter = field(default_factory=Counter)
    escalations: Counter = field(default_factory=Counter)  # (category, "flagged" or decision)
    decision_seconds: list = field(default_factory=list)  # time from flag to confirmed decision
    erasures: int = 0
    refusals: Counter = field(default_factory=Counter)

    @property
    def share_reviewed(self) -> float:
        return self.customers_reviewed / self.customers_received if self.customers_received else 0.0


def build(start: datetime, end: datetime, controller=None) -> Transparency:
    """The report for a period; with `controller`, only that controller's customers' events
    (what the API gives a controller's service account: never another controller's figures)."""
    report = Transparency(start, end)
    period = AuditEvent.objects.filter(at__gte=start, at__lt=end, pruned_at__isnull=True)
    received = Recording.objects.filter(received_at__gte=start, received_at__lt=end)
    erasures = ErasureRequest.objects.filter(completed_at__gte=start, completed_at__lt=end)
    if controller is not None:
        pseudonyms = Recording.objects.filter(controller=controller).values("customer_key__pseudonym")
        period = period.filter(customer__in=pseudonyms)
        received = received.filter(controller=controller)
        erasures = erasures.filter(controller=controller)
    report.customers_received = received.values("customer_key").distinct().count()
    submits = list(period.filter(action="transcript.submit", outcome="ok")
                   .values_list("object_id", "organisation", "country", "customer"))
    locales = dict(Snippet.objects.filter(pk__in=[s[0] for s in submits if _is_uuid(s[0])]).values_list("pk", "locale"))
    locales = {str(k): v for k, v in locales.items()}
    for snippet_id, vendor, country, _customer in submits:
        report.reviewed_by_locale[locales.get(snippet_id, "erased")] += 1
        report.reviewed_by_vendor[vendor or "-"] += 1
        report.reviewed_by_country[country or "-"] += 1
    report.customers_reviewed = len({s[3] for s in submits if s[3]})
    # Each case counts once when flagged and once per confirmed decision (escalation app's
    # audit vocabulary: docs/escalation.md); proposals, reads and reminders are not counted.
    flagged = period.filter(action="escalation.created").values_list("details", flat=True)
    for details in flagged:
        report.escalations[(str((details or {}).get("category") or "uncategorised"), "flagged")] += 1
    decided = period.filter(action="escalation.decision.confirmed", outcome="ok").values_list("details", flat=True)
    for details in decided:
        details = details or {}
        report.escalations[(str(details.get("category") or "uncategorised"), str(details.get("decision") or "decided"))] += 1
        if isinstance(details.get("seconds_to_decision"), (int, float)):
            report.decision_seconds.append(float(details["seconds_to_decision"]))
    report.erasures = erasures.count()
    for details, action in period.filter(outcome="denied").values_list("details", "action"):
        reasons = (details or {}).get("reasons") or [(details or {}).get("reason") or action]
        for reason in reasons:
            report.refusals[str(reason)] += 1
    return report


def _is_uuid(value: str) -> bool:
    return len(value) == 36 and value.count("-") == 4


def rows(report: Transparency) -> list[tuple[str, str, int | float]]:
    out: list[tuple[str, str, int | float]] = [
        ("customers", "with recordings received", report.customers_received),
        ("customers", "with a snippet reviewed", report.customers_reviewed),
        ("customers", "share reviewed", round(report.share_reviewed, 4)),
        ("erasures", "completed", report.erasures),
    ]
    out += [("reviewed_by_locale", k, v) for k, v in sorted(report.reviewed_by_locale.items())]
    out += [("reviewed_by_vendor", k, v) for k, v in sorted(report.reviewed_by_vendor.items())]
    out += [("reviewed_by_country", k, v) for k, v in sorted(report.reviewed_by_country.items())]
    out += [("escalations", f"{c} / {o}", v) for (c, o), v in sorted(report.escalations.items())]
    if report.decision_seconds:
        ordered = sorted(report.decision_seconds)
        out.append(("escalations", "median hours to decision", round(ordered[len(ordered) // 2] / 3600, 2)))
    out += [("refused_accesses", k, v) for k, v in sorted(report.refusals.items())]
    return out


def as_csv(report: Transparency) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["period_start", "period_end", "section", "item", "value"])
    for section, item, value in rows(report):
        writer.writerow([report.start.isoformat(), report.end.isoformat(), section, item, value])
    return buffer.getvalue()


def bar_chart(title: str, counts: Counter) -> str:
    """A horizontal bar chart as SVG markup (attributes only: CSP forbids inline style)."""
    items = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:20]
    if not items:
        return f'<p>{escape(title)}: none in this period.</p>'
    top = max(v for _, v in items) or 1
    bar_h, label_w, width = 18, 220, 640
    height = bar_h * len(items) + 30
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}"><title>{escape(title)}</title>',
             f'<text x="0" y="14" font-size="13" font-weight="bold">{escape(title)}</text>']
    for i, (label, value) in enumerate(items):
        y = 22 + i * bar_h
        w = int((width - label_w - 60) * value / top)
        parts.append(f'<text x="0" y="{y + 12}" font-size="11">{escape(str(label)[:32])}</text>')
        parts.append(f'<rect x="{label_w}" y="{y}" width="{max(w, 1)}" height="{bar_h - 4}" fill="#4a6fa5"/>')
        parts.append(f'<text x="{label_w + w + 4}" y="{y + 12}" font-size="11">{value}</text>')
    parts.append("</svg>")
    return "".join(parts)


def as_html(report: Transparency) -> str:
    charts = [
        bar_chart("Snippets reviewed per locale", report.reviewed_by_locale),
        bar_chart("Snippets reviewed per vendor", report.reviewed_by_vendor),
        bar_chart("Snippets reviewed per country", report.reviewed_by_country),
        bar_chart("Escalations by category / outcome", Counter({f"{c} / {o}": v for (c, o), v in report.escalations.items()})),
        bar_chart("Refused accesses by reason", report.refusals),
    ]
    return render_to_string("privacy/transparency.html", {"report": report, "rows": rows(report), "charts": charts})
