"""Running the de-identification pipeline over one stored recording.

decode -> `quietroom.deid.pipeline` (VAD snippets, ASR hypothesis, PII spans, anonymised voice,
bleeped PII) -> encrypt each snippet's audio and redacted hypothesis -> a review task per
snippet -> delete the raw recording (the default retention: as soon as snippets exist).

Accidental activations (the manifest's `accidental` column) are deleted unheard and never
queued, unless the controller's DeidProfile opts in to transcribing them.

Idempotent: a recording already processed or discarded is left alone, and a crash half-way
leaves nothing committed (blob keys are deterministic, so a retry overwrites the orphaned
ciphertext instead of adding to it). The heavy work runs before the transaction opens.
"""
from __future__ import annotations

import numpy as np
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from quietroom import content, gate
from quietroom.audit.log import Actor, record
from quietroom.deid import audio_io, locales
from quietroom.deid import pipeline as deid
from quietroom.escalation.care import record_score
from quietroom.review.queueing import queue_snippet

from .limits import decode_limits
from .models import DeidProfile, IngestBatch, Recording, Snippet

PIPELINE_VERSION = deid.PIPELINE_VERSION
_DONE = (Recording.Status.PROCESSED, Recording.Status.DISCARDED)


def deid_config(profile: DeidProfile, locale: str = "") -> deid.DeidConfig:
    """The pipeline for one recording: the organisation's profile, and the recording's locale
    for the language (a French recording is heard by Whisper base in French and searched by the
    French recognizers, whatever English engine the organisation chose)."""
    conf = settings.QUIETROOM
    return deid.DeidConfig(
        language=locales.language_of(locale),
        vad_engine=conf.get("DEID_VAD_ENGINE", "silero"),
        asr_engine=conf.get("DEID_ASR_ENGINE", "faster-whisper"),
        asr_model_dir=conf.get("DEID_ASR_MODEL_DIR") or None,
        asr_model=profile.asr_model or conf.get("DEID_ASR_MODEL", "tiny.en"),
        voice_profile=profile.voice_strength,
        max_snippet_seconds=conf["SNIPPET_MAX_SECONDS"],
    )


def _finish_batch_if_done(batch_id) -> None:
    """Stamp the batch finished once none of its recordings waits. Run after the recording's
    transaction commits, so of two workers finishing a batch's last two recordings at once the
    later one sees both done."""
    if not Recording.objects.filter(batch_id=batch_id, status=Recording.Status.RECEIVED).exists():
        IngestBatch.objects.filter(pk=batch_id, finished_at__isnull=True).update(finished_at=timezone.now())


def _discard_accidental(recording_id: str) -> int:
    with transaction.atomic():
        recording = Recording.objects.select_for_update().select_related("customer_key").get(pk=recording_id)
        if recording.status in _DONE:
            return recording.snippets.count()
        recording.status = Recording.Status.DISCARDED
        recording.pipeline_version = PIPELINE_VERSION
        content.delete_raw_audio(recording)
        recording.save()
        record(Actor.system(), "recording.discarded", object_type="recording", object_id=recording.id,
               customer=recording.customer_key.pseudonym, details={"reason": "accidental_activation"})
    _finish_batch_if_done(recording.batch_id)
    return 0


def process_recording(recording_id: str) -> int:
    """De-identify one recording; returns the number of snippets it has."""
    recording = Recording.objects.select_related("customer_key", "controller").get(pk=recording_id)
    if recording.status in _DONE:
        return recording.snippets.count()
    profile = DeidProfile.for_organisation(recording.controller)
    if recording.accidental and not profile.transcribe_accidental:
        return _discard_accidental(recording_id)

    config = deid_config(profile, recording.locale)
    raw = gate.read_raw_for_pipeline(recording)
    samples = audio_io.load_for_pipeline(raw, decode_limits())
    del raw
    results = deid.deidentify(samples, config, rng=np.random.default_rng())
    del samples

    with transaction.atomic():
        recording = Recording.objects.select_for_update().select_related("customer_key").get(pk=recording_id)
        if recording.status in _DONE:
            return recording.snippets.count()
        for item in results:
            snippet = Snippet(
                recording=recording, index=item.index, start_seconds=item.start, end_seconds=item.end,
                locale=recording.locale, redactions=[r.as_dict() for r in item.redactions],
                pipeline_params=item.params,
            )
            content.seal_snippet_audio(snippet, recording.customer_key, audio_io.encode_wav(item.audio))
            content.seal_snippet_hypothesis(snippet, recording.customer_key, item.hypothesis)
            snippet.save(force_insert=True)
            # Score likely-distressing content now (from the redacted text, in memory), so the
            # room can warn before the first play and the daily care cap applies from the start.
            record_score(snippet, item.hypothesis)
            queue_snippet(snippet)
        recording.status = Recording.Status.PROCESSED
        recording.pipeline_version = PIPELINE_VERSION
        content.delete_raw_audio(recording)
        recording.save()
        record(
            Actor.system(), "recording.processed", object_type="recording", object_id=recording.id,
            customer=recording.customer_key.pseudonym,
            details={"snippets": len(results), "pipeline": PIPELINE_VERSION,
                     "redactions": sum(len(r.redactions) for r in results)},
        )
    _finish_batch_if_done(recording.batch_id)
    return len(results)
