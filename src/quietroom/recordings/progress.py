"""How far an ingestion batch has come through the pipeline (for the UI and the CLI)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Q

from .models import IngestBatch

SHORT_ID = 8  # characters of a batch id shown (and enough to name it on the command line)


class BatchNotFound(LookupError):
    """No batch, or several, answer to the id given; the message says which and what to do."""


@dataclass(frozen=True)
class BatchProgress:
    batch_id: str
    manifest: str
    accepted: int
    processed: int
    discarded: int
    failed: int
    created_at: datetime | None = None
    rejected: int = 0
    unchanged: int = 0
    controller: str = ""
    label: str = ""
    finished_at: datetime | None = None

    @property
    def short_id(self) -> str:
        return self.batch_id[:SHORT_ID]

    @property
    def name(self) -> str:
        """What people call the batch: its label, else its manifest's name and short id (every
        demo manifest is called manifest.csv)."""
        return self.label or f"{self.manifest} ({self.short_id})"

    @property
    def finished(self) -> int:
        return self.processed + self.discarded + self.failed

    @property
    def waiting(self) -> int:
        return self.accepted - self.finished

    @property
    def done(self) -> bool:
        return self.waiting == 0

    def bar(self, width: int = 30) -> str:
        filled = int(width * self.finished / self.accepted) if self.accepted else width
        return (f"[{'#' * filled}{'.' * (width - filled)}] {self.finished}/{self.accepted} "
                f"(processed {self.processed}, discarded {self.discarded}, failed {self.failed})")

    def line(self) -> str:
        """One line for the CLI: short id, name, controller, dates, row counts, then the bar."""
        received = f"{self.created_at:%Y-%m-%d %H:%M} UTC" if self.created_at else "?"
        finished = f"finished {self.finished_at:%Y-%m-%d %H:%M} UTC" if self.finished_at else "not finished"
        return (f"{self.short_id} {self.name} [{self.controller or 'no controller'}] received {received}, {finished}: "
                f"rows accepted {self.accepted}, rejected {self.rejected}, unchanged {self.unchanged}; "
                f"pipeline {self.bar()}")


def batch_progress(batches) -> list[BatchProgress]:
    """Progress of each batch, in one query."""
    rows = batches.annotate(
        n_accepted=Count("recordings"),
        n_processed=Count("recordings", filter=Q(recordings__status="processed")),
        n_discarded=Count("recordings", filter=Q(recordings__status="discarded")),
        n_failed=Count("recordings", filter=Q(recordings__status="failed")),
    ).select_related("controller").order_by("-created_at")
    return [
        BatchProgress(str(b.id), b.manifest_name, b.n_accepted, b.n_processed, b.n_discarded, b.n_failed,
                      created_at=b.created_at, rejected=b.rejected, unchanged=b.unchanged,
                      controller=b.controller.name if b.controller else "", label=b.label,
                      finished_at=b.finished_at)
        for b in rows
    ]


def find_batch(batches, given: str):
    """The one batch of `batches` whose id is `given` or starts with it (at least 4 characters)."""
    wanted = given.strip().lower()
    if not re.fullmatch(r"[0-9a-f-]{4,36}", wanted):
        raise BatchNotFound(f"{given!r} is not a batch id: give the id (or its first {SHORT_ID} characters) "
                            "that batch_status or the ingest report printed")
    matches = [b for b in batches.only("id") if str(b.id).startswith(wanted) or b.id.hex.startswith(wanted)]
    if not matches:
        raise BatchNotFound(f"no batch id starts with {given!r} (quietroom batch_status lists the recent ones)")
    if len(matches) > 1:
        shown = ", ".join(str(b.id)[:SHORT_ID + 4] for b in matches[:5])
        raise BatchNotFound(f"{given!r} matches {len(matches)} batches ({shown}...): give more characters")
    return batches.filter(pk=matches[0].pk)


def batches_of_controller(controller_id: int):
    return IngestBatch.objects.filter(controller_id=controller_id)


@dataclass(frozen=True)
class FinishedRecording:
    recording_id: str  # the product's own id (unique within a batch: a batch has one controller)
    status: str
    snippets: int


def finished_recordings(batch_id: str, already: set[str]) -> tuple[list[FinishedRecording], int]:
    """(the batch's recordings the pipeline has finished whose ids are not in `already`, how
    many still wait): what `ingest --wait` reports as workers finish them."""
    from .models import Recording

    recordings = Recording.objects.filter(batch_id=batch_id)
    finished = (recordings.exclude(status=Recording.Status.RECEIVED).exclude(external_id__in=list(already))
                .annotate(n_snippets=Count("snippets")).order_by("received_at", "external_id"))
    return ([FinishedRecording(r.external_id, r.status, r.n_snippets) for r in finished],
            recordings.filter(status=Recording.Status.RECEIVED).count())
