"""quietroom pii-scan: one transcript per line on stdin -> one JSON object per line on stdout.

For evaluating the PII detector on one's own test text (never customer data).
"""
from __future__ import annotations

import json
import sys

from django.core.management.base import BaseCommand

from quietroom.deid import pii


class Command(BaseCommand):
    help = "Detect personal data in transcripts (stdin, one per line); print spans and redacted text as JSON lines."

    def handle(self, *args, **opts):
        for line in sys.stdin:
            text = line.rstrip("\n")
            spans = pii.detect(text)
            self.stdout.write(json.dumps({
                "spans": [{"start": s.start, "end": s.end, "entity": s.entity, "score": s.score} for s in spans],
                "redacted": pii.redact_text(text, spans),
            }))
