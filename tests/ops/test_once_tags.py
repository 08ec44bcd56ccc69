"""`{% static_once %}` / `{% url_once %}` print what `{% static %}` / `{% url %}` print."""
from __future__ import annotations

from django.template import engines
from django.urls import set_script_prefix


def _render(text: str) -> str:
    return engines["django"].from_string(text).render({})


def test_the_same_urls_as_the_built_in_tags():
    for path in ("quietroom/room.js", "quietroom/a b&c.css"):
        assert _render(f"{{% load once %}}{{% static_once '{path}' %}}") == _render(f"{{% load static %}}{{% static '{path}' %}}")
    for name in ("accounts:logout", "accounts:notices", "review:guidelines"):
        assert _render(f"{{% load once %}}{{% url_once '{name}' %}}") == _render(f"{{% url '{name}' %}}")
        assert _render(f"{{% load once %}}{{% url_once '{name}' as u %}}[{{{{ u }}}}]") == \
            _render(f"{{% url '{name}' as u %}}[{{{{ u }}}}]")


def test_a_url_follows_the_script_prefix():
    try:
        set_script_prefix("/qr/")
        assert _render("{% load once %}{% url_once 'accounts:logout' %}") == _render("{% url 'accounts:logout' %}")
        assert _render("{% load once %}{% url_once 'accounts:logout' %}").startswith("/qr/")
    finally:
        set_script_prefix("/")
    assert _render("{% load once %}{% url_once 'accounts:logout' %}") == _render("{% url 'accounts:logout' %}")
