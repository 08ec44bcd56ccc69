"""The hand-assembled canonical form is exactly sorted, compact json.dumps."""
import json

import pytest

from quietroom.audit.log import canonical_bytes

NAMES = ["seq", "at", "actor", "pseudonym", "role", "organisation", "site", "country", "action",
         "object_type", "object_id", "customer", "purpose", "outcome", "details"]


@pytest.mark.parametrize("details", [{}, {"b": [1, 2.5, None, True], "a": "é \u2028 \n \\"}, {"z": {"y": 1, "x": []}}])
@pytest.mark.parametrize("text", ["plain", 'quote " back \\\\ slash', "ünïcødé ☃", "ctl \x00\x1f\t \u2028", ""])
def test_canonical_bytes_equal_json_dumps(details, text):
    values = [7, "2026-01-01T00:00:00.000000+00:00"] + [text] * 12 + [details]
    expected = json.dumps(dict(zip(NAMES, values)), sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    assert canonical_bytes(*values) == expected
