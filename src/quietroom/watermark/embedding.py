"""Embedding: each cell of the grid carries its chip as a small change of the speech's spectrum.

The spectrum of 32 ms frames (hop 16 ms, square-root Hann windows on both sides, which
overlap-add back to the input exactly) is multiplied in the telephone band by a per-cell gain
and resynthesised. Two formats (the detector reads both, `detection.trace`):

Format 1 (2026, issue 19 rounds 1-2): each cell made louder or quieter.
- the mark: exp(±STRENGTH) following the serial's cell pattern. It is proportional to the
  speech in each cell, so it sits under the speech (masked by it) and vanishes in silence;
- host cancellation (improved spread spectrum, Malvar and Florêncio 2003): each cell is pulled
  HOST_CANCEL of the way towards its neighbouring bands, the detector's own estimate of the
  speech around it. The speech's fine structure is the detector's main noise, and the
  embedder, which knows it, removes part of it.

Format 2 (issue 19 round 3, bench/watermark_variants.py): each cell's band keeps its energy and
is tilted instead: the lower half of the band (62.5 Hz) made louder and the upper half quieter,
or the other way round, by TILT_STRENGTH. Whisper's log-mel front end sees far less of a tilt
inside 125 Hz than of a 125 Hz band's loudness, while a room, loudspeaker or phone line, whose
response is fixed in time, only adds a constant per band to the log ratio of the halves, which
the detector takes out (`features.whiten_tilt`). Host cancellation as in format 1, on the
tilt: TILT_HOST_CANCEL of each cell's own whitened tilt is taken out.

Every play is marked while the reviewer waits, so the work is compiled code: one numba call
(`_marked`) does the whole embedding, a second of audio at a time, with pocketfft's FFTs called
from inside it (rocket-fft); numpy made a dozen whole-clip temporaries, and scipy's FFTs called
from Python between the kernels cost a dispatch each. A 3 s clip takes 0.36 ms hot (the
kernels called one by one: 0.60 the same hour); the marked audio is the numpy code's
(tests/watermark/test_embedding_kernels.py). The call never holds the interpreter lock, so a
worker's other threads run Python meanwhile.
"""
from __future__ import annotations

import numba
import numpy as np
import scipy.fft

from . import features, keys, layout

#: The format `embed` writes unless told otherwise.
FORMAT = 2
FORMATS = (1, 2)

#: Format 1. Natural-log amplitude step of a cell (0.42 ≈ ±3.6 dB), and the share of the
#: speech's own cell-to-band contrast taken out: chosen by measurement (bench/watermark.py,
#: docs/privacy.md). Whisper's WER follows the step (what the mark adds), hardly the
#: cancellation (what it takes away: 60% alone moved it by 0.15 points), so cancellation is the
#: cheap way to a stronger mark; PESQ bounds it (0.9 fell below 4.0).
STRENGTH = 0.42
HOST_CANCEL = 0.5

#: Format 2. Natural-log amplitude step of each half-band (the log power ratio of the halves
#: moves by 4x this), and the share of the speech's own whitened tilt taken out. Chosen on the
#: bench's 200 snippets (bench/watermark_variants.py, docs/privacy.md): with the fourth round's
#: reader (Hann^0.25) the weakest step that traces 98% under 20 dB noise. Whisper tiny.en +0.79
#: and -0.33 points on two draws of serials (0.5 / 0.6, written until the fourth round: +1.1 to
#: +1.9; format 1: +5.4 to +9.1), PESQ 4.12 (4.02).
TILT_STRENGTH = 0.42
TILT_HOST_CANCEL = 0.7

_WINDOW = np.sqrt(np.hanning(layout.N_FFT + 1)[:-1]).astype(np.float32)  # periodic: sums to one at hop N/2
_FRAMES_PER_CELL = layout.CELL_SAMPLES // layout.EMBED_HOP
#: Frames per FFT call (about a second of audio). A chunk's frames, spectrum and change each
#: take under 128 KB, below which glibc's malloc reuses freed memory instead of mapping fresh
#: pages (each first touched with a page fault), and stay in the CPU's cache between kernels.
#: In one call over a whole 8 s clip (1 MB each) a fresh process took 1,097 page faults per
#: embedding, 3.4 ms against 1.15 in chunks; the chunks' extra FFT calls (5 us each) cost a 3 s
#: clip 0.03 ms (0.445 against 0.412 ms).
_CHUNK = 60
assert layout.BAND_BINS == 4, "the kernels split each band into two halves of two bins"
assert 2 * layout.EMBED_HOP == layout.N_FFT, "the kernels overlap-add frames at half their length"


