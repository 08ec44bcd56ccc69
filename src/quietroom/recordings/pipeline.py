"""Running the de-identification pipeline over one stored recording.

The first version: decode, resample to 16 kHz mono, cut at pauses into snippets of at most
10 s, encrypt each snippet, queue a review task for it, and delete the raw recording (the
default retention: as soon as snippets exist). Idempotent: a recording already processed is
left alone, and a crash half-way leaves nothing committed (blob keys are deterministic, so a
retry overwrites the orphaned ciphertext instead of adding to it).
"""
from __future__ import annotations

from django.conf import settings
from django.db import transaction

from quietroom import gate
from quietroom.audit.log import Actor, record
from quietroom.deid import audio_io, segmentation
from quietroom.review.models import Task

from .models import Recording, Snippet

PIPELINE_VERSION = "deid-v1:energy-seg"


def process_recording(recording_id: str) -> int:
    """De-identify one recording; returns the number of snippets it has."""
    recording = Recording.objects.select_related("customer").get(pk=recording_id)
    if recording.status == Recording.Status.PROCESSED:
        return recording.snippets.count()
    raw = gate.read_raw_for_pipeline(recording)
    samples = audio_io.load_for_pipeline(raw)
    del raw
    max_len = settings.QUIETROOM["SNIPPET_MAX_SECONDS"]
    segments = segmentation.find_speech_segments(samples, audio_io.PIPELINE_RATE, max_len=max_len)
    pieces = segmentation.cut_snippets(samples, segments, audio_io.PIPELINE_RATE)

    with transaction.atomic():
        recording = Recording.objects.select_for_update().select_related("customer").get(pk=recording_id)
        if recording.status == Recording.Status.PROCESSED:
            return recording.snippets.count()
        for index, (segment, piece) in enumerate(zip(segments, pieces)):
            snippet = Snippet(
                recording=recording, index=index, start_seconds=segment.start,
                end_seconds=segment.end, locale=recording.locale,
            )
            gate.seal_snippet_audio(snippet, recording.customer, audio_io.encode_wav(piece))
            snippet.save(force_insert=True)
            Task.objects.create(snippet=snippet, locale=snippet.locale)
        recording.status = Recording.Status.PROCESSED
        recording.pipeline_version = PIPELINE_VERSION
        gate.delete_raw_audio(recording)
        recording.save()
        record(
            Actor.system(), "recording.processed", object_type="recording", object_id=recording.id,
            customer=recording.customer.pseudonym, details={"snippets": len(segments), "pipeline": PIPELINE_VERSION},
        )
    return len(segments)
