"""Access report as HTML and PDF (the JSON is the report itself)."""
from __future__ import annotations

import json

from django.template.loader import render_to_string

COLUMNS = [("time", "Time (UTC)"), ("action", "Access"), ("purpose", "Purpose"), ("vendor", "Vendor"),
           ("site", "Site"), ("country", "Country"), ("reviewer", "Reviewer (pseudonym)"), ("outcome", "Outcome")]


def as_json(report: dict) -> str:
    return json.dumps(report, indent=1, ensure_ascii=False) + "\n"


def as_html(report: dict) -> str:
    rows = [[access.get(key, "") for key, _ in COLUMNS] for access in report["accesses"]]
    return render_to_string("privacy/access_report.html", {"report": report, "columns": [t for _, t in COLUMNS], "rows": rows})


def _latin1(value) -> str:
    return str(value).encode("latin-1", "replace").decode("latin-1")


def as_pdf(report: dict) -> bytes:
    from fpdf import FPDF

    pdf = FPDF(orientation="L", format="A4")
    pdf.set_auto_page_break(True, margin=12)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 14)
    pdf.cell(0, 8, "Who heard my voice - access report", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=9)
    for line in (f"Controller: {report['controller']}", f"Customer (pseudonym): {report['customer']}",
                 f"Generated: {report['generated_at']}", f"Accesses: {report['access_count']}",
                 f"Signed audit checkpoint: tree size {report['checkpoint']['size']}",
                 "Each access is proven in the signed audit log; the JSON edition carries the proofs."):
        pdf.cell(0, 5, _latin1(line), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    widths = [48, 30, 30, 36, 30, 16, 44, 20]
    pdf.set_font("Helvetica", "B", 8)
    for (_, title), width in zip(COLUMNS, widths):
        pdf.cell(width, 6, title, border=1)
    pdf.ln()
    pdf.set_font("Helvetica", size=8)
    for access in report["accesses"]:
        for (key, _), width in zip(COLUMNS, widths):
            pdf.cell(width, 5, _latin1(access.get(key, ""))[:40], border=1)
        pdf.ln()
    if not report["accesses"]:
        pdf.cell(0, 6, "No access to this customer's recordings is recorded.", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
