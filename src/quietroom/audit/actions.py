"""What each audit action of a content read means: the vocabulary of "who reached my content".

Every decryption of a customer's content is one audit event (the gate writes it in the same
transaction), named by one of the actions below. docs/audit.md is this table in prose, the
access report words its rows from here, and tests/audit/test_actions_documented.py holds the
three together. Plain Python: the offline report verifier imports it without Django.

`counted` says whether an event is an access of its own in the access report. Only
`snippet.stream` is not: it is the rest of a play already counted (the same page view), and
the report shows it under that play.
"""
from __future__ import annotations

from dataclasses import dataclass

SNIPPET_PLAY = "snippet.play"
SNIPPET_STREAM = "snippet.stream"
HYPOTHESIS_VIEW = "hypothesis.view"
DRAFT_READ = "draft.read"
TRANSCRIPT_READ = "transcript.read"
TRANSCRIPT_REOPEN = "transcript.reopen"
SNIPPET_READ = "snippet.read"
RECORDING_READ = "recording.read"
ESCALATION_NOTE_READ = "escalation_note.read"


@dataclass(frozen=True)
class ContentRead:
    action: str
    label: str      # the access report's "Access" column
    meaning: str    # one sentence: what happened, as the report's legend and docs/audit.md say it
    counted: bool = True


CONTENT_READS: dict[str, ContentRead] = {read.action: read for read in (
    ContentRead(SNIPPET_PLAY, "Play",
                "The snippet's audio was sent to one person's page for one page view (the reviewer's task "
                "page or the escalation case page): the first request for it in that view, whether or not "
                "they then pressed play."),
    ContentRead(SNIPPET_STREAM, "Further bytes of a play",
                "A later request for the audio in the same page view (range requests, seeking, the "
                "waveform) whose bytes were released: more of a play already logged, not another play.",
                counted=False),
    ContentRead(HYPOTHESIS_VIEW, "Hypothesis shown",
                "The redacted machine transcript (ASR hypothesis) was shown to the reviewer opening the "
                "task page."),
    ContentRead(DRAFT_READ, "Own draft reloaded",
                "The reviewer's own autosaved draft transcript was reloaded into their task page."),
    ContentRead(TRANSCRIPT_READ, "Transcript read",
                "A submitted transcript was read for an export, QuietRoom's quality scoring or a QA "
                "lead's adjudication (the purpose says which)."),
    ContentRead(TRANSCRIPT_REOPEN, "Own transcript reopened",
                "The reviewer who had just submitted a transcript reopened it to correct it, within the "
                "correction window (a correction saved is logged as transcript.edit)."),
    ContentRead(SNIPPET_READ, "Audio exported",
                "The snippet's audio was read into an export with audio (a dataset handed on, not a "
                "play)."),
    ContentRead(RECORDING_READ, "Raw recording de-identified",
                "QuietRoom's pipeline read the raw recording to cut and de-identify it (a machine, not "
                "a person)."),
    ContentRead(ESCALATION_NOTE_READ, "Escalation note read",
                "The controller's escalation staff read a reviewer's note on a flagged snippet."),
)}

# The actions the access report lists as accesses of their own (snippet.stream goes under its play).
COUNTED = tuple(action for action, read in CONTENT_READS.items() if read.counted)


def label(action: str) -> str:
    read = CONTENT_READS.get(action)
    return read.label if read else action
