"""Request and response bodies of the public API (the OpenAPI schema is generated from these)."""
from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from ninja import Schema
from pydantic import Field

ImportFormat = Literal["quietroom", "commonvoice", "audiofolder", "labelstudio"]
ExportFormat = Literal["jsonl", "nemo", "kaldi", "hf", "labelstudio"]


class ErrorOut(Schema):
    detail: str


class ValidationErrorOut(Schema):
    detail: list[dict]


class ImportOptionsIn(Schema):
    format: ImportFormat
    consent_basis: str = Field("", max_length=300, description="why these recordings may be processed; required for "
                               "formats without per-row consent (commonvoice, audiofolder, labelstudio)")
    locale: str = Field("", max_length=16, description="default locale, e.g. en-GB")
    region: str = Field("", max_length=8, description="customers' region: ISO country code or EU")
    recording_source: Literal["assistant", "call"] = "assistant"
    customer_column: str = Field("customer_id", max_length=100)
    id_column: str = Field("", max_length=100)
    label: str = Field("", max_length=100, description="a name for the batch (default: manifest name and short id)")


class BatchCreateIn(ImportOptionsIn):
    source_root: str = Field(..., max_length=100, description="label of a configured source root (QUIETROOM_SOURCE_ROOTS)")
    manifest_path: str = Field(..., max_length=500, description="manifest path relative to the source root")


class RowOut(Schema):
    line: int
    recording_id: str
    status: Literal["accepted", "rejected", "unchanged"]
    reason: str


class BatchOut(Schema):
    id: UUID
    batch_id: UUID | None
    format: str
    manifest_name: str
    source: str
    consent_basis: str
    created_at: datetime
    status: str
    accepted: int
    rejected: int
    unchanged: int
    recordings_processed: int
    label: str = Field("", description="the batch's name given at import (empty: none given)")
    finished_at: datetime | None = Field(None, description="when the pipeline finished the batch's last recording")


class BatchDetailOut(BatchOut):
    rows: list[RowOut]


class ExportFiltersIn(Schema):
    date_from: date | None = None
    date_to: date | None = None
    locale: str | None = Field(None, max_length=16)
    min_agreement: float | None = Field(None, ge=0, le=1)
    gold_only: bool = False


class ExportCreateIn(Schema):
    format: ExportFormat
    with_audio: bool = False
    filters: ExportFiltersIn = ExportFiltersIn()


class ExportOut(Schema):
    id: UUID
    format: str
    created_at: datetime
    with_audio: bool
    item_count: int
    customer_count: int
    filters: dict
    held_back: dict[str, int] = Field(
        default_factory=dict,
        description="reviewed snippets matching the filters that were held back when the export was made, by "
                    "reason (flagged, legal_hold, withdrawn, erased): counts only, never which; empty for exports "
                    "made before the counts were kept")


class CheckpointOut(Schema):
    size: int
    root_hash: str
    note: str
    previous_size: int | None
    consistency_proof: list[str]
    created_at: datetime


class CheckpointsOut(Schema):
    origin: str
    public_key: str
    checkpoints: list[CheckpointOut]


class CustomerIn(Schema):
    customer_id: str = Field(..., min_length=1, max_length=200, description="the product's own customer id")


class HeldKeptOut(Schema):
    snippets: int
    transcripts: int
    notes: int


class HeldOut(Schema):
    """One escalation case that keeps part of an erased customer (GDPR Art. 17(3)(e))."""

    case_id: UUID
    category: str
    hold: Literal["confirmed", "proposed"] = Field(..., description="proposed: waiting for a second officer")
    since: datetime
    until: Literal["released", "decided"] = Field(
        ..., description="released: until an officer releases the hold; decided: until the second officer "
                         "confirms (then until released) or turns it down (then the erasure finishes)")
    decide_by: datetime | None = Field(None, description="a proposal: the case's response deadline")
    kept: HeldKeptOut


class RecordingsOut(Schema):
    status: Literal["never_received", "received", "erased"] = Field(
        ..., description="never_received: no recording of this customer id ever reached QuietRoom under this "
                         "controller (check the id); received: recordings received and held; erased: received, "
                         "later erased")
    erased_at: str | None = Field(..., description="when the customer's content became unreadable (erasure), ISO 8601")


class ReportCheckpointOut(Schema):
    size: int
    note: str


class AccessReportOut(Schema):
    """The signed report, field for field as signed (verify it with `python -m quietroom.privacy.offline`)."""

    kind: str
    version: int
    controller: str
    customer: str = Field(..., description="the customer's pseudonym")
    generated_at: str
    recordings: RecordingsOut
    finding: str = Field(..., description="the report's answer in one sentence (signed)")
    checkpoint: ReportCheckpointOut
    public_key: str
    access_count: int = Field(..., description="accesses listed; further requests of a play are under that play")
    accesses: list[dict] = Field(..., description="each access with its log entry and inclusion proof; a play "
                                 "(snippet.play) lists the further requests of its page view (snippet.stream) "
                                 "under `continuations`")
    signature: str


class ErasureOut(Schema):
    id: UUID
    step: str
    requested_at: datetime
    completed_at: datetime | None
    removed: dict
    exports: list[dict]
    held: list[HeldOut] = Field(default_factory=list, description="what legal holds keep until they end")
