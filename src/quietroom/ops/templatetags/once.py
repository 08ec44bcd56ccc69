"""`{% static_once %}` and `{% url_once %}`: Django's `{% static %}` and argument-free `{% url %}`,
worked out once per process instead of on every render.

Every page carries the same stylesheets, scripts and menu links, and each `{% static %}` or
`{% url %}` costs a storage or resolver look-up per render: the task page's eight `{% static %}`
and two constant `{% url %}` were about a seventh of its template time (bench/review_http.py
--profile). Their answers cannot change while a process
runs: the static storage fixes its base URL on first use, and a URL without arguments depends
only on the URL configuration and the script prefix, which are part of the key. The output is
escaped exactly as the built-in tags escape it.
"""
from __future__ import annotations

import functools

from django import template
from django.templatetags.static import StaticNode
from django.urls import get_script_prefix, get_urlconf, reverse

register = template.Library()


@functools.lru_cache(maxsize=256)
def _static(path: str) -> str:
    return StaticNode.handle_simple(path)


@functools.lru_cache(maxsize=256)
def _reverse(name: str, prefix: str, urlconf) -> str:
    return reverse(name, urlconf=urlconf)


@register.simple_tag
def static_once(path: str) -> str:
    """`{% static path %}`, once per process and path."""
    return _static(path)


@register.simple_tag
def url_once(name: str) -> str:
    """`{% url 'name' %}` for a URL that takes no arguments (`as var` works as with `{% url %}`)."""
    return _reverse(name, get_script_prefix(), get_urlconf())
