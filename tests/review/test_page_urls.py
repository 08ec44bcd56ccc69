"""The task page's URLs, built around a remembered route (views.url_with), are reverse()'s."""
from __future__ import annotations

import uuid

from django.core import signing
from django.urls import reverse, set_script_prefix

from quietroom.review.views import url_with


def test_url_with_is_reverse():
    for task_id in (uuid.uuid4(), uuid.UUID(int=0), uuid.UUID(int=2**128 - 1)):
        for name in ("review:task", "review:draft", "review:skip", "review:correct"):
            assert url_with(name, task_id) == reverse(name, args=[task_id])
    token = signing.dumps({"t": str(uuid.uuid4()), "u": 7, "v": "x" * 40}, salt="test", compress=False)
    assert url_with("review:stream", token) == reverse("review:stream", args=[token])
    assert url_with("review:stream", "a b?c#d") == reverse("review:stream", args=["a b?c#d"])  # quoted alike


def test_url_with_follows_the_script_prefix():
    task_id = uuid.uuid4()
    try:
        set_script_prefix("/qr/")
        assert url_with("review:skip", task_id) == reverse("review:skip", args=[task_id]) == f"/qr/room/task/{task_id}/skip/"
    finally:
        set_script_prefix("/")
    assert url_with("review:skip", task_id) == f"/room/task/{task_id}/skip/"


def test_closing_time_is_what_the_date_and_time_filters_print():
    from datetime import datetime, timezone as dt_timezone

    from django.template import engines
    from django.utils import timezone

    from quietroom.review.views import closing_time

    template = engines["django"].from_string("""{{ until|date:'c' }}|{{ until|time:"H:i" }}""")
    for until in (datetime(2026, 3, 1, 23, 59, 59, 999999, tzinfo=dt_timezone.utc),
                  datetime(2026, 7, 1, 0, 5, tzinfo=dt_timezone.utc)):
        for zone in ("UTC", "Europe/London", "Asia/Kolkata"):
            with timezone.override(zone):
                assert "|".join(closing_time(until)) == template.render({"until": until})
