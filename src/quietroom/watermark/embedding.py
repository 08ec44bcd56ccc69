"""Embedding: each cell of the grid made a fraction of a decibel louder or quieter.

The spectrum of 32 ms frames (hop 16 ms, square-root Hann windows on both sides, which
overlap-add back to the input exactly) is multiplied in the telephone band by a per-cell gain
and resynthesised. The gain has two parts:
- the mark: exp(±STRENGTH) following the serial's cell pattern. It is proportional to the
  speech in each cell, so it sits under the speech (masked by it) and vanishes in silence;
- host cancellation (improved spread spectrum, Malvar and Florêncio 2003): each cell is pulled
  HOST_CANCEL of the way towards its neighbouring bands, the detector's own estimate of the
  speech around it. The speech's fine structure is the detector's main noise, and the
  embedder, which knows it, removes part of it.
Costs two FFTs per frame: a few milliseconds for a 10 s snippet.
"""
from __future__ import annotations

import numpy as np
import scipy.fft

from . import keys, layout
from .features import whiten

#: Natural-log amplitude step of a cell (0.42 ≈ ±3.6 dB), and the share of the speech's own
#: cell-to-band contrast taken out: chosen by measurement (bench/watermark.py, docs/privacy.md).
#: Whisper's WER follows the step (what the mark adds), hardly the cancellation (what it takes
#: away: 60% alone moved it by 0.15 points), so cancellation is the cheap way to a stronger
#: mark; PESQ bounds it (0.9 fell below 4.0).
STRENGTH = 0.42
HOST_CANCEL = 0.5

_WINDOW = np.sqrt(np.hanning(layout.N_FFT + 1)[:-1]).astype(np.float32)  # periodic: sums to one at hop N/2
_BAND = slice(layout.FIRST_BIN, layout.FIRST_BIN + layout.BANDS * layout.BAND_BINS)
_FRAMES_PER_CELL = layout.CELL_SAMPLES // layout.EMBED_HOP


def embed(samples: np.ndarray, key: keys.WatermarkKey, serial: int, strength: float = STRENGTH,
          host_cancel: float = HOST_CANCEL) -> np.ndarray:
    """`samples` (16 kHz mono float) with `serial` marked under `key`; same length, float32."""
    x = np.asarray(samples, dtype=np.float32)
    if x.ndim != 1:
        raise ValueError("watermark.embed expects mono samples, shape (frames,)")
    pattern = keys.cell_chips(key.secret, serial)
    if x.size == 0:
        return x.copy()
    hop, n = layout.EMBED_HOP, layout.N_FFT
    frames_count = -(-x.size // hop) + 1
    padded = np.zeros((frames_count + 1) * hop, dtype=np.float32)
    padded[hop:hop + x.size] = x  # frame f is centred on sample f * hop of the input
    frames = np.lib.stride_tricks.sliding_window_view(padded, n)[::hop][:frames_count] * _WINDOW
    spectrum = scipy.fft.rfft(frames, axis=1, workers=1)[:, _BAND]  # float32 throughout: 5x numpy's rfft here
    cell_of_frame = np.arange(frames_count) // _FRAMES_PER_CELL
    log_gain = strength * pattern[cell_of_frame % layout.PERIOD_CELLS]
    if host_cancel:
        log_gain -= host_cancel / 2 * _host_contrast(spectrum, cell_of_frame)[cell_of_frame]
    gain = np.exp(np.repeat(log_gain, layout.BAND_BINS, axis=1)) - 1.0
    delta_spectrum = np.zeros((frames_count, n // 2 + 1), dtype=np.complex64)
    delta_spectrum[:, _BAND] = spectrum * gain
    delta = np.fft.irfft(delta_spectrum, n=n, axis=1).astype(np.float32) * _WINDOW
    added = np.zeros((frames_count + 1, hop), dtype=np.float32)  # overlap-add at hop = n / 2
    added[:-1] += delta[:, :hop]
    added[1:] += delta[:, hop:]
    out = x + added.reshape(-1)[hop:hop + x.size]
    peak = float(np.abs(out).max())
    if peak > 1.0:  # scaled rather than clipped: a constant gain leaves the mark (and the sound) intact
        out /= peak
    return out.astype(np.float32, copy=False)


def _host_contrast(spectrum: np.ndarray, cell_of_frame: np.ndarray) -> np.ndarray:
    """(cells, BANDS): the unmarked audio's whitened cell log energy, as the detector sees it."""
    power = (spectrum.real ** 2 + spectrum.imag ** 2).reshape(len(spectrum), layout.BANDS, layout.BAND_BINS).sum(axis=2)
    cells = cell_of_frame[-1] + 1  # frames are consecutive per cell: a reshape sums them (np.add.at took a fifth)
    per_frame = np.zeros((cells * _FRAMES_PER_CELL, layout.BANDS))
    per_frame[:len(power)] = power
    energy = per_frame.reshape(cells, _FRAMES_PER_CELL, layout.BANDS).sum(axis=1)
    return whiten(np.log(energy + max(float(energy.max()), 1e-20) * 1e-7))