def embed(samples: np.ndarray, key: keys.WatermarkKey, serial: int, strength: float | None = None,
          host_cancel: float | None = None, *, format: int = FORMAT) -> np.ndarray:
    """`samples` (16 kHz mono float) with `serial` marked under `key`; same length, float32.

    `strength` and `host_cancel` default to the format's own settings."""
    # numba compiles its kernels anew for a strided or read-only array: a copy costs far less
    x = np.ascontiguousarray(samples, dtype=np.float32)
    if not x.flags.writeable:
        x = x.copy()
    if x.ndim != 1:
        raise ValueError("watermark.embed expects mono samples, shape (frames,)")
    if format not in FORMATS:
        raise ValueError(f"unknown watermark format {format}")
    pattern = keys.cell_chips(key.secret, serial)
    if x.size == 0:
        return x.copy()
    return _marked(x, _WINDOW, pattern, *_settings(format, strength, host_cancel))


def embed_pcm16(pcm: np.ndarray, key: keys.WatermarkKey, serial: int) -> np.ndarray:
    """16 kHz mono 16-bit samples with `serial` marked under `key` in FORMAT, as 16-bit samples:
    the samples of `encode_wav(embed(decode_own_wav(...)))`, byte for byte, without the float
    copies on either side (every play is marked while the reviewer waits)."""
    x = np.ascontiguousarray(pcm, dtype=np.int16)
    if x.ndim != 1:
        raise ValueError("watermark.embed_pcm16 expects mono samples, shape (frames,)")
    if x.size == 0:
        return x.copy()
    return _marked_pcm16(x, _WINDOW, keys.cell_chips(key.secret, serial), *_settings(FORMAT))


def _settings(format: int, strength: float | None = None, host_cancel: float | None = None) -> tuple:
    """The kernels' arguments after the pattern, for `format` (`strength` and `host_cancel`
    default to the format's own)."""
    if format == 1:
        strength = STRENGTH if strength is None else strength
        host_cancel = HOST_CANCEL if host_cancel is None else host_cancel
    else:
        strength = TILT_STRENGTH if strength is None else strength
        host_cancel = TILT_HOST_CANCEL if host_cancel is None else host_cancel
    tilt = format == 2
    return (float(strength), float(host_cancel), tilt, _FRAMES_PER_CELL, layout.FIRST_BIN, layout.BANDS, _CHUNK,
            features.TILT_CLIP if tilt else features.CLIP)


# The kernels: numba, compiled on their first call in a process or loaded from numba's cache on
# disk (`_kernel`); gunicorn's workers do that before their first request (ops/worker.py).
# Everything they need comes in as arguments, none from `layout`: numba's cache is keyed by
# this file's text, and would keep a kernel compiled with another file's old value.

def _kernel(function):
    """`function` compiled, without the interpreter lock (a worker's threads mark at the same
    time), and cached on disk where numba finds a writable place (NUMBA_CACHE_DIR, __pycache__
    beside this file, or the user's cache folder). The cache holds machine code compiled from
    this file only, never audio or keys. Where nothing is writable (a read-only install and
    home) numba refuses cache=True outright, so each process compiles instead (3.8 s, at
    worker start: ops/worker.py)."""
    try:
        return numba.njit(cache=True, nogil=True)(function)
    except RuntimeError:  # "cannot cache function ...: no locator available for file ..."
        return numba.njit(nogil=True)(function)


