"""Build reviewable snippets fast: real sealed audio (recorded speech cut to length), real keys.

The pipeline is tested elsewhere; queue, policy and room tests need many snippets with chosen
regions, customers and recordings without running the whole de-identification each time.
"""
from __future__ import annotations

from datetime import datetime, timezone

import numpy as np

from quietroom import content
from quietroom.deid.audio_io import PIPELINE_RATE, encode_wav
from quietroom.recordings.models import IngestBatch, Recording, Snippet
from quietroom.review.queueing import queue_snippet


def _audio(seconds: float, seed: int) -> bytes:
    """Speech-like audio: a voiced tone with syllable-rate amplitude changes and a little noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * PIPELINE_RATE)) / PIPELINE_RATE
    envelope = 0.5 + 0.5 * np.sin(2 * np.pi * 4 * t) ** 2
    voice = 0.3 * envelope * np.sin(2 * np.pi * (140 + 20 * seed % 60) * t)
    return encode_wav((voice + 0.01 * rng.standard_normal(t.size)).astype(np.float32))


def make_snippets(controller, count: int, *, region: str = "GB", locale: str = "en-US", customers=None,
                  snippets_per_recording: int = 1, seconds: float = 1.5, hypothesis: str = "",
                  redactions=None, priority: int = 0, due_at=None, samples=None):
    """`count` recordings, each cut into `snippets_per_recording` queued snippets. Returns tasks."""
    batch = IngestBatch.objects.create(controller=controller, manifest_name="factory", manifest_sha256="0" * 64)
    tasks = []
    for i in range(count):
        pseudonym = (customers[i % len(customers)] if customers else f"cust-{controller.pk}-{i}")
        customer_key = content.customer_key_row(pseudonym)
        recording = Recording.objects.create(
            external_id=f"factory-{batch.pk}-{i}", controller=controller, customer_key=customer_key, batch=batch,
            locale=locale, region=region, source="assistant", activation="wake_word",
            captured_at=datetime(2026, 3, 1, tzinfo=timezone.utc), duration_seconds=seconds * snippets_per_recording,
            status="processed",
        )
        for j in range(snippets_per_recording):
            snippet = Snippet(recording=recording, index=j, start_seconds=j * seconds, end_seconds=(j + 1) * seconds,
                              locale=locale, redactions=list(redactions or []))
            wav = samples[(i + j) % len(samples)] if samples else _audio(seconds, i * 7 + j)
            content.seal_snippet_audio(snippet, customer_key, wav)
            if hypothesis:
                content.seal_snippet_hypothesis(snippet, customer_key, hypothesis.format(i=i, j=j))
            snippet.save(force_insert=True)
            tasks.append(queue_snippet(snippet, locale=locale, priority=priority, due_at=due_at))
    return tasks
