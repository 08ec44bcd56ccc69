"""How far an ingestion batch has come through the pipeline (for the UI and the CLI)."""
from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q

from .models import IngestBatch


@dataclass(frozen=True)
class BatchProgress:
    batch_id: str
    manifest: str
    accepted: int
    processed: int
    discarded: int
    failed: int

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


def batch_progress(batches) -> list[BatchProgress]:
    """Progress of each batch, in one query."""
    rows = batches.annotate(
        n_accepted=Count("recordings"),
        n_processed=Count("recordings", filter=Q(recordings__status="processed")),
        n_discarded=Count("recordings", filter=Q(recordings__status="discarded")),
        n_failed=Count("recordings", filter=Q(recordings__status="failed")),
    ).order_by("-created_at")
    return [
        BatchProgress(str(b.id), b.manifest_name, b.n_accepted, b.n_processed, b.n_discarded, b.n_failed)
        for b in rows
    ]


def batches_of_controller(controller_id: int):
    return IngestBatch.objects.filter(recordings__controller_id=controller_id).distinct()
