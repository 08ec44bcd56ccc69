"""What the detector measures, shared with the embedder (which cancels part of it)."""
from __future__ import annotations

import numpy as np

from . import layout

#: Whitened values beyond this (natural-log energy) are onsets and edges of speech, not mark:
#: clipping them keeps a few loud cells from drowning the rest.
CLIP = 1.0


def whiten(cell_log_energy: np.ndarray) -> np.ndarray:
    """Each cell's log energy minus the mean of the bands just below and above it, clipped.

    The speech's spectral envelope is smooth across neighbouring bands while the mark jumps
    from cell to cell; neighbours in time were measured to predict a cell worse (speech
    loudness changes faster than 64 ms).
    """
    c = np.asarray(cell_log_energy, dtype=np.float64)
    if c.shape[0] == 0:
        return c
    padded = np.pad(c, ((0, 0), (1, 1)), mode="edge")
    return np.clip(c - (padded[:, :-2] + padded[:, 2:]) / 2.0, -CLIP, CLIP)


#: Format 2: clip of the whitened within-band tilt (natural-log ratio of the lower to the upper
#: half of a band's energy).
TILT_CLIP = 1.0


def half_band_energy(power: np.ndarray) -> np.ndarray:
    """(frames, BANDS * BAND_BINS) power of the mark's bins -> (frames, BANDS, 2) energy of each
    band's lower and upper half (format 2's embedder and detector). The two bins of each half
    are added by hand: numpy's sum over an axis of two took six times longer."""
    pairs = power.reshape(len(power), layout.BANDS * 2, 2)
    return (pairs[..., 0] + pairs[..., 1]).reshape(len(power), layout.BANDS, 2)


assert layout.BAND_BINS == 4, "half_band_energy adds the two bins of each half-band by hand"


def tilt(halves_energy: np.ndarray) -> np.ndarray:
    """(..., BANDS, 2) energy of each band's lower and upper half -> (..., BANDS) log ratio."""
    e = np.asarray(halves_energy, dtype=np.float64)
    floor = max(float(e.max()) if e.size else 0.0, 1e-20) * 1e-7  # -70 dB, as the band energies
    return np.log(e[..., 0] + floor) - np.log(e[..., 1] + floor)


def whiten_tilt(cell_tilt: np.ndarray) -> np.ndarray:
    """Format 2: each cell's tilt minus its band's mean over the clip, clipped.

    A room, a loudspeaker or a phone line multiplies the spectrum by a response fixed in time;
    in the log ratio of two half-bands it is a constant per band, which the mean over the
    clip takes out (measured better than the previous and next cells, bench/watermark_variants.py).
    """
    c = np.asarray(cell_tilt, dtype=np.float64)
    if c.shape[0] == 0:
        return c
    return np.clip(c - c.mean(axis=0, keepdims=True), -TILT_CLIP, TILT_CLIP)
