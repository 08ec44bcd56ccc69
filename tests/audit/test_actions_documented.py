"""docs/audit.md, audit/actions.py, the gate and the access report name the same content reads
with the same words: a new read the gate writes, or a changed meaning, fails here until all agree."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import quietroom
from quietroom.audit import actions

PACKAGE = Path(quietroom.__file__).parent
DOCS = PACKAGE.parent.parent / "docs" / "audit.md"
ROW = re.compile(r"^\| `([a-z_.]+)` \| ([^|]+) \| ([^|]+) \|$")


def documented() -> dict[str, tuple[str, str]]:
    section = DOCS.read_text().split("## Content reads", 1)[1].split("\n## ", 1)[0]
    rows = (ROW.match(line.strip()) for line in section.splitlines())
    return {m.group(1): (m.group(2).strip(), m.group(3).strip()) for m in rows if m}


def written_by_the_gate() -> set[str]:
    """Every action the gate audits a read under: literals passed to its readers, and the
    `actions.*` names it uses."""
    names = set()
    for node in ast.walk(ast.parse((PACKAGE / "gate.py").read_text())):
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") in ("_read", "open_audited"):
            action = node.args[1] if len(node.args) > 1 else None
            if isinstance(action, ast.Constant):
                names.add(action.value)
        if isinstance(node, ast.Attribute) and getattr(node.value, "id", "") == "actions" and node.attr.isupper():
            names.add(getattr(actions, node.attr))
    return names


def test_the_docs_table_is_the_code_table():
    in_code = {a: (r.label, r.meaning) for a, r in actions.CONTENT_READS.items()}
    assert documented() == in_code


def test_every_read_the_gate_audits_is_documented_and_every_documented_one_is_written():
    assert written_by_the_gate() == set(actions.CONTENT_READS)


def test_the_access_report_lists_every_content_read_and_counts_all_but_the_stream():
    from quietroom.privacy import access_report, render

    assert set(access_report.ACCESS_ACTIONS) == set(actions.CONTENT_READS)
    assert set(actions.CONTENT_READS) - set(actions.COUNTED) == {actions.SNIPPET_STREAM}
    assert render.access_label({"action": "snippet.play", "continuations": [{}, {}]}) == "Play (+2 further requests)"