@_kernel
def _marked(x, window, pattern, strength, host_cancel, tilt, frames_per_cell, first_bin, bands, chunk, clip):
    """The whole embedding in one call that never takes the interpreter lock: the analysis, the
    gains, the resynthesis. The FFTs are pocketfft's, called from compiled code through
    rocket-fft (the same results as scipy.fft's, bit for bit)."""
    n = window.size
    count = -(-x.size // (n // 2)) + 1  # frame f is centred on sample f * hop
    width = 4 * bands
    band = np.empty((count, width), dtype=np.complex64)  # the mark's bins of every frame
    halves = np.empty((count, bands, 2), dtype=np.float32)  # and the energy of each band's halves
    for first in range(0, count, chunk):
        last = min(first + chunk, count)
        spectrum = scipy.fft.rfft(_frames(x, window, first, last - first), axis=1)
        _keep_band(spectrum, first_bin, band[first:last], halves[first:last])
    # The gains need the whole clip's analysis: format 2 whitens a cell's tilt by its band's mean.
    if tilt:
        gains = _tilt_gains(halves, pattern, frames_per_cell, strength, host_cancel, clip)
    else:
        gains = _loudness_gains(halves, pattern, frames_per_cell, strength, host_cancel, clip)
    out, before, peak = np.empty_like(x), np.zeros(n, dtype=np.float32), np.float32(0.0)  # frame -1: nothing
    for first in range(0, count, chunk):
        last = min(first + chunk, count)
        change = _delta_spectrum(band[first:last], gains[first:last], first_bin, n // 2 + 1)
        delta = scipy.fft.irfft(change, n=n, axis=1)  # float32 in, float32 out
        peak = max(peak, _overlap_add(x, delta, before, window, first, out))
        before = delta[last - first - 1].copy()
    if peak > 1.0:  # scaled rather than clipped: a constant gain leaves the mark (and the sound) intact
        out /= peak
    return out


@_kernel
def _marked_pcm16(pcm, window, pattern, strength, host_cancel, tilt, frames_per_cell, first_bin, bands, chunk, clip):
    """`_marked` from 16-bit samples to 16-bit samples, converting as `audio_io.decode_own_wav`
    and `audio_io.encode_wav` do (x / 32768; floor of x * 32768, saturated)."""
    scale = np.float32(32768.0)
    x = np.empty(pcm.size, dtype=np.float32)
    for i in range(pcm.size):
        x[i] = np.float32(pcm[i]) / scale
    marked = _marked(x, window, pattern, strength, host_cancel, tilt, frames_per_cell, first_bin, bands, chunk, clip)
    out = np.empty(pcm.size, dtype=np.int16)
    for i in range(marked.size):
        v = marked[i]
        if not np.isfinite(v):
            raise ValueError("samples contain non-finite values")
        v = np.floor(min(max(v, np.float32(-1.0)), np.float32(1.0)) * scale)
        out[i] = np.int16(min(max(v, np.float32(-32768.0)), np.float32(32767.0)))
    return out


@_kernel
def _frames(x, window, first, count):
    """(count, N): frames first.. of `x` times `window`, frame f centred on sample f * N/2
    (zeros beyond the ends)."""
    n = window.size
    hop = n // 2
    out = np.zeros((count, n), dtype=np.float32)
    for i in range(count):
        start = (first + i - 1) * hop
        lo, hi = max(0, -start), min(n, x.size - start)
        # Views indexed from 0: an index that may be negative (start + j) makes numba check for
        # wrap-around on every access, which kept the loop from vectorising (10x slower).
        row, samples, w = out[i, lo:hi], x[start + lo:start + hi], window[lo:hi]
        for j in range(hi - lo):
            row[j] = samples[j] * w[j]
    return out


@_kernel
def _keep_band(spectrum, first_bin, band, halves):
    """Copy the mark's bins of `spectrum` into `band`, and the energy of each band's lower and
    upper half into `halves` ((frames, BANDS, 2), as `features.half_band_energy`)."""
    for f in range(band.shape[0]):
        row = spectrum[f, first_bin:first_bin + band.shape[1]]
        for b in range(halves.shape[1]):
            for h in range(2):
                lo, hi = row[4 * b + 2 * h], row[4 * b + 2 * h + 1]
                band[f, 4 * b + 2 * h], band[f, 4 * b + 2 * h + 1] = lo, hi
                halves[f, b, h] = (lo.real * lo.real + lo.imag * lo.imag) + (hi.real * hi.real + hi.imag * hi.imag)


# The host's contrast, as the detector reads it (features.py; the numpy reference in
# tests/watermark/test_embedding_kernels.py checks the two agree).

@_kernel
def _per_cell(halves, frames_per_cell):
    """(cells, BANDS, 2): the half-band energies summed per cell, in float64."""
    cells = np.zeros(((halves.shape[0] + frames_per_cell - 1) // frames_per_cell, halves.shape[1], 2))
    for f in range(halves.shape[0]):
        for b in range(halves.shape[1]):
            for h in range(2):
                cells[f // frames_per_cell, b, h] += halves[f, b, h]
    return cells


@_kernel
def _whitened_tilt(cells, clip):
    """Format 2, (cells, BANDS): each cell's log ratio of its halves' energy (`features.tilt`)
    minus its band's mean over the clip, clipped (`features.whiten_tilt`)."""
    floor = max(cells.max(), 1e-20) * 1e-7  # -70 dB, as the detector
    tilt = np.log(cells[:, :, 0] + floor) - np.log(cells[:, :, 1] + floor)
    mean = np.zeros(tilt.shape[1])
    for c in range(tilt.shape[0]):  # row by row, as numpy's mean over the first axis adds
        mean += tilt[c]
    mean /= tilt.shape[0]
    for c in range(tilt.shape[0]):
        for b in range(tilt.shape[1]):
            tilt[c, b] = min(max(tilt[c, b] - mean[b], -clip), clip)
    return tilt


@_kernel
def _whitened_loudness(cells, clip):
    """Format 1, (cells, BANDS): each cell's log energy minus the mean of the bands just below
    and above it (the band itself at the edges), clipped (`features.whiten`)."""
    energy = cells[:, :, 0] + cells[:, :, 1]
    level = np.log(energy + max(energy.max(), 1e-20) * 1e-7)
    bands = level.shape[1]
    out = np.empty_like(level)
    for c in range(level.shape[0]):
        for b in range(bands):
            around = (level[c, max(b - 1, 0)] + level[c, min(b + 1, bands - 1)]) / 2.0
            out[c, b] = min(max(level[c, b] - around, -clip), clip)
    return out


@_kernel
def _tilt_gains(halves, pattern, frames_per_cell, strength, host_cancel, clip):
    """Format 2: (frames, BANDS, 2) amplitude gain minus one of each half-band. A cell's step
    moves the log power ratio of its halves by 4 * step, and each frame's band keeps its energy."""
    host = _whitened_tilt(_per_cell(halves, frames_per_cell), clip)
    frames, bands = halves.shape[0], halves.shape[1]
    lower, upper = np.empty(host.shape), np.empty(host.shape)  # power gains: the step is per cell
    for cell in range(host.shape[0]):
        for b in range(bands):
            # the chip in float32, as numpy multiplies a float32 pattern by a Python float
            chip = np.float32(strength) * pattern[cell % pattern.shape[0], b]
            step = chip - host_cancel / 4 * host[cell, b]
            lower[cell, b], upper[cell, b] = np.exp(2 * step), np.exp(-2 * step)
    gains = np.empty((frames, bands, 2), dtype=np.float32)
    for f in range(frames):
        cell = f // frames_per_cell
        for b in range(bands):
            lower_half = halves[f, b, 0] + np.float32(1e-20)
            upper_half = halves[f, b, 1] + np.float32(1e-20)
            keep = np.float64(lower_half + upper_half) / (lower[cell, b] * lower_half + upper[cell, b] * upper_half)
            gains[f, b, 0] = np.float32(np.sqrt(min(max(lower[cell, b] * keep, 0.05), 20.0))) - np.float32(1.0)
            gains[f, b, 1] = np.float32(np.sqrt(min(max(upper[cell, b] * keep, 0.05), 20.0))) - np.float32(1.0)
    return gains


@_kernel
def _loudness_gains(halves, pattern, frames_per_cell, strength, host_cancel, clip):
    """Format 1: (frames, BANDS, 2) amplitude gain minus one of each half-band, both halves of a
    cell alike."""
    host = _whitened_loudness(_per_cell(halves, frames_per_cell), clip)
    frames, bands = halves.shape[0], halves.shape[1]
    per_cell = np.empty(host.shape, dtype=np.float32)
    for cell in range(host.shape[0]):
        for b in range(bands):
            chip = np.float32(strength) * pattern[cell % pattern.shape[0], b]  # float32, as in _tilt_gains
            per_cell[cell, b] = np.float32(np.exp(chip - host_cancel / 2 * host[cell, b])) - np.float32(1.0)
    gains = np.empty((frames, bands, 2), dtype=np.float32)
    for f in range(frames):
        for b in range(bands):
            gains[f, b, 0] = gains[f, b, 1] = per_cell[f // frames_per_cell, b]
    return gains


@_kernel
def _delta_spectrum(band, gains, first_bin, bins):
    """(frames, bins): the change the mark makes to the spectrum, each half-band's bins times
    its gain minus one, nothing outside the band."""
    spectrum = np.zeros((band.shape[0], bins), dtype=np.complex64)
    for f in range(band.shape[0]):
        row = spectrum[f, first_bin:first_bin + band.shape[1]]
        for b in range(gains.shape[1]):
            for h in range(2):
                k = 4 * b + 2 * h
                row[k] = band[f, k] * gains[f, b, h]
                row[k + 1] = band[f, k + 1] * gains[f, b, h]
    return spectrum


@_kernel
def _overlap_add(x, delta, before, window, first, out):
    """`out` = `x` plus the windowed change, where frames first.. of it are in hand (`delta`,
    frame f centred on sample f * N/2) and `before` is frame first - 1: the samples where
    each of them meets the frame before it. Returns the largest magnitude written."""
    hop = window.size // 2
    peak = np.float32(0.0)
    for i in range(delta.shape[0]):
        start = (first + i - 1) * hop  # frame first + i's first half, and its previous frame's second
        if start < 0:
            continue  # frame 0's first half lies before the clip
        m = min(hop, x.size - start)
        previous = delta[i - 1] if i > 0 else before
        samples, row = x[start:start + m], out[start:start + m]  # views indexed from 0, as in _frames
        current, previous = delta[i, :m], previous[hop:hop + m]
        for j in range(m):
            value = samples[j] + (current[j] * window[j] + previous[j] * window[hop + j])
            row[j] = value
            peak = max(peak, abs(value))
    return peak
