"""Fixtures for privacy tests: a reviewer who played snippets of customer cust-0001."""
import re

import pytest

from quietroom.recordings.models import Snippet
from quietroom.recordings.pseudonyms import customer_pseudonym


@pytest.fixture
def pseudonym(controller):
    return customer_pseudonym(controller.id, "cust-0001")


@pytest.fixture
def playing(ingested, make_reviewer, reviewer_client):
    """A reviewer holding a lease on a snippet, mid-play: (client, stream url, snippet)."""
    client = reviewer_client(make_reviewer())
    response = client.post("/room/next/")
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    stream = re.search(r'src="(/room/stream/[^"]+)"', page).group(1)
    assert client.get(stream, HTTP_RANGE="bytes=0-99").status_code == 206
    task_id = response["Location"].rstrip("/").rsplit("/", 1)[1]
    from quietroom.review.models import Task

    snippet = Task.objects.get(pk=task_id).snippet
    return client, stream, Snippet.objects.select_related("recording__customer_key").get(pk=snippet.pk)
