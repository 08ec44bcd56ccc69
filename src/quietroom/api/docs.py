"""A self-contained API docs page: the operations of the live OpenAPI schema, server-rendered.

Ninja's own docs page loads Swagger UI from a CDN with inline script, which our CSP forbids
and which cannot load without internet; this page needs neither.
"""
from __future__ import annotations

from django.shortcuts import render

METHODS = ("get", "post", "put", "patch", "delete")


def _operations(schema: dict) -> list[dict]:
    ops = []
    for path, item in schema.get("paths", {}).items():
        for method in METHODS:
            op = item.get(method)
            if not op:
                continue
            params = [f"{p['name']} ({p['in']})" for p in op.get("parameters", [])]
            body = op.get("requestBody", {}).get("content", {})
            ops.append({
                "method": method.upper(), "path": path, "summary": op.get("summary", ""),
                "tags": ", ".join(op.get("tags", [])), "params": ", ".join(params),
                "body": ", ".join(body), "responses": ", ".join(sorted(str(code) for code in op.get("responses", {}))),
            })
    return ops


def docs_page(request):
    from .endpoints import api

    schema = api.get_openapi_schema(path_prefix="/api/v1")
    info = schema.get("info", {})
    return render(request, "api/docs.html", {
        "title": info.get("title", "API"), "version": info.get("version", ""),
        "description": info.get("description", ""), "operations": _operations(schema),
    })
