"""Fixtures for the export tests: datasets imported from other formats, then reviewed."""
from __future__ import annotations

import pytest
from django.utils import timezone

from quietroom import testspeech


@pytest.fixture(scope="session")
def short_speech():
    """Three one-utterance recordings (one snippet each), so the pipeline stays quick."""
    return [testspeech.make_conversation(1, seed=s) for s in (31, 32, 33)]


@pytest.fixture
def imported(controller, short_speech, tmp_path):
    """A Common Voice TSV (en-GB) and a Hugging Face audiofolder (en-US), imported."""
    from quietroom.audit.log import Actor
    from quietroom.exports.imports import import_dataset
    from quietroom.recordings.importers import ImportOptions
    from quietroom.recordings.importers.sources import LocalSource
    from tests.exports.interop_fixtures import audiofolder, common_voice_release

    actor = Actor(name="test", role="controller_admin")
    cv = common_voice_release(tmp_path / "cv", short_speech[:2])
    af = audiofolder(tmp_path / "af", short_speech[2:])
    runs = [
        import_dataset("commonvoice", cv.name, cv.read_bytes(), LocalSource(tmp_path / "cv"), controller,
                       ImportOptions(consent_basis="CV CC0", locale="en-GB", region="GB"), actor=actor),
        import_dataset("audiofolder", af.name, af.read_bytes(), LocalSource(tmp_path / "af"), controller,
                       ImportOptions(consent_basis="vendor contract", locale="en-US", region="GB",
                                     customer_column="speaker_id"), actor=actor),
    ]
    assert [r.accepted for r in runs] == [2, 1], [r.rows for r in runs]
    return runs


@pytest.fixture
def reviewed(imported, make_reviewer):
    """Every queued task reviewed through the real queue and submission path."""
    from quietroom.review import queue
    from quietroom.review.submissions import submit

    user = make_reviewer(locales=("en-GB", "en-US"))
    texts = {}
    for i in range(50):
        task = queue.next_task(user, timezone.now())
        if task is None:
            break
        text = f"reviewed transcript {i}\nsecond line"
        submit(user, task.id, text, f"key-{i}", now=timezone.now())
        texts[str(task.snippet_id)] = text
    assert texts, "nothing was queued for review"
    return user, texts
