"""The whole recording's hypothesis: every snippet's transcript joined in recording time.

PII is detected here, not snippet by snippet: an address or a number the snippet boundary cuts
in two ("... twenty two Spring" | "field Road ...") is one entity in the joined text and none
in either half. The joined words keep their owner, so each detected span maps back to the
words (and character offsets) of every snippet it reaches.

Each snippet is still transcribed on its own: a reviewer's hypothesis is the recognition of
exactly the audio they hear, never words from a neighbour's.
"""
from __future__ import annotations

from dataclasses import dataclass

from .asr import Transcript, Word
from .pii import PiiSpan
from .segmentation import Segment

# A recogniser ends a snippet's text with a full stop because the audio stops there, not
# because the sentence did; left in, "my name is." | "Jane Doe" hides the name from the
# recognizers that read across the join.
_CUT_MARKS = ".,;:!?…"


@dataclass(frozen=True)
class RecordingHypothesis:
    transcript: Transcript  # every snippet's words in order, times in recording seconds
    snippets: tuple[Transcript, ...]  # each snippet's own transcript (times within the snippet)
    owner: tuple[tuple[int, int], ...]  # (snippet index, word index in it) of each joined word

    @property
    def text(self) -> str:
        return self.transcript.text

    def snippet_spans(self, spans: list[PiiSpan]) -> list[list[PiiSpan]]:
        """Each snippet's share of the recording-level spans, as offsets into its own text.

        A span covering words of two snippets gives each snippet the part over its own words; a
        span starting or ending inside a word keeps that offset within the word.
        """
        joined = self.transcript.char_spans()
        local = [t.char_spans() for t in self.snippets]
        out: list[list[PiiSpan]] = [[] for _ in self.snippets]
        for span in spans:
            reach: dict[int, tuple[int, int]] = {}
            for (a, b), (k, j) in zip(joined, self.owner):
                if not (a < span.end and b > span.start):  # the overlap rule of redaction.time_ranges
                    continue
                sa, sb = local[k][j]
                lo = sa + max(0, span.start - a)
                hi = min(sb, sa + min(span.end, b) - a)
                if hi > lo:
                    first = reach.get(k, (lo, hi))
                    reach[k] = (min(first[0], lo), max(first[1], hi))
            for k, (lo, hi) in reach.items():
                out[k].append(PiiSpan(lo, hi, span.entity, span.score))
        return out


def join(transcripts: list[Transcript], segments: list[Segment]) -> RecordingHypothesis:
    """The snippets' transcripts (in snippet time) as one transcript in recording time."""
    if len(transcripts) != len(segments):
        raise ValueError(f"{len(transcripts)} transcripts for {len(segments)} snippets")
    words: list[Word] = []
    owner: list[tuple[int, int]] = []
    for k, (t, seg) in enumerate(zip(transcripts, segments)):
        for j, w in enumerate(t.words):
            # A snippet's first word always starts a new word in the joined text.
            words.append(Word(w.text, w.start + seg.start, w.end + seg.start, w.space_before or j == 0))
            owner.append((k, j))
    for i in range(len(words) - 1):
        if owner[i + 1][0] != owner[i][0]:  # the last word before a snippet boundary
            w = words[i]
            words[i] = Word(w.text.rstrip(_CUT_MARKS) or w.text, w.start, w.end, w.space_before)
    engine = transcripts[0].engine if transcripts else ""
    model = transcripts[0].model if transcripts else ""
    return RecordingHypothesis(Transcript(tuple(words), engine, model), tuple(transcripts), tuple(owner))
