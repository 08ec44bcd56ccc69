"""Detection: find the grid, list the likely serials, and test each with a pattern the listing
never looked at.

Every clip is read in both formats (`embedding`): format 1 measures each cell's loudness against
its neighbouring bands, format 2 each cell's tilt (lower against upper half of its band)
against the band's mean over the clip. The steps are the same for both:

1. Per 32 ms frame every 8 ms, the log energy of every band (format 1, Hann window), or the
   log ratio of the energies of its two halves (format 2, through a flatter window:
   `TILT_WINDOW_POWER`).
2. For every time-stretch factor of a small grid (a copy played a little fast or slow) and
   every start offset within a cell, the clip is cut into cells, each cell whitened (format 1:
   against its neighbouring bands, `features.whiten`; format 2: against its band's mean over
   the clip, `features.whiten_tilt`), and the periods are folded onto each other.
3. For every cyclic phase of the period, each payload symbol's 256 values are correlated with
   its cells. Alignments are ranked by the sum over symbols of the best correlation.
4. At the ALIGNMENTS best alignments, every serial made of the LIST best values of each
   symbol is tested: its verification pattern (a keyed function of the whole serial, on cells
   the listing did not use) is correlated with the clip. Given the clip, those chips are fair
   coin flips whenever the clip does not carry that serial under that key (unmarked audio,
   another key, or a wrongly decoded serial), so by Hoeffding's inequality
   P(z >= t) <= exp(-t^2 / 2), whatever the audio. The false-alarm probability stated is that
   bound times the number of serials tested (`TESTS` per key and format): a union bound over
   every test the trace made.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from . import keys, layout
from .features import half_band_energy, tilt, whiten, whiten_tilt

HOP = 128
FRAMES_PER_CELL = layout.CELL_SAMPLES // HOP
#: Time-stretch factors searched (a copy played up to 2.5% fast or slow).
STRETCHES = tuple(float(s) for s in np.round(np.arange(0.975, 1.0251, 0.005), 4))
#: Alignments kept after ranking, at the original speed and among the other stretches (a copy
#: is most often at its original speed: there its alignment competes with 8x fewer others),
#: and values kept per symbol at each: every combination is one test of the verification pattern.
ALIGNMENTS = 6
LIST = 8
TESTS = 2 * ALIGNMENTS * LIST ** layout.SYMBOLS
#: The formats read (embedding.FORMATS); each multiplies the tests of a trace.
FORMATS = (1, 2)
#: A finding is reported only when its false-alarm probability is at most this.
MAX_FALSE_ALARM = 1e-9
_WINDOW = np.hanning(layout.N_FFT + 1)[:-1].astype(np.float32)
#: Format 2 reads its tilt through a flatter window, Hann ** TILT_WINDOW_POWER (issue 19, fourth
#: round): its narrower main lobe leaks less of one half-band (2 bins) into the other, so the
#: same mark reads with a higher score under noise and re-recording (bench/watermark_variants.py).
TILT_WINDOW_POWER = 0.25
_TILT_WINDOW = (np.hanning(layout.N_FFT + 1)[:-1] ** TILT_WINDOW_POWER).astype(np.float32)
_BAND_BINS = slice(layout.FIRST_BIN, layout.FIRST_BIN + layout.BANDS * layout.BAND_BINS)


@dataclass(frozen=True)
class Finding:
    """The best verified candidate of one trace (also when it is not significant)."""

    serial: int | None          # None: no candidate reached MAX_FALSE_ALARM
    key_id: str | None
    score: float                # z-score of the verification pattern
    false_alarm: float          # bound on the probability that a clip without it scores this high
    stretch: float = 1.0
    offset_seconds: float = 0.0
    format: int | None = None   # the format of the mark found (None when none is)

    @property
    def found(self) -> bool:
        return self.serial is not None


def false_alarm_bound(score: float, tests: int) -> float:
    """Union (Bonferroni) over `tests` of Hoeffding's exp(-z^2/2) for a Rademacher sum."""
    if score <= 0:
        return 1.0
    return min(1.0, tests * float(np.exp(-score * score / 2.0)))


