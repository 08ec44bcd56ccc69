"""What the detector measures, shared with the embedder (which cancels part of it)."""
from __future__ import annotations

import numpy as np

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
