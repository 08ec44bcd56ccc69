"""Access report as HTML and PDF (the JSON is the report itself).

Every edition leads with the report's signed finding (never received / received / received and
erased, and how many accesses), and words each access as docs/audit.md does (`audit.actions`).
"""
from __future__ import annotations

import json

from django.template.loader import render_to_string

from quietroom.audit import actions

from .offline import ERASED, NEVER_RECEIVED, RECEIVED

COLUMNS = [("time", "Time (UTC)"), ("access", "Access"), ("purpose", "Purpose"), ("vendor", "Vendor"),
           ("site", "Site"), ("country", "Country"), ("reviewer", "Reviewer (pseudonym)"), ("outcome", "Outcome")]

STATUS_TITLES = {
    NEVER_RECEIVED: "Never received: no recording of this customer id reached QuietRoom",
    RECEIVED: "Received: recordings of this customer reached QuietRoom",
    ERASED: "Received, later erased",
}


def as_json(report: dict) -> str:
    return json.dumps(report, indent=1, ensure_ascii=False) + "\n"


def access_label(access: dict) -> str:
    """"Play (+2 further requests)": the action as the report's legend words it."""
    text = actions.label(access.get("action", ""))
    further = len(access.get("continuations") or [])
    if further:
        text += f" (+{further} further request{'s' if further != 1 else ''})"
    return text


def status_title(report: dict) -> str:
    return STATUS_TITLES.get((report.get("recordings") or {}).get("status"), "")


def legend(report: dict) -> list[tuple[str, str, str]]:
    """(label, action, meaning) for each kind of access the report shows, in the docs' order."""
    shown = {a.get("action") for a in report["accesses"]}
    shown |= {c.get("action") for a in report["accesses"] for c in a.get("continuations") or []}
    return [(read.label, read.action, read.meaning) for read in actions.CONTENT_READS.values() if read.action in shown]


def cell(access: dict, key: str) -> str:
    return access_label(access) if key == "access" else access.get(key, "")


def context(report: dict) -> dict:
    """What the HTML edition and the officer's answer page show."""
    return {
        "report": report, "status_title": status_title(report), "legend": legend(report),
        "never_received": (report.get("recordings") or {}).get("status") == NEVER_RECEIVED,
        "columns": [title for _, title in COLUMNS],
        "rows": [[cell(access, key) for key, _ in COLUMNS] for access in report["accesses"]],
    }


def as_html(report: dict) -> str:
    return render_to_string("privacy/access_report.html", context(report))


def _latin1(value) -> str:
    return str(value).encode("latin-1", "replace").decode("latin-1")


def as_pdf(report: dict) -> bytes:
    from fpdf import FPDF

    pdf = FPDF(orientation="L", format="A4")
    pdf.set_auto_page_break(True, margin=12)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 14)
    pdf.cell(0, 8, "Who heard my voice - access report", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "B", 10)
    pdf.cell(0, 6, _latin1(status_title(report)), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=9)
    pdf.multi_cell(0, 5, _latin1(report.get("finding", "")), new_x="LMARGIN", new_y="NEXT")
    for line in (f"Controller: {report['controller']}", f"Customer (pseudonym): {report['customer']}",
                 f"Generated: {report['generated_at']}", f"Accesses: {report['access_count']}",
                 f"Signed audit checkpoint: tree size {report['checkpoint']['size']}",
                 "Each access is proven in the signed audit log; the JSON edition carries the proofs."):
        pdf.cell(0, 5, _latin1(line), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    widths = [48, 44, 28, 32, 28, 16, 40, 20]
    pdf.set_font("Helvetica", "B", 8)
    for (_, title), width in zip(COLUMNS, widths):
        pdf.cell(width, 6, title, border=1)
    pdf.ln()
    pdf.set_font("Helvetica", size=8)
    for access in report["accesses"]:
        for (key, _), width in zip(COLUMNS, widths):
            pdf.cell(width, 5, _latin1(cell(access, key))[:40], border=1)
        pdf.ln()
    if not report["accesses"]:
        pdf.cell(0, 6, "No access is listed.", new_x="LMARGIN", new_y="NEXT")
    if legend(report):
        pdf.ln(3)
        pdf.set_font("Helvetica", "B", 9)
        pdf.cell(0, 6, "What each access means", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", size=8)
        for label, action, meaning in legend(report):
            pdf.multi_cell(0, 4, _latin1(f"{label} ({action}): {meaning}"), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