def band_power(x: np.ndarray, window: np.ndarray = _WINDOW) -> np.ndarray:
    """(frames, BANDS * BAND_BINS) power of the band's bins, frame f centred on sample f * HOP
    (Hann window unless told: format 1's analysis)."""
    n = layout.N_FFT
    padded = np.zeros(x.size + n, dtype=np.float32)
    padded[n // 2:n // 2 + x.size] = x
    frames = np.lib.stride_tricks.sliding_window_view(padded, n)[::HOP][: x.size // HOP + 1] * window
    spectrum = np.fft.rfft(frames, axis=1)[:, _BAND_BINS]
    return spectrum.real ** 2 + spectrum.imag ** 2


def band_log_energy(x: np.ndarray, power: np.ndarray | None = None) -> np.ndarray:
    """(frames, BANDS) natural-log energy, frame f centred on sample f * HOP (format 1)."""
    power = band_power(x) if power is None else power
    energy = power.reshape(power.shape[0], layout.BANDS, layout.BAND_BINS).sum(axis=2)
    floor = max(float(energy.max()), 1e-20) * 1e-7  # -70 dB: digital silence is not -inf
    return np.log(energy + floor)


def band_tilt(x: np.ndarray, power: np.ndarray | None = None) -> np.ndarray:
    """(frames, BANDS) log ratio of each band's lower half to its upper half (format 2)."""
    power = band_power(x) if power is None else power
    return tilt(half_band_energy(power))


#: format -> (per-frame feature, whitening of the cells, analysis window)
_READERS = {1: (band_log_energy, whiten, _WINDOW), 2: (band_tilt, whiten_tilt, _TILT_WINDOW)}


def cell_means(log_energy: np.ndarray, start: float, cell_frames: float) -> np.ndarray:
    """(cells, BANDS): mean of each cell [start + k*cell_frames, +cell_frames) in frame units,
    fractional edges interpolated (frames are piecewise constant around their centres)."""
    frames = log_energy.shape[0]
    count = int((frames - start) // cell_frames)
    if count <= 0:
        return np.zeros((0, layout.BANDS))
    cumulative = np.vstack([np.zeros((1, layout.BANDS)), np.cumsum(log_energy, axis=0)])
    position = np.clip(start + cell_frames * np.arange(count + 1) + 0.5, 0, frames)
    whole = np.minimum(position.astype(int), frames - 1)
    at = cumulative[whole] + (position - whole)[:, None] * log_energy[whole]
    return (at[1:] - at[:-1]) / cell_frames


def fold(cells: np.ndarray) -> np.ndarray:
    """(PERIOD_CELLS, BANDS): the cells of every period summed (cell k onto column k mod period)."""
    out = np.zeros((layout.PERIOD_CELLS, layout.BANDS))
    np.add.at(out, np.arange(cells.shape[0]) % layout.PERIOD_CELLS, cells)
    return out


def folded_cells(log_energy: np.ndarray, stretch: float, start: float, whitening=whiten) -> np.ndarray:
    return fold(whitening(cell_means(log_energy, start, FRAMES_PER_CELL * stretch)))


def _phases(folded: np.ndarray) -> np.ndarray:
    """(PERIOD_CELLS, CELLS): the folded grid read at every cyclic phase of the period."""
    rows = (np.arange(layout.PERIOD_CELLS)[None, :] - np.arange(layout.PERIOD_CELLS)[:, None]) % layout.PERIOD_CELLS
    return folded[rows].reshape(layout.PERIOD_CELLS, -1)


def symbol_correlations(by_phase: np.ndarray, patterns: keys.Patterns) -> np.ndarray:
    """(phases, SYMBOLS, values): normalised correlation of every value of every symbol."""
    out = []
    for cells, table in zip(patterns.data_cells, patterns.symbol_chips):
        values = by_phase[:, cells]
        norms = np.sqrt((values ** 2).sum(axis=1)) + 1e-12
        out.append((values @ table.T) / norms[:, None])
    return np.stack(out, axis=1)


def verification_score(values: np.ndarray, secret: bytes, serial: int) -> float:
    """z of one serial's verification pattern against the clip's verification cells."""
    norm = float(np.sqrt((values ** 2).sum()))
    return float(keys.verify_chips(secret, serial) @ values / norm) if norm else 0.0


def _search(log_energy: np.ndarray, patterns: keys.Patterns, stretches, whitening=whiten):
    """The ALIGNMENTS best (score, stretch, start, phase, grid at that phase, correlations) at
    the original speed, and the ALIGNMENTS best at the other stretches."""
    return (_ranked(log_energy, patterns, [s for s in stretches if s == 1.0], whitening)
            + _ranked(log_energy, patterns, [s for s in stretches if s != 1.0], whitening))


def _ranked(log_energy: np.ndarray, patterns: keys.Patterns, stretches, whitening=whiten):
    ranked = []
    for stretch in stretches:
        for start in range(FRAMES_PER_CELL):
            by_phase = _phases(folded_cells(log_energy, stretch, start, whitening))
            correlations = symbol_correlations(by_phase, patterns)
            scores = correlations.max(axis=2).sum(axis=1)
            for phase in np.argsort(scores)[::-1][:ALIGNMENTS]:
                ranked.append((float(scores[phase]), stretch, start, int(phase), by_phase[phase], correlations[phase]))
    ranked.sort(key=lambda r: r[0], reverse=True)
    return ranked[:ALIGNMENTS]


def trace(samples: np.ndarray, wm_keys, stretches=STRETCHES, formats=FORMATS) -> Finding:
    """The best-supported serial in `samples` (16 kHz mono) under any of `wm_keys`, in any of
    `formats` (marks made under format 1 before format 2 existed still trace).

    `found` is False when nothing reaches MAX_FALSE_ALARM; score and false_alarm then
    describe the best candidate anyway. The bound counts every test of every key and format.
    """
    wm_keys = list(wm_keys)
    formats = tuple(formats)
    x = np.asarray(samples, dtype=np.float32)
    tests = TESTS * max(1, len(wm_keys)) * max(1, len(formats))
    best = Finding(None, None, 0.0, 1.0)
    if x.ndim != 1 or x.size < layout.CELL_SAMPLES * 2 or not wm_keys:
        return best
    for fmt in formats:
        feature, whitening, window = _READERS[fmt]
        best = _trace_format(feature(x, band_power(x, window)), whitening, fmt, wm_keys, stretches, tests, best)
    return best


def _trace_format(frames: np.ndarray, whitening, fmt: int, wm_keys, stretches, tests: int, best: Finding) -> Finding:
    """`best` or a better-scoring candidate of format `fmt` (frames: its per-frame feature)."""
    for key in wm_keys:
        patterns = keys.patterns(key.secret)
        for _, stretch, start, phase, grid, correlations in _search(frames, patterns, stretches, whitening):
            values = grid[patterns.verify_cells]
            norm = float(np.sqrt((values ** 2).sum()))
            if norm == 0.0:
                continue
            shortlist = np.argsort(correlations, axis=1)[:, ::-1][:, :LIST]
            serials = [layout.serial_of(symbols) for symbols in itertools.product(*shortlist)]
            scores = keys.verify_chips_many(key.secret, serials) @ values / norm
            top = int(np.argmax(scores))
            if scores[top] > best.score:
                score = float(scores[top])
                false_alarm = false_alarm_bound(score, tests)
                found = false_alarm <= MAX_FALSE_ALARM
                offset = (start * HOP - phase * layout.CELL_SAMPLES * stretch) / layout.RATE
                best = Finding(serials[top] if found else None, key.key_id if found else None, score, false_alarm,
                               stretch, float(offset), fmt if found else None)
    return best
