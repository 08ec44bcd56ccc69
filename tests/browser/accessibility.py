"""axe-core, run by Playwright on the page in front of it: no serious or critical violation.

The engine is the `axe.min.js` that the pinned `axe-playwright-python` wheel carries (no
download at test time). Every check also writes its findings, minor ones too, to
`<artefacts>/axe/<name>.json`, so a person can read what is left to improve.
"""
from __future__ import annotations

import json
from pathlib import Path

from axe_playwright_python.sync_playwright import Axe

BLOCKING = ("serious", "critical")
_AXE = Axe()


def assert_accessible(page, name: str, artifacts: Path) -> list[dict]:
    """Run axe on `page`; fail naming each serious or critical rule, its elements and fix."""
    results = _AXE.run(page)
    violations = results.response["violations"]
    folder = artifacts / "axe"
    folder.mkdir(exist_ok=True)
    (folder / f"{name}.json").write_text(json.dumps(violations, indent=1))
    blocking = [v for v in violations if v["impact"] in BLOCKING]
    assert not blocking, f"{name} ({page.url}):\n" + "\n".join(results.generate_report(v["id"]) for v in blocking)
    return violations
