from __future__ import annotations

import pytest


@pytest.fixture
def make_token(db):
    from quietroom.api.models import ServiceAccount
    from quietroom.api.tokens import issue_token

    def make(org, scopes=("batches:read", "batches:write", "exports:read", "exports:write", "audit:read"),
             name="pipeline", days=30):
        account, _ = ServiceAccount.objects.get_or_create(organisation=org, name=name,
                                                          defaults={"scopes": list(scopes)})
        plain, _row = issue_token(account, days=days)
        return plain

    return make


@pytest.fixture
def other_controller(db):
    from quietroom.accounts.models import Organisation

    return Organisation.objects.create(name="Other Voice", kind="controller")


@pytest.fixture
def reviewed_for_api(controller, make_reviewer, tmp_path):
    """A Common Voice import (en-GB), reviewed; returns {snippet_id: transcript}."""
    from django.utils import timezone

    from quietroom import testspeech
    from quietroom.audit.log import Actor
    from quietroom.exports.imports import import_dataset
    from quietroom.recordings.importers import ImportOptions
    from quietroom.recordings.importers.sources import LocalSource
    from quietroom.review import queue
    from quietroom.review.submissions import submit
    from tests.exports.interop_fixtures import common_voice_release

    speech = [testspeech.make_conversation(1, seed=s) for s in (51, 52)]
    tsv = common_voice_release(tmp_path / "cv", speech)
    run = import_dataset("commonvoice", tsv.name, tsv.read_bytes(), LocalSource(tmp_path / "cv"), controller,
                         ImportOptions(consent_basis="CV", locale="en-GB", region="GB"), actor=Actor(name="t"))
    assert run.accepted == 2
    user = make_reviewer(locales=("en-GB",))
    texts = {}
    for i in range(20):
        task = queue.next_task(user, timezone.now())
        if task is None:
            break
        submit(user, task.id, f"api transcript {i}", f"api-{i}", now=timezone.now())
        texts[str(task.snippet_id)] = f"api transcript {i}"
    assert texts
    return texts
