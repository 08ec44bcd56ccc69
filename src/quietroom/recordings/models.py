"""Recordings as they arrive, their customers' keys, and the snippets cut from them.

No row holds audio or text in the clear: `ciphertext` lives in the blob store under
`blob_key`, and `wrapped_dek` is the object's data key wrapped by its customer's key.
"""
from __future__ import annotations

import uuid

from django.db import models


class CustomerKey(models.Model):
    """One key-encryption key per pseudonymous customer (destroying it erases them)."""

    pseudonym = models.CharField(max_length=64, unique=True)
    wrapped_key = models.BinaryField(null=True)
    master_key_id = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    destroyed_at = models.DateTimeField(null=True, blank=True)


class IngestBatch(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Whose recordings these are (known at ingestion; null only on a batch that never held any).
    controller = models.ForeignKey("accounts.Organisation", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    manifest_name = models.CharField(max_length=255)
    manifest_sha256 = models.CharField(max_length=64)
    # The operator's name for the batch (`ingest --label`), else shown as manifest name + short id.
    label = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # When the pipeline finished its last waiting recording (recordings.pipeline).
    finished_at = models.DateTimeField(null=True, blank=True)
    accepted = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)


class Recording(models.Model):
    class Source(models.TextChoices):
        ASSISTANT = "assistant"
        CALL = "call"

    class Activation(models.TextChoices):
        WAKE_WORD = "wake_word"
        BUTTON = "button"
        UNKNOWN = "unknown"

    class Status(models.TextChoices):
        RECEIVED = "received"
        PROCESSED = "processed"
        FAILED = "failed"
        # An accidental activation whose organisation does not transcribe those: raw audio
        # deleted unheard, nothing queued.
        DISCARDED = "discarded"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # The product's own recording id: unique per controller, the key for idempotent re-ingest.
    external_id = models.CharField(max_length=200)
    controller = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT)
    # The pseudonymous customer's key row (never the product's customer id, which is not stored).
    customer_key = models.ForeignKey(CustomerKey, on_delete=models.PROTECT, related_name="recordings")
    batch = models.ForeignKey(IngestBatch, on_delete=models.PROTECT, related_name="recordings")
    locale = models.CharField(max_length=16)
    region = models.CharField(max_length=8, help_text="customer's region (ISO country or 'EU')")
    source = models.CharField(max_length=16, choices=Source.choices)
    activation = models.CharField(max_length=16, choices=Activation.choices)
    # The product says the device woke by mistake (the manifest's optional `accidental` column).
    accidental = models.BooleanField(default=False)
    captured_at = models.DateTimeField()
    received_at = models.DateTimeField(auto_now_add=True)
    duration_seconds = models.FloatField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RECEIVED)
    # Raw audio: deleted (blob and key) once snippets exist, per the retention default.
    blob_key = models.CharField(max_length=200, blank=True)
    wrapped_dek = models.BinaryField(null=True)
    raw_deleted_at = models.DateTimeField(null=True, blank=True)
    pipeline_version = models.CharField(max_length=64, blank=True)

    class Meta:
        unique_together = [("controller", "external_id")]

    @property
    def object_id(self) -> str:
        return f"recording:{self.id}"


class DeidProfile(models.Model):
    """How one controller organisation wants its recordings de-identified."""

    class Strength(models.TextChoices):
        LIGHT = "light"
        STANDARD = "standard"
        STRONG = "strong"

    organisation = models.OneToOneField("accounts.Organisation", on_delete=models.CASCADE, related_name="deid_profile")
    voice_strength = models.CharField(max_length=16, choices=Strength.choices, default=Strength.STANDARD)
    # Which bundled Whisper model writes the hypothesis (quietroom.deid.asr.WHISPER_MODELS);
    # empty: the server's QUIETROOM_ASR_MODEL. Base hears more but costs more CPU per snippet.
    asr_model = models.CharField(max_length=16, blank=True, default="",
                                 choices=[("", "server default"), ("tiny.en", "Whisper tiny.en"), ("base", "Whisper base")])
    # Accidental activations are deleted unheard unless the organisation opts in.
    transcribe_accidental = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    @classmethod
    def for_organisation(cls, organisation) -> "DeidProfile":
        """The stored profile, or the defaults (unsaved) when none was set."""
        return cls.objects.filter(organisation=organisation).first() or cls(organisation=organisation)


class Snippet(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    recording = models.ForeignKey(Recording, on_delete=models.CASCADE, related_name="snippets")
    index = models.PositiveIntegerField()
    start_seconds = models.FloatField()
    end_seconds = models.FloatField()
    locale = models.CharField(max_length=16)
    blob_key = models.CharField(max_length=200)
    wrapped_dek = models.BinaryField(null=True)
    # The ASR hypothesis with personal data replaced by entity labels, encrypted like the audio.
    hypothesis_ciphertext = models.BinaryField(null=True)
    hypothesis_wrapped_dek = models.BinaryField(null=True)
    # Where audio was bleeped: [{"start": s, "end": s, "entity": "PHONE_NUMBER"}], seconds
    # within the snippet. Labels and times only, never the redacted words.
    redactions = models.JSONField(default=list)
    # Versions and parameters of every pipeline stage that produced this snippet.
    pipeline_params = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    # Set when the snippet's content was destroyed (accidental activation, erasure, retention).
    shredded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        unique_together = [("recording", "index")]
        ordering = ["recording", "index"]

    @property
    def object_id(self) -> str:
        return f"snippet:{self.id}"

    @property
    def duration_seconds(self) -> float:
        return self.end_seconds - self.start_seconds
