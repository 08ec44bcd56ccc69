"""Removing personal data from a snippet's audio, using the ASR word timings.

A PII span (character offsets in the hypothesis) covers some words; their time range, widened
by a margin, is replaced by a quiet 1 kHz tone (or silence). The pipeline finds ranges on the
whole recording's hypothesis (`recording_hypothesis`) and hands each snippet the ranges that
reach into it (`in_snippets`), clipped and merged when they touch, so the bleep list the reviewer
UI shows is clean.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from .asr import Transcript
from .segmentation import Segment

RATE = 16000
DEFAULT_MARGIN = 0.08  # seconds: word timings from ASR are approximate at the edges
TONE_HZ = 1000.0
TONE_DBFS = -20.0
_FADE = 0.005  # seconds, so the bleep does not click
_SLIVER = 0.001  # seconds: a range reaching less than this into a snippet holds no speech there


@dataclass(frozen=True)
class Redaction:
    start: float  # seconds within the snippet
    end: float
    entity: str

    def as_dict(self) -> dict:
        return {k: round(v, 3) if isinstance(v, float) else v for k, v in asdict(self).items()}


def time_ranges(transcript: Transcript, spans, duration: float, margin: float = DEFAULT_MARGIN) -> list[Redaction]:
    """The audio time range of each PII span, merged.

    A span covers the words it overlaps, widened by `margin` and, beyond that, up to the
    neighbouring recognised words: audio between a PII word and the next recognised word is
    speech (or silence) nobody has checked, and it is where the recogniser's loose end times
    and dropped words hide the rest of a number ("... nine one four" missing from a card
    number). A span at the start or end of the transcript reaches the edge of the audio
    (0 and `duration`). Given the whole recording's transcript, the neighbouring word may lie in
    the next snippet: the unrecognised audio at that snippet's head is bleeped too.
    """
    offsets = transcript.char_spans()
    words = transcript.words
    found = []
    for span in spans:
        idx = [i for i, (a, b) in enumerate(offsets) if a < span.end and b > span.start]
        if not idx:
            continue
        first, last = idx[0], idx[-1]
        start = min(words[first].start - margin, words[first - 1].end if first > 0 else 0.0)
        end = max(words[last].end + margin, words[last + 1].start if last + 1 < len(words) else duration)
        start, end = max(0.0, start), min(duration, end)
        if end > start:
            found.append(Redaction(start, end, span.entity))
    return merge(found)


def merge(ranges: list[Redaction]) -> list[Redaction]:
    """Sorted, with ranges that touch or overlap joined (the first one's label kept)."""
    merged: list[Redaction] = []
    for r in sorted(ranges, key=lambda r: r.start):
        if merged and r.start <= merged[-1].end:
            last = merged[-1]
            merged[-1] = Redaction(last.start, max(last.end, r.end), last.entity)
        else:
            merged.append(r)
    return merged


def in_snippets(ranges: list[Redaction], segments: list[Segment]) -> list[list[Redaction]]:
    """Recording-time ranges handed to the snippets they reach: every range overlapping a
    snippet, even partly, clipped to it, in seconds from the snippet's start, merged. A range
    that ends exactly where a snippet starts (or starts where it ends) is not in it."""
    out = []
    for seg in segments:
        mine = []
        for r in ranges:
            start, end = max(r.start, seg.start), min(r.end, seg.end)
            if end - start >= _SLIVER:
                mine.append(Redaction(start - seg.start, end - seg.start, r.entity))
        out.append(merge(mine))
    return out


def spans_under(transcript: Transcript, ranges: list[Redaction]):
    """PII spans (character offsets in the transcript) for the words inside the time ranges."""
    from .pii import PiiSpan

    out = []
    for w, (a, b) in zip(transcript.words, transcript.char_spans()):
        for r in ranges:
            middle = (w.start + w.end) / 2
            if r.start <= middle <= r.end:
                out.append(PiiSpan(a, b, r.entity, 0.5))
                break
    return out


def apply(samples: np.ndarray, redactions: list[Redaction], *, mode: str = "tone", rate: int = RATE) -> np.ndarray:
    """A copy of the audio with every redaction range replaced by a tone or silence."""
    if mode not in ("tone", "silence"):
        raise ValueError("mode must be 'tone' or 'silence'")
    y = np.array(samples, dtype=np.float32, copy=True)
    for r in redactions:
        a, b = int(round(r.start * rate)), min(y.size, int(round(r.end * rate)))
        if b <= a:
            continue
        n = b - a
        if mode == "silence":
            y[a:b] = 0.0
            continue
        t = np.arange(n) / rate
        tone = (10 ** (TONE_DBFS / 20) * np.sqrt(2)) * np.sin(2 * np.pi * TONE_HZ * t)
        fade = np.minimum(1.0, np.minimum(np.arange(n), np.arange(n)[::-1]) / max(1, int(_FADE * rate)))
        y[a:b] = (tone * fade).astype(np.float32)
    return y
