"""Split a recording into short speech snippets.

The speech mask comes from a VAD (`vad.speech_mask`, passed as `speech`) or, without one,
from frame energy with an adaptive threshold. Either way the same bridging, cutting and
trimming turn it into segments.
Snippets are capped in length so a transcriber never hears much context.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

# Frames quieter than this (dBFS RMS) are never speech, so digital silence
# with a little dither cannot produce segments.
_ABS_FLOOR_DB = -70.0
_FLOOR_MARGIN_DB = 10.0  # speech must stand this far above the noise floor
_PEAK_RANGE_DB = 40.0  # ...and be within this range of the loudest frame
_PAD = 0.1  # seconds of context kept around each segment


@dataclass(frozen=True)
class Segment:
    start: float  # seconds
    end: float

    @property
    def duration(self) -> float:
        return self.end - self.start


def frame_db(samples: np.ndarray, hop: int) -> np.ndarray:
    """RMS level of consecutive non-overlapping frames, in dBFS."""
    x = np.asarray(samples, dtype=np.float32)
    n = math.ceil(x.size / hop)
    padded = np.zeros(n * hop, dtype=np.float32)
    padded[: x.size] = x
    power = np.mean(np.square(padded.reshape(n, hop), dtype=np.float64), axis=1)
    return 10.0 * np.log10(power + 1e-12)


def _runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start (inclusive) and end (exclusive) indices of True runs."""
    edges = np.diff(np.concatenate(([0], mask.astype(np.int8), [0])))
    return np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)


def _split(a: int, b: int, limit: int, min_piece: int, db: np.ndarray) -> list[tuple[int, int]]:
    """Split frames [a, b) into pieces of at most `limit` frames.

    Each cut goes at the quietest frame of a wide window (at least half a
    piece from the last cut, when there is room), so cuts land in the pauses
    between words whenever there are any. A wide window matters more than
    the fewest pieces: shorter snippets are fine, mid-word cuts are not.
    """
    pieces = []
    while b - a > limit:  # a loop, not recursion: hour-long regions are possible
        lo = a + max(min_piece, min(limit // 2, b - a - limit))
        hi = max(min(a + limit, b - min_piece), a + 1)  # always make progress
        lo = min(lo, hi)
        # Smooth over 3 frames so we cut mid-pause rather than at its edge.
        smooth = np.convolve(db[lo - 1 : hi + 2], np.ones(3) / 3.0, mode="valid")
        cut = lo + int(np.argmin(smooth))
        pieces.append((a, cut))
        a = cut
    pieces.append((a, b))
    return pieces


def find_speech_segments(
    samples: np.ndarray,
    rate: int = 16000,
    *,
    max_len: float = 10.0,
    min_speech: float = 0.3,
    min_pause: float = 0.25,
    frame: float = 0.02,
    speech: np.ndarray | None = None,
) -> list[Segment]:
    """Time-ordered, non-overlapping speech segments no longer than max_len.

    `speech`: optional VAD decision per `frame` (as from `vad.speech_mask`); when given it
    replaces the energy threshold (frames below the absolute floor still never count).
    """
    x = np.asarray(samples, dtype=np.float32)
    if x.ndim != 1:
        raise ValueError("samples must be mono, shape (frames,)")
    hop = max(1, int(round(frame * rate)))
    fdur = hop / rate
    if max_len < 2 * _PAD + 2 * fdur:
        raise ValueError("max_len is too short to hold a padded segment")
    if x.size < hop:
        return []
    db = frame_db(x, hop)

    if speech is not None:
        speech = np.asarray(speech, dtype=bool)
        if speech.shape != db.shape:
            raise ValueError(f"speech mask has {speech.size} frames, expected {db.size}")
        raw = speech & (db > _ABS_FLOOR_DB)
    else:
        floor = np.percentile(db, 10)
        threshold = max(floor + _FLOOR_MARGIN_DB, db.max() - _PEAK_RANGE_DB, _ABS_FLOOR_DB)
        raw = db > threshold

    # Hangover: bridge gaps shorter than min_pause so words and short
    # breaths stay in one region.
    starts, ends = _runs(raw)
    if starts.size == 0:
        return []
    bridged = raw.copy()
    short = (starts[1:] - ends[:-1]) < min_pause / fdur
    for g_start, g_end in zip(ends[:-1][short], starts[1:][short]):  # loops over gaps, not frames
        bridged[g_start:g_end] = True

    # Frames budget per piece leaves room for the pad on both sides.
    limit = max(1, int((max_len - 2 * _PAD) / fdur))
    min_frames = max(1, int(round(min_speech / fdur)))
    pieces: list[tuple[int, int]] = []
    for a, b in zip(*_runs(bridged)):
        if b - a < min_frames:
            continue
        for pa, pb in _split(int(a), int(b), limit, min_frames, db):
            # Trim silence the cut may have left at either edge.
            idx = np.flatnonzero(raw[pa:pb])
            if idx.size:
                pieces.append((pa + int(idx[0]), pa + int(idx[-1]) + 1))

    total = x.size / rate
    segments: list[Segment] = []
    for i, (a, b) in enumerate(pieces):
        # Pad, but never past the signal or halfway into a neighbour's gap,
        # so segments cannot overlap.
        lo = 0.0 if i == 0 else (pieces[i - 1][1] + a) / 2 * fdur
        hi = total if i == len(pieces) - 1 else (b + pieces[i + 1][0]) / 2 * fdur
        start = max(a * fdur - _PAD, lo, 0.0)
        end = min(b * fdur + _PAD, hi, total)
        if end > start:
            segments.append(Segment(round(start, 6), round(end, 6)))
    return segments


def cut_snippets(samples: np.ndarray, segments: list[Segment], rate: int = 16000) -> list[np.ndarray]:
    """Copies (not views) of each segment, so snippets don't pin the recording."""
    x = np.asarray(samples)
    return [x[int(round(s.start * rate)) : int(round(s.end * rate))].copy() for s in segments]
