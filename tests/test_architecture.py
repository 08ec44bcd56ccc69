"""Rule 9 of the house: no import circles, and dependencies point one way (docs/architecture.md).

Every module of `src/quietroom` (migrations aside) is parsed; every import counts, including
those inside functions, since a late import only hides a circle. Each module gets a level from
`LEVELS` (first matching pattern wins), and may import only modules on its own level or below;
on the policy level the apps are ordered too, so an app never imports one after it.
"""
from __future__ import annotations

import ast
import fnmatch
from pathlib import Path

import pytest

import quietroom

SRC = Path(quietroom.__file__).parent.parent

# Lowest first. Keep in step with docs/architecture.md ("Levels").
LEVELS: list[tuple[str, list[str]]] = [
    ("foundations", [  # plain Python (and Django's settings): no model, no app
        "quietroom", "quietroom.vault", "quietroom.vault.*", "quietroom.deid", "quietroom.deid.*",
        "quietroom.watermark", "quietroom.watermark.*",
        "quietroom.decisions", "quietroom.compiled", "quietroom.config", "quietroom.settings", "quietroom.celery",
        "quietroom.testspeech", "quietroom.audit.chain", "quietroom.audit.notes", "quietroom.audit.merkle",
    ]),
    ("records", [  # model declarations (and the declarations they use)
        "quietroom.*.models", "quietroom.accounts.fields", "quietroom.escalation.categories",
    ]),
    ("audit", ["quietroom.audit", "quietroom.audit.*"]),
    ("content", ["quietroom.content", "quietroom.content.*"]),
    # The apps' rules and actions, in this order (none reads content: that is the gate's).
    ("accounts", ["quietroom.accounts.*"]),
    ("recordings", ["quietroom.recordings.*"]),
    ("escalation", ["quietroom.escalation.*"]),
    ("review", ["quietroom.review.*"]),
    ("privacy", ["quietroom.privacy.*"]),
    ("gate", ["quietroom.gate"]),
    # Workflows that read content through the gate (or start the job that does).
    ("workflows", [
        "quietroom.recordings.ingest", "quietroom.recordings.pipeline", "quietroom.recordings.tasks",
        "quietroom.review.quality", "quietroom.review.submissions", "quietroom.review.corrections", "quietroom.exports", "quietroom.exports.*",
    ]),
    # Where people and machines come in: pages, API, commands, start-up wiring, operations.
    ("edges", [
        "quietroom.*.views", "quietroom.*.*_views", "quietroom.*.urls", "quietroom.*.apps",
        "quietroom.*.management.*", "quietroom.*.context_processors", "quietroom.api", "quietroom.api.*",
        "quietroom.ops", "quietroom.ops.*", "quietroom.evaluation", "quietroom.evaluation.*", "quietroom.cli",
        "quietroom.urls", "quietroom.wsgi",
    ]),
]
# More specific patterns (workflows, edges, records) are tried before an app's catch-all.
_SEARCH_ORDER = ["records", "edges", "workflows", "foundations", "audit", "content", "gate",
                 "accounts", "recordings", "escalation", "review", "privacy"]
_RANK = {name: rank for rank, (name, _) in enumerate(LEVELS)}
_PATTERNS = dict(LEVELS)


def level_of(module: str) -> str:
    for name in _SEARCH_ORDER:
        if any(fnmatch.fnmatchcase(module, pattern) for pattern in _PATTERNS[name]):
            return name
    raise AssertionError(f"{module} has no level: add it to LEVELS (and to docs/architecture.md)")


def modules(root: Path = SRC) -> dict[str, tuple[Path, str]]:
    """module name -> (file, the package relative imports start from)."""
    found = {}
    for path in (root / "quietroom").rglob("*.py"):
        if "migrations" in path.parts:
            continue
        parts = list(path.relative_to(root).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts = parts[:-1]
        name = ".".join(parts)
        found[name] = (path, name if is_package else ".".join(parts[:-1]))
    return found


def imports_of(path: Path, package: str, known) -> set[str]:
    """The `known` modules that `path` imports, anywhere in the file."""
    targets = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module
            for alias in node.names:  # `from pkg import module` imports the module
                targets.add(f"{module}.{alias.name}" if f"{module}.{alias.name}" in known else module)
    return {target for target in targets if target in known}


def import_graph(root: Path = SRC) -> dict[str, set[str]]:
    known = modules(root)
    return {name: imports_of(path, package, known) - {name} for name, (path, package) in known.items()}


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index, low, on_stack, stack, found = {}, {}, set(), [], []
    counter = 0
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def upward_imports(graph: dict[str, set[str]]) -> list[str]:
    return sorted(
        f"{module} ({level_of(module)}) imports {target} ({level_of(target)})"
        for module, targets in graph.items() for target in targets
        if _RANK[level_of(target)] > _RANK[level_of(module)]
    )


def test_no_import_circles():
    assert circles(import_graph()) == []


def test_every_module_has_a_level_and_imports_nothing_above_it():
    assert upward_imports(import_graph()) == []


def test_the_gate_imports_no_app_that_holds_access_policy():
    graph = import_graph()
    apps = ("quietroom.accounts", "quietroom.recordings", "quietroom.review", "quietroom.escalation",
            "quietroom.privacy", "quietroom.exports")
    assert sorted(t for t in graph["quietroom.gate"] if t.startswith(apps)) == []


# --- the checks would see a violation -------------------------------------------------------


def _package(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / "quietroom" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


def test_a_circle_through_a_late_import_is_found(tmp_path):
    root = _package(tmp_path, {
        "__init__.py": "",
        "review/__init__.py": "",
        "review/policy.py": "from quietroom.review import models\n",
        "review/models.py": "def save():\n    from .policy import decide\n",
    })
    assert circles(import_graph(root)) == [["quietroom.review.models", "quietroom.review.policy"]]


def test_an_upward_import_is_found(tmp_path):
    root = _package(tmp_path, {
        "__init__.py": "",
        "accounts/__init__.py": "",
        "accounts/vetting.py": "def f():\n    from quietroom.review import queue\n",
        "review/__init__.py": "",
        "review/queue.py": "",
    })
    assert upward_imports(import_graph(root)) == [
        "quietroom.accounts.vetting (accounts) imports quietroom.review.queue (review)"]


@pytest.mark.parametrize(("module", "level"), [
    ("quietroom.review.models", "records"), ("quietroom.review.views", "edges"),
    ("quietroom.review.oversight_views", "edges"), ("quietroom.review.policy", "review"),
    ("quietroom.review.submissions", "workflows"), ("quietroom.content.keys", "content"),
    ("quietroom.vault.envelope", "foundations"), ("quietroom.escalation.apps", "edges"),
    ("quietroom.watermark.detection", "foundations"),
])
def test_levels_of_known_modules(module, level):
    assert level_of(module) == level


def test_the_web_application_loads_without_the_pii_recognizers():
    """Serving pages and `manage.py check` import the pipeline only to enqueue work and read its
    types: Presidio, spaCy and (through spaCy's thinc) torch load when a process first detects
    personal data, not at start (they took 6 of `check`'s 12 s)."""
    import subprocess
    import sys

    code = ("import django, sys; django.setup(); import quietroom.urls, quietroom.deid.pipeline; "
            "print(sorted(m for m in ('presidio_analyzer', 'spacy', 'torch') if m in sys.modules))")
    env = {**__import__("os").environ, "DJANGO_SETTINGS_MODULE": "quietroom.settings"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-800:]
    assert out.stdout.split()[-1] == "[]", out.stdout  # tests/deid/test_pii.py: they load when used
