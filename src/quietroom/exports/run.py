"""Creating an export (what it holds, recorded) and rendering it (through the gate).

`plan_export` chooses the snippets and records the Export with its ExportCustomer rows and its
held-back counts without decrypting anything; `render_export` reads exactly those snippets
through the gate (minus any that may no longer leave: flagged, held, withdrawn or erased since)
and writes the chosen format to a sink. The command line does both at once; the API plans on
POST and renders on each download. QuietRoom keeps no rendered copy: every download is made
afresh from the database, so a later flag or erasure reaches it.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Callable

from django.db import transaction

from quietroom.audit.log import Actor, record
from quietroom.privacy import outbound

from .collect import ExportFilters, read_items, select_submissions
from .formats import FORMATS, WRITERS
from .models import Export, ExportCustomer


class ExportError(ValueError):
    pass


@dataclass
class Rendering:
    """What one rendering wrote: items, per customer and which snippets; what it held back."""

    items: int = 0
    per_customer: Counter = field(default_factory=Counter)
    snippet_ids: list = field(default_factory=list)
    held_back: dict = field(default_factory=outbound.counts)


def plan_export(fmt: str, actor: Actor, *, controller=None, filters: ExportFilters | None = None,
                with_audio: bool = False) -> Export:
    if fmt not in FORMATS:
        raise ExportError(f"unknown export format {fmt!r} (use one of {', '.join(FORMATS)})")
    filters = filters or ExportFilters()
    selection = select_submissions(filters, controller=controller)
    chosen = selection.submissions
    per_customer = Counter(sub.task.snippet.recording.customer_key.pseudonym for sub in chosen)
    with transaction.atomic():
        export = Export.objects.create(
            format=fmt, created_by=actor.name[:150], controller=controller, filters=filters.as_dict(),
            with_audio=with_audio, item_count=len(chosen), held_back=selection.held_back,
            snippet_ids=[str(sub.task.snippet_id) for sub in chosen],
        )
        ExportCustomer.objects.bulk_create(
            [ExportCustomer(export=export, customer_pseudonym=c, items=n) for c, n in per_customer.items()]
        )
        record(actor, "export", object_type="export", object_id=export.id, details={
            "format": fmt, "items": export.item_count, "customers": len(per_customer),
            "with_audio": with_audio, "filters": export.filters, "held_back": selection.held_back,
        })
    return export


# Called with (items read so far, items planned) as each item is read through the gate.
ExportProgress = Callable[[int, int], None]


def _render(export: Export, sink, actor: Actor, purpose: str, progress: ExportProgress | None = None) -> Rendering:
    """Write the export's recorded snippets that may still leave; count the rest by reason."""
    selection = select_submissions(ExportFilters.from_dict(export.filters), controller=export.controller,
                                   snippet_ids=export.snippet_ids)
    held_back = Counter(selection.held_back)
    rendering = Rendering()

    def counted():
        for item in read_items(actor, selection.submissions, with_audio=export.with_audio, purpose=purpose,
                               held_back=held_back):
            rendering.per_customer[item.customer_pseudonym] += 1
            rendering.snippet_ids.append(item.snippet_id)
            if progress is not None:
                progress(len(rendering.snippet_ids), export.item_count)
            yield item

    WRITERS[export.format](counted(), sink, with_audio=export.with_audio, export_id=str(export.id))
    rendering.items = len(rendering.snippet_ids)
    # Held back when the export was made, plus those of its own items held back since.
    rendering.held_back = outbound.add(export.held_back, held_back)
    return rendering


def render_export(export: Export, sink, actor: Actor, *, purpose: str = "export") -> Rendering:
    """Write the export's items to the sink (a download); audited with what was held back."""
    rendering = _render(export, sink, actor, purpose)
    record(actor, "export.render", object_type="export", object_id=export.id, purpose=purpose,
           details={"items": rendering.items, "held_back": rendering.held_back})
    return rendering


def export_now(fmt: str, sink, actor: Actor, *, controller=None, filters: ExportFilters | None = None,
               with_audio: bool = False, progress: ExportProgress | None = None) -> Export:
    """Plan and render at once (command line): the record matches exactly what was written."""
    export = plan_export(fmt, actor, controller=controller, filters=filters, with_audio=with_audio)
    rendering = _render(export, sink, actor, "export", progress)
    if rendering.items != export.item_count:
        # Held back between choosing and reading (a flag, an erasure): record what was written.
        with transaction.atomic():
            ExportCustomer.objects.filter(export=export).exclude(
                customer_pseudonym__in=list(rendering.per_customer)).delete()
            for pseudonym, n in rendering.per_customer.items():
                ExportCustomer.objects.filter(export=export, customer_pseudonym=pseudonym).update(items=n)
            export.item_count, export.snippet_ids = rendering.items, rendering.snippet_ids
            export.held_back = rendering.held_back
            export.save(update_fields=["item_count", "snippet_ids", "held_back"])
    return export
