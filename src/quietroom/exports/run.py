"""Creating an export (what it holds, recorded) and rendering it (through the gate).

`plan_export` chooses the snippets and records the Export with its ExportCustomer rows without
decrypting anything; `render_export` reads exactly those snippets through the gate (minus any
erased since) and writes the chosen format to a sink. The command line does both at once; the
API plans on POST and renders on each download.
"""
from __future__ import annotations

from collections import Counter

from django.db import transaction

from quietroom.audit.log import Actor, record

from .collect import ExportFilters, read_items, select_submissions
from .formats import FORMATS, WRITERS
from .models import Export, ExportCustomer


class ExportError(ValueError):
    pass


def plan_export(fmt: str, actor: Actor, *, controller=None, filters: ExportFilters | None = None,
                with_audio: bool = False) -> Export:
    if fmt not in FORMATS:
        raise ExportError(f"unknown export format {fmt!r} (use one of {', '.join(FORMATS)})")
    filters = filters or ExportFilters()
    chosen = select_submissions(filters, controller=controller)
    per_customer = Counter(sub.task.snippet.recording.customer_key.pseudonym for sub in chosen)
    with transaction.atomic():
        export = Export.objects.create(
            format=fmt, created_by=actor.name[:150], controller=controller, filters=filters.as_dict(),
            with_audio=with_audio, item_count=len(chosen),
            snippet_ids=[str(sub.task.snippet_id) for sub in chosen],
        )
        ExportCustomer.objects.bulk_create(
            [ExportCustomer(export=export, customer_pseudonym=c, items=n) for c, n in per_customer.items()]
        )
        record(actor, "export", object_type="export", object_id=export.id, details={
            "format": fmt, "items": export.item_count, "customers": len(per_customer),
            "with_audio": with_audio, "filters": export.filters,
        })
    return export


def render_export(export: Export, sink, actor: Actor, *, purpose: str = "export") -> int:
    """Write the export's items to the sink; returns how many were written."""
    chosen = select_submissions(ExportFilters.from_dict(export.filters), controller=export.controller,
                                snippet_ids=export.snippet_ids)
    items = read_items(actor, chosen, with_audio=export.with_audio, purpose=purpose)
    return WRITERS[export.format](items, sink, with_audio=export.with_audio, export_id=str(export.id))


def export_now(fmt: str, sink, actor: Actor, *, controller=None, filters: ExportFilters | None = None,
               with_audio: bool = False) -> Export:
    """Plan and render at once (command line): the record matches exactly what was written."""
    export = plan_export(fmt, actor, controller=controller, filters=filters, with_audio=with_audio)
    written: Counter[str] = Counter()
    chosen = select_submissions(ExportFilters.from_dict(export.filters), controller=controller,
                                snippet_ids=export.snippet_ids)

    def counted():
        for item in read_items(actor, chosen, with_audio=with_audio):
            written[item.customer_pseudonym] += 1
            yield item

    WRITERS[fmt](counted(), sink, with_audio=with_audio, export_id=str(export.id))
    if sum(written.values()) != export.item_count:
        # Something was erased between choosing and reading: the record shows what was written.
        with transaction.atomic():
            ExportCustomer.objects.filter(export=export).exclude(customer_pseudonym__in=list(written)).delete()
            for pseudonym, n in written.items():
                ExportCustomer.objects.filter(export=export, customer_pseudonym=pseudonym).update(items=n)
            export.item_count = sum(written.values())
            export.save(update_fields=["item_count"])
    return export
