"""Forensic watermark (issue 19): exploration harness for marks Whisper should not hear.

    .venv/bin/python bench/watermark_variants.py [--english 80] [--clips 40] [--unmarked 200]
                                                 [--variants prod,melnull,...] [--attacks noise,rerecord,...]

Every variant keeps the production grid (24 bands of 125 Hz from 312.5 Hz x 64 ms cells, a
24-cell period), the keyed patterns, the 24-bit payload and the verification / false-alarm
logic (keys.py, detection.py); what changes is what a cell's chip does to the audio (the
embedder) and what the detector measures per cell (a frame feature and its whitening). Per
variant it prints: Whisper tiny.en WER of marked minus unmarked English snippets (points; the
unmarked transcripts are made once per process and shared), the share of clips traced exactly
after each attack (bench/watermark_attacks.py, the same draws for every variant), wide-band PESQ
(median) and the largest z on unmarked clips (per detector; the threshold is z >= 7.67).

Variants (name: embedder / detector):
- prod: the production mark (watermark.embed / watermark.trace);
- melnull: the production gain (step and host cancellation) projected, frame by frame, onto
  the null space of Whisper's 80 slaney mel filters weighted by the frame's power spectrum
  (so that, to first order, no mel band's energy changes), optionally through the smoothing
  of Whisper's 25 ms Hann window; detector unchanged;
- tilt: inside each 125 Hz band, the lower and upper 62.5 Hz halves moved in opposite
  directions with the band's energy kept (a step and a host cancellation, like prod); detector:
  log(lower/upper) per cell, whitened against the previous and next cell (the room's fixed
  response cancels); tiltnull: the same gain projected like melnull;
- tiltg: tilt whitened against the band's mean over the whole clip instead (detector and host
  cancellation): measured better under noise and re-recording; this is format 2 of
  src/quietroom/watermark (embedding.embed(format=2));
- phase: each band's bins rotated by +-phi (a constant phase, an LTI filter inside a cell,
  magnitudes untouched); detector: the phase of the cross-spectrum of the two bins at each band
  boundary against the within-band pairs beside it.
Fourth round (issue 19):
- tiltp:step/cancel/profile: format 2 with a per-band step (`profile`: flat, hiN / loN = only
  above / below N Hz, melC = Whisper's mel filter width relative to 1 kHz capped at C,
  himelC = the same with nothing below 1 kHz, rampC); tiltdc: the same with double-centred
  host cancellation and detector; quarter: + - + - quarters of each band (one bin each);
- detectors read with '@name': tiltdc (double centring: band mean over the clip and the cell
  column's mean across bands out), tiltsd (each band scaled by its spread), tiltg15 / tiltg07
  (clip 1.5 / 0.7), tiltr / tiltrdc (log ratio of the cell's summed energies instead of the
  mean of per-frame log ratios), tilt512s / tilt512p25 / tilt512rect / tilt1024 ... (other
  analysis windows), w:profile (format 2's cells weighted by a profile);
- --eer N: bench/watermark.py's speaker re-identification EERs for each variant.
Snippets and key as in bench/watermark.py; nothing is written to disk. The table of what was
measured with it is in docs/privacy.md (issue 19, third round). Rows with the same --english,
--clips and --serial-seed share their unmarked transcripts, serials and attack draws.
"""
from __future__ import annotations

import argparse
import functools
import itertools
import os
import sys
import time
from pathlib import Path

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402

import watermark as wmbench  # noqa: E402  (bench/watermark.py: the same snippets and key)
import watermark_attacks  # noqa: E402
from quietroom import testspeech, watermark  # noqa: E402
from quietroom.watermark import detection, embedding, keys, layout  # noqa: E402
from quietroom.watermark.features import whiten as whiten_bands  # noqa: E402

RATE = 16000
KEY = wmbench.KEY
N = layout.N_FFT
BAND = slice(layout.FIRST_BIN, layout.FIRST_BIN + layout.BANDS * layout.BAND_BINS)
SYN_WINDOW = np.sqrt(np.hanning(N + 1)[:-1]).astype(np.float32)
DET_WINDOW = np.hanning(N + 1)[:-1].astype(np.float32)
EMBED_FPC = layout.CELL_SAMPLES // layout.EMBED_HOP


# ---------------------------------------------------------------------------------------------
# Embedding: a per-frame, per-bin complex multiplier on the production analysis/synthesis frames


def stft_embed(x: np.ndarray, multiplier) -> np.ndarray:
    """x with its 512-point spectrum (sqrt-Hann, hop 256) multiplied by multiplier(spectrum,
    cell_of_frame) -> (frames, N/2+1) complex, resynthesised by overlap-add (as embedding.py)."""
    hop = layout.EMBED_HOP
    frames_count = -(-x.size // hop) + 1
    padded = np.zeros((frames_count + 1) * hop, dtype=np.float32)
    padded[hop:hop + x.size] = x
    frames = np.lib.stride_tricks.sliding_window_view(padded, N)[::hop][:frames_count] * SYN_WINDOW
    spectrum = np.fft.rfft(frames, axis=1)
    cell_of_frame = np.arange(frames_count) // EMBED_FPC
    delta = np.fft.irfft(spectrum * (multiplier(spectrum, cell_of_frame) - 1.0), n=N, axis=1).astype(np.float32)
    delta *= SYN_WINDOW
    added = np.zeros((frames_count + 1, hop), dtype=np.float32)
    added[:-1] += delta[:, :hop]
    added[1:] += delta[:, hop:]
    out = x + added.reshape(-1)[hop:hop + x.size]
    peak = float(np.abs(out).max())
    if peak > 1.0:
        out /= peak
    return out.astype(np.float32)


@functools.lru_cache(maxsize=4)
def whisper_mel(smooth: bool) -> np.ndarray:
    """(80, N/2+1): Whisper's slaney mel filters at this analysis's bins; with `smooth`, seen
    through the power response of Whisper's 25 ms Hann window (what its frames resolve)."""
    from faster_whisper.feature_extractor import FeatureExtractor

    mel = FeatureExtractor.get_mel_filters(RATE, N, 80).astype(np.float64)
    if smooth:
        offsets = np.arange(-6, 7) * RATE / N  # Hz
        t = np.arange(400)
        w = np.hanning(402)[1:-1]
        response = np.abs(np.exp(-2j * np.pi * offsets[:, None] * t[None, :] / RATE) @ w) ** 2
        kernel = response / response.sum()
        mel = np.stack([np.convolve(row, kernel, mode="same") for row in mel])
    return mel


def project_out_mel(u0: np.ndarray, power: np.ndarray, smooth: bool) -> np.ndarray:
    """u0 (frames, bins) power-gain change -> the nearest u with sum_f M_b(f) P(f) u(f) = 0 for
    every mel filter b touching the band (least squares, per frame)."""
    mel = whisper_mel(smooth)[:, BAND]
    rows = np.flatnonzero(mel.sum(axis=1) > 1e-3 * mel.sum(axis=1).max())
    mel = mel[rows]
    p = power[:, BAND] / (power[:, BAND].max(axis=1, keepdims=True) + 1e-20)
    a = mel[None, :, :] * p[:, None, :]                      # (frames, filters, bins)
    gram = a @ a.transpose(0, 2, 1)
    gram += np.eye(len(rows))[None] * (1e-9 + 1e-6 * np.trace(gram, axis1=1, axis2=2)[:, None, None] / len(rows))
    lam = np.linalg.solve(gram, (a @ u0[:, BAND, None]))
    u = u0.copy()
    u[:, BAND] -= (a.transpose(0, 2, 1) @ lam)[:, :, 0]
    return u


def power_gain_to_multiplier(gain: np.ndarray) -> np.ndarray:
    return np.sqrt(np.clip(gain, 0.05, 20.0))


def host_contrast(band, cell_of_frame):
    """(cells, BANDS): format 1's host contrast (the whitened cell log energy), as the embedder
    computes it (its kernels take their own analysis, so this keeps a numpy copy)."""
    power = (band.real ** 2 + band.imag ** 2).reshape(len(band), layout.BANDS, layout.BAND_BINS).sum(axis=2)
    energy = np.zeros((cell_of_frame[-1] + 1, layout.BANDS))
    np.add.at(energy, cell_of_frame, power)
    return whiten_bands(np.log(energy + max(float(energy.max()), 1e-20) * 1e-7))


def prod_log_gain(spectrum, cell_of_frame, pattern, strength, host_cancel):
    band = spectrum[:, BAND]
    log_gain = strength * pattern[cell_of_frame % layout.PERIOD_CELLS]
    if host_cancel:
        log_gain = log_gain - host_cancel / 2 * host_contrast(band, cell_of_frame)[cell_of_frame]
    return log_gain  # (frames, BANDS), natural-log amplitude


def embed_melnull(x, serial, strength=0.42, host_cancel=0.5, smooth=True, key=KEY):
    pattern = keys.cell_chips(key.secret, serial)

    def multiplier(spectrum, cell_of_frame):
        log_gain = prod_log_gain(spectrum, cell_of_frame, pattern, strength, host_cancel)
        u0 = np.zeros(spectrum.shape)
        u0[:, BAND] = np.exp(2 * np.repeat(log_gain, layout.BAND_BINS, axis=1)) - 1.0
        power = spectrum.real ** 2 + spectrum.imag ** 2
        return power_gain_to_multiplier(1.0 + project_out_mel(u0, power, smooth))

    return stft_embed(np.asarray(x, np.float32), multiplier)


def tilt_contrast(spectrum, cell_of_frame, whiten=None):
    """(cells, BANDS): the host's own whitened log(lower/upper) per cell (as the detector sees it)."""
    power = (spectrum.real ** 2 + spectrum.imag ** 2)[:, BAND].reshape(len(spectrum), layout.BANDS, 2, 2).sum(axis=3)
    energy = np.zeros((cell_of_frame[-1] + 1, layout.BANDS, 2))
    np.add.at(energy, cell_of_frame, power)
    floor = max(float(energy.max()), 1e-20) * 1e-7
    return (whiten or whiten_time)(np.log(energy[..., 0] + floor) - np.log(energy[..., 1] + floor))


def embed_tilt(x, serial, strength=0.42, host_cancel=0.0, project=False, smooth=True, key=KEY, whiten=None):
    pattern = keys.cell_chips(key.secret, serial)

    def multiplier(spectrum, cell_of_frame):
        chips = strength * pattern[cell_of_frame % layout.PERIOD_CELLS]  # (frames, BANDS)
        if host_cancel:
            chips = chips - host_cancel / 2 * tilt_contrast(spectrum, cell_of_frame, whiten)[cell_of_frame] / 2
        power = spectrum.real ** 2 + spectrum.imag ** 2
        halves = power[:, BAND].reshape(len(spectrum), layout.BANDS, 2, 2).sum(axis=3) + 1e-20
        lo, hi = np.exp(2 * chips), np.exp(-2 * chips)          # power gains before normalising
        norm = halves.sum(axis=2) / (lo * halves[..., 0] + hi * halves[..., 1])
        gains = np.stack([lo * norm, hi * norm], axis=2)        # (frames, BANDS, 2)
        u0 = np.zeros(spectrum.shape)
        u0[:, BAND] = np.repeat(gains, 2, axis=2).reshape(len(spectrum), -1) - 1.0
        if project:
            u0 = project_out_mel(u0, power, smooth)
        return power_gain_to_multiplier(1.0 + u0)

    return stft_embed(np.asarray(x, np.float32), multiplier)


#: Centre frequency (Hz) of each band of the grid.
BAND_CENTRES = layout.RATE / N * (layout.FIRST_BIN + layout.BAND_BINS * np.arange(layout.BANDS) + layout.BAND_BINS / 2)


def profile(name: str) -> np.ndarray:
    """(BANDS,) per-band factor on a tilt's step (fourth round: Whisper's mel filters are about as
    fine as a half-band below 1 kHz and 2-4x wider above, so a tilt is more visible low down).
    'flat': 1; 'hiN': 0 below N Hz, 1 above; 'mel': the width of Whisper's slaney mel filters
    at the band (constant below 1 kHz, proportional to frequency above) over its width at
    1 kHz, capped at 'cap'; 'ramp': proportional to the centre frequency over 1 kHz. No
    normalisation: the step given is the one at 1 kHz (mel, ramp) or above N (hiN)."""
    f = BAND_CENTRES
    if name == "flat":
        return np.ones(layout.BANDS)
    if name.startswith("himel"):  # nothing below 1 kHz, mel width above (capped)
        cap = float(name[5:] or 99)
        return np.where(f >= 1000.0, np.minimum(f / 1000.0, cap), 0.0)
    if name.startswith("hi"):
        return (f >= float(name[2:])).astype(float)
    if name.startswith("lo"):
        return (f < float(name[2:])).astype(float)
    if name.startswith("mel"):
        cap = float(name[3:] or 99)
        return np.minimum(np.maximum(f, 1000.0) / 1000.0, cap)
    if name.startswith("ramp"):
        cap = float(name[4:] or 99)
        return np.minimum(f / 1000.0, cap)
    if name.startswith("sq"):  # sqrt of mel width
        return np.sqrt(np.maximum(f, 1000.0) / 1000.0)
    raise SystemExit(f"unknown profile {name}")


def embed_tiltx(x, serial, strength, host_cancel, prof="flat", whiten=None, contrast=None, parts=2, key=KEY):
    """Generalised format-2 embedder: step strength * profile per band; host cancellation of the
    detector's own cell feature (`contrast(spectrum, cell_of_frame)` -> (cells, BANDS) whitened),
    scaled by the same profile's share (cancellation is cheap for Whisper, applied evenly);
    `parts` = 2: lower/upper halves; 4: + - + - quarters (one bin each)."""
    pattern = keys.cell_chips(key.secret, serial)
    w = profile(prof)[None, :]
    contrast = contrast or (lambda sp, c: tilt_contrast(sp, c, whiten or whiten_global))
    sign = np.array([1.0, -1.0]) if parts == 2 else np.array([1.0, -1.0, 1.0, -1.0])
    width = layout.BAND_BINS // parts

    def multiplier(spectrum, cell_of_frame):
        chips = strength * w * pattern[cell_of_frame % layout.PERIOD_CELLS]  # (frames, BANDS)
        if host_cancel:
            chips = chips - host_cancel / 4 * contrast(spectrum, cell_of_frame)[cell_of_frame]
        power = spectrum.real ** 2 + spectrum.imag ** 2
        parts_e = power[:, BAND].reshape(len(spectrum), layout.BANDS, parts, width).sum(axis=3) + 1e-20
        g = np.exp(2 * chips[..., None] * sign[None, None, :])              # (frames, BANDS, parts)
        norm = parts_e.sum(axis=2) / (g * parts_e).sum(axis=2)
        gains = g * norm[..., None]
        u0 = np.zeros(spectrum.shape)
        u0[:, BAND] = np.repeat(gains, width, axis=2).reshape(len(spectrum), -1) - 1.0
        return power_gain_to_multiplier(1.0 + u0)

    return stft_embed(np.asarray(x, np.float32), multiplier)


def quarter_contrast(spectrum, cell_of_frame):
    power = (spectrum.real ** 2 + spectrum.imag ** 2)[:, BAND].reshape(len(spectrum), layout.BANDS, 2, 2)
    energy = np.zeros((cell_of_frame[-1] + 1, layout.BANDS, 2, 2))
    np.add.at(energy, cell_of_frame, power)
    floor = max(float(energy.max()), 1e-20) * 1e-7
    e = np.log(energy + floor)
    return whiten_global((e[..., 0, 0] - e[..., 0, 1] + e[..., 1, 0] - e[..., 1, 1]) / 2)


def dc_contrast(spectrum, cell_of_frame):
    return tilt_contrast(spectrum, cell_of_frame, whiten_double)


def embed_phase(x, serial, phi=0.5, key=KEY):
    pattern = keys.cell_chips(key.secret, serial)

    def multiplier(spectrum, cell_of_frame):
        rot = np.ones(spectrum.shape, dtype=np.complex128)
        angle = phi * pattern[cell_of_frame % layout.PERIOD_CELLS]
        rot[:, BAND] = np.exp(1j * np.repeat(angle, layout.BAND_BINS, axis=1))
        return rot

    return stft_embed(np.asarray(x, np.float32), multiplier)


# ---------------------------------------------------------------------------------------------
# Detection: detection.py's search and verification over another per-frame feature

TILT_CLIP = 2.0


def whiten_time(cells: np.ndarray, clip: float = TILT_CLIP) -> np.ndarray:
    c = np.asarray(cells, dtype=np.float64)
    if c.shape[0] == 0:
        return c
    padded = np.pad(c, ((1, 1), (0, 0)), mode="edge")
    return np.clip(c - (padded[:-2] + padded[2:]) / 2.0, -clip, clip)


def whiten_global(cells: np.ndarray, clip: float = 1.0) -> np.ndarray:
    """Each cell minus its band's mean over the whole clip (the room's fixed response), clipped."""
    c = np.asarray(cells, dtype=np.float64)
    if c.shape[0] == 0:
        return c
    return np.clip(c - c.mean(axis=0, keepdims=True), -clip, clip)


def whiten_double(cells: np.ndarray, clip: float = 1.0) -> np.ndarray:
    """Double centring: minus the band's mean over the clip and minus the cell column's mean
    across bands (speech's overall slope moves every band's tilt together), clipped."""
    c = np.asarray(cells, dtype=np.float64)
    if c.shape[0] == 0:
        return c
    c = c - c.mean(axis=0, keepdims=True)
    return np.clip(c - c.mean(axis=1, keepdims=True), -clip, clip)


def whiten_std(cells: np.ndarray, clip: float = 2.5) -> np.ndarray:
    """Band mean out, then each band divided by its spread over the clip (a band with more
    speech-tilt noise counts less), clipped."""
    c = np.asarray(cells, dtype=np.float64)
    if c.shape[0] == 0:
        return c
    c = c - c.mean(axis=0, keepdims=True)
    return np.clip(c / (c.std(axis=0, keepdims=True) + 0.05), -clip, clip)


def whiten_global_clip(clip):
    return lambda cells: whiten_global(cells, clip)


def whiten_weighted(prof, base=None):
    w = profile(prof)
    return lambda cells: (base or whiten_global)(cells) * w[None, :]


def det_spectrum(x: np.ndarray) -> np.ndarray:
    hop = detection.HOP
    padded = np.zeros(x.size + N, dtype=np.float32)
    padded[N // 2:N // 2 + x.size] = x
    frames = np.lib.stride_tricks.sliding_window_view(padded, N)[::hop][: x.size // hop + 1] * DET_WINDOW
    return np.fft.rfft(frames, axis=1)


def tilt_feature(x: np.ndarray) -> np.ndarray:
    spectrum = det_spectrum(x)[:, BAND]
    power = (spectrum.real ** 2 + spectrum.imag ** 2).reshape(len(spectrum), layout.BANDS, 2, 2).sum(axis=3)
    floor = max(float(power.max()), 1e-20) * 1e-7
    return np.log(power[..., 0] + floor) - np.log(power[..., 1] + floor)


def phase_feature(x: np.ndarray) -> np.ndarray:
    """(frames, BANDS): per band, sin of the boundary pairs' extra phase, above minus below."""
    spectrum = det_spectrum(x)
    lo = layout.FIRST_BIN
    z = spectrum[:, lo - 1:lo + layout.BANDS * layout.BAND_BINS + 1]
    pairs = z[:, :-1] * np.conj(z[:, 1:])          # pair j: bins (lo-1+j, lo+j)
    pairs = pairs / (np.abs(pairs) + 1e-20)
    # boundary between band k and k+1: bins lo+4k+3, lo+4k+4 -> pair index 4k+4
    k = np.arange(layout.BANDS - 1)
    boundary = pairs[:, 4 * k + 4]
    reference = pairs[:, 4 * k + 3] + pairs[:, 4 * k + 5]
    b = np.imag(boundary * np.conj(reference)) / (np.abs(reference) + 1e-9)   # ~ sin(phi_k - phi_k+1)
    out = np.zeros((len(spectrum), layout.BANDS))
    out[:, :-1] += b
    out[:, 1:] -= b
    return out


def quarter_feature(x: np.ndarray) -> np.ndarray:
    spectrum = det_spectrum(x)[:, BAND]
    power = (spectrum.real ** 2 + spectrum.imag ** 2).reshape(len(spectrum), layout.BANDS, 2, 2)
    floor = max(float(power.max()), 1e-20) * 1e-7
    e = np.log(power + floor)
    return (e[..., 0, 0] - e[..., 0, 1] + e[..., 1, 0] - e[..., 1, 1]) / 2


def halves_feature(x: np.ndarray) -> np.ndarray:
    """(frames, 2 * BANDS): each band's lower and upper half energy (summed per cell by the
    search, then turned into a log ratio: `ratio_of_sums`)."""
    spectrum = det_spectrum(x)[:, BAND]
    power = (spectrum.real ** 2 + spectrum.imag ** 2).reshape(len(spectrum), layout.BANDS, 2, 2).sum(axis=3)
    return power.reshape(len(spectrum), -1)


def ratio_of_sums(whiten=None):
    def w(cell_energy):
        e = np.asarray(cell_energy, dtype=np.float64)
        if e.shape[0] == 0:
            return np.zeros((0, layout.BANDS))
        e = e.reshape(len(e), layout.BANDS, 2)
        floor = max(float(e.max()), 1e-20) * 1e-7
        return (whiten or whiten_global)(np.log(e[..., 0] + floor) - np.log(e[..., 1] + floor))
    return w


def cell_means_any(values: np.ndarray, start: float, cell_frames: float) -> np.ndarray:
    """detection.cell_means for any number of columns."""
    frames, width = values.shape
    count = int((frames - start) // cell_frames)
    if count <= 0:
        return np.zeros((0, width))
    cumulative = np.vstack([np.zeros((1, width)), np.cumsum(values, axis=0)])
    position = np.clip(start + cell_frames * np.arange(count + 1) + 0.5, 0, frames)
    whole = np.minimum(position.astype(int), frames - 1)
    at = cumulative[whole] + (position - whole)[:, None] * values[whole]
    return (at[1:] - at[:-1]) / cell_frames


def tilt_feature_n(n: int, window: str = "hann"):
    """The tilt feature from n-point frames (every detection.HOP samples): finer bins resolve
    the two halves with less leakage across their boundary, at some cost in time."""
    hann = np.hanning(n + 1)[:-1]
    if window.startswith("pow"):  # hann ** p
        win = hann ** float(window[3:])
    elif window == "rect":
        win = np.ones(n)
    else:
        win = {"hann": hann, "sqrt": np.sqrt(hann)}[window]
    win = win.astype(np.float32)
    per = n / N  # bins of this analysis per production bin

    def feature(x: np.ndarray) -> np.ndarray:
        hop = detection.HOP
        padded = np.zeros(x.size + n, dtype=np.float32)
        padded[n // 2:n // 2 + x.size] = x
        frames = np.lib.stride_tricks.sliding_window_view(padded, n)[::hop][: x.size // hop + 1] * win
        spectrum = np.fft.rfft(frames, axis=1)
        # bin j of the n-point analysis sits at j / per production bins; a half-band of 2
        # production bins [a - 0.5, a + 1.5] covers n-point bins (a - 0.5) * per .. (a + 1.5) * per
        power = spectrum.real ** 2 + spectrum.imag ** 2
        edges = np.round((layout.FIRST_BIN - 0.5 + 2 * np.arange(2 * layout.BANDS + 1)) * per).astype(int)
        c = np.concatenate([np.zeros((len(power), 1)), np.cumsum(power, axis=1)], axis=1)
        halves = (c[:, edges[1:]] - c[:, edges[:-1]]).reshape(len(power), layout.BANDS, 2)
        floor = max(float(halves.max()), 1e-20) * 1e-7
        return np.log(halves[..., 0] + floor) - np.log(halves[..., 1] + floor)
    return feature


def identity(cells):
    return np.asarray(cells, dtype=np.float64)


DETECTORS = {
    "band": (detection.band_log_energy, whiten_bands),
    "tilt": (tilt_feature, whiten_time),
    "tiltg": (tilt_feature, whiten_global),
    "phase": (phase_feature, identity),
    "tiltdc": (tilt_feature, whiten_double),
    "tiltsd": (tilt_feature, whiten_std),
    "tiltg15": (tilt_feature, whiten_global_clip(1.5)),
    "tiltg07": (tilt_feature, whiten_global_clip(0.7)),
    "quarter": (quarter_feature, whiten_global),
    "tiltr": (halves_feature, ratio_of_sums()),
    "tilt1024": (tilt_feature_n(1024), whiten_global),
    "tilt1024s": (tilt_feature_n(1024, "sqrt"), whiten_global),
    "tilt512s": (tilt_feature_n(512, "sqrt"), whiten_global),
    "tilt512": (tilt_feature_n(512), whiten_global),
    "tilt512p25": (tilt_feature_n(512, "pow0.25"), whiten_global),
    "tilt512rect07": (tilt_feature_n(512, "rect"), whiten_global_clip(0.7)),
    "tilt512rect15": (tilt_feature_n(512, "rect"), whiten_global_clip(1.5)),
    "tilt512p25c07": (tilt_feature_n(512, "pow0.25"), whiten_global_clip(0.7)),
    "tilt768rect": (tilt_feature_n(768, "rect"), whiten_global),
    "tilt512p75": (tilt_feature_n(512, "pow0.75"), whiten_global),
    "tilt512p50": (tilt_feature_n(512, "pow0.5"), whiten_global),
    "tilt512p10": (tilt_feature_n(512, "pow0.1"), whiten_global),
    "tilt512rect": (tilt_feature_n(512, "rect"), whiten_global),
    "tilt1024p75": (tilt_feature_n(1024, "pow0.75"), whiten_global),
    "tilt1024p25": (tilt_feature_n(1024, "pow0.25"), whiten_global),
    "tiltrdc": (halves_feature, ratio_of_sums(whiten_double)),
}


def generic_trace(x: np.ndarray, detector: str, wm_keys=(KEY,), stretches=detection.STRETCHES) -> detection.Finding:
    feature, whiten = DETECTORS[detector]
    x = np.asarray(x, dtype=np.float32)
    best = detection.Finding(None, None, 0.0, 1.0)
    if x.size < layout.CELL_SAMPLES * 2:
        return best
    frames = feature(x)
    tests = detection.TESTS * len(wm_keys)
    fpc = detection.FRAMES_PER_CELL
    for key in wm_keys:
        patterns = keys.patterns(key.secret)
        for group in ([s for s in stretches if s == 1.0], [s for s in stretches if s != 1.0]):
            ranked = []
            for stretch in group:
                for start in range(fpc):
                    folded = detection.fold(whiten(cell_means_any(frames, start, fpc * stretch)))
                    by_phase = detection._phases(folded)
                    corr = detection.symbol_correlations(by_phase, patterns)
                    scores = corr.max(axis=2).sum(axis=1)
                    for phase in np.argsort(scores)[::-1][:detection.ALIGNMENTS]:
                        ranked.append((float(scores[phase]), stretch, by_phase[phase], corr[phase]))
            ranked.sort(key=lambda r: r[0], reverse=True)
            for _, stretch, grid, corr in ranked[:detection.ALIGNMENTS]:
                values = grid[patterns.verify_cells]
                norm = float(np.sqrt((values ** 2).sum()))
                if norm == 0.0:
                    continue
                shortlist = np.argsort(corr, axis=1)[:, ::-1][:, :detection.LIST]
                serials = [layout.serial_of(s) for s in itertools.product(*shortlist)]
                scores = keys.verify_chips_many(key.secret, serials) @ values / norm
                top = int(np.argmax(scores))
                if scores[top] > best.score:
                    score = float(scores[top])
                    fa = detection.false_alarm_bound(score, tests)
                    found = fa <= detection.MAX_FALSE_ALARM
                    best = detection.Finding(serials[top] if found else None, key.key_id if found else None,
                                             score, fa, stretch)
    return best


# ---------------------------------------------------------------------------------------------
# Variants: name -> (embed(audio, serial), detector name)


def variant(spec: str):
    """'prod', 'prod:0.2/0.6', 'melnull:0.42/0.5', 'melnull-raw:...', 'tilt:0.6/0', 'tiltnull:...',
    'phase:0.5', 'tiltp:0.5/0.6/mel2' (a per-band profile), 'tiltdc:0.4/0.7' (double-centred
    cancellation and detector), 'quarter:0.4/0.7[/profile]'; '@detector' reads with another
    detector ('@tiltdc', '@tiltsd', '@w:mel2' = tiltg weighted by a profile)."""
    spec, _, reader = spec.partition("@")
    mark, detector = _variant(spec)
    if reader.startswith("rw:"):  # rectangular window, cells weighted by a profile
        DETECTORS[reader] = (tilt_feature_n(512, "rect"), whiten_weighted(reader[3:]))
    elif reader.startswith("w:"):
        DETECTORS[reader] = (tilt_feature, whiten_weighted(reader[2:]))
    elif reader.startswith("wdc:"):
        DETECTORS[reader] = (tilt_feature, whiten_weighted(reader[4:], whiten_double))
    return mark, (reader or detector)


def _variant(spec: str):
    name, _, args = spec.partition(":")
    if name in ("tiltp", "tiltdc", "quarter"):
        parts = args.split("/")
        s, h = float(parts[0]), float(parts[1])
        prof = parts[2] if len(parts) > 2 else "flat"
        if name == "tiltp":
            return (lambda a, serial: embed_tiltx(a, serial, s, h, prof)), "tiltg"
        if name == "tiltdc":
            return (lambda a, serial: embed_tiltx(a, serial, s, h, prof, contrast=dc_contrast)), "tiltdc"
        return (lambda a, serial: embed_tiltx(a, serial, s, h, prof, contrast=quarter_contrast, parts=4)), "quarter"
    values = [float(v) for v in args.split("/")] if args else []
    if name == "prod":
        s, h = values or (embedding.STRENGTH, embedding.HOST_CANCEL)
        return (lambda a, serial: watermark.embed(a, KEY, serial, s, h, format=1)), "band"
    if name in ("melnull", "melnull-raw"):
        s, h = values or (0.42, 0.5)
        return (lambda a, serial: embed_melnull(a, serial, s, h, smooth=name == "melnull")), "band"
    if name in ("tilt", "tiltnull"):
        s, h = values or (0.42, 0.0)
        return (lambda a, serial: embed_tilt(a, serial, s, h, project=name == "tiltnull")), "tilt"
    if name in ("tiltg", "tiltgnull"):
        s, h = values or (0.42, 0.0)
        return (lambda a, serial: embed_tilt(a, serial, s, h, project=name == "tiltgnull", whiten=whiten_global)), "tiltg"
    if name == "phase":
        (phi,) = values or (0.5,)
        return (lambda a, serial: embed_phase(a, serial, phi)), "phase"
    raise SystemExit(f"unknown variant {spec}")


ATTACKS = {
    "clean": lambda x, rng: x,
    "noise": watermark_attacks.noise_20db,
    "rerecord": watermark_attacks.rerecorded,
    "mp3": watermark_attacks.mp3,
    "8k": watermark_attacks.resample_8k,
    "stretch": watermark_attacks.time_stretch_2pct,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--english", type=int, default=80)
    parser.add_argument("--clips", type=int, default=40)
    parser.add_argument("--unmarked", type=int, default=200)
    parser.add_argument("--variants", default="prod,tiltg:0.5/0.6,tiltg:0.4/0.7,melnull,phase:1.0")
    parser.add_argument("--attacks", default="clean,noise,rerecord,mp3,8k")
    parser.add_argument("--serial-seed", type=int, default=19, help="another draw of serials: the WER noise")
    parser.add_argument("--no-wer", action="store_true")
    parser.add_argument("--no-pesq", action="store_true")
    parser.add_argument("--eer", type=int, default=0, metavar="PER_SPEAKER",
                        help="also the speaker re-identification EERs (bench/watermark.py's, this many utterances per speaker)")
    parser.add_argument("--eer-serial-offset", type=int, default=0,
                        help="another draw of the EER's serials (bench/watermark.py's drawn serials + this, mod 2^24)")
    parser.add_argument("--eer-draws", type=int, default=1, help="draws of serials for the EERs (bench/watermark.py --draws)")
    args = parser.parse_args()
    started = time.time()
    clips = [audio for _, _, audio in wmbench.snippets(args.clips)] if args.clips else []
    rng = np.random.default_rng(args.serial_seed)
    serials = [int(s) for s in rng.integers(0, layout.MAX_SERIAL + 1, max(args.english, args.clips, 1))]
    english, refs, plain = [], [], []
    if not args.no_wer:
        from quietroom.deid import asr
        from quietroom.evaluation.metrics import wer

        texts = {p.path.name: p.text for p in testspeech.asterisk_prompts()}
        files = [p for p in testspeech.asterisk_speaker_files("en_US_f_Allison", 2.0, 10.0) if p.name in texts]
        english = [(wmbench.deidentified(p, 500_000 + n), texts[p.name]) for n, p in enumerate(files[:args.english])]
        engine = asr.get_engine("faster-whisper")
        refs = [t for _, t in english]
        plain = [engine.transcribe(a).text for a, _ in english]
        again = [engine.transcribe(a).text for a, _ in english[:20]]
        base = wer(refs, plain) * 100
        print(f"{len(english)} English snippets, unmarked WER {base:.2f} (same process, first 20 re-run: "
              f"{sum(p != q for p, q in zip(plain, again))} transcripts differ)", flush=True)
    print(f"{len(clips)} snippets for survival; made in {time.time() - started:.0f} s", flush=True)
    unmarked_pool = clips + [a for a, _ in english]
    unmarked_max = {}
    for spec in args.variants.split(","):
        t0 = time.time()
        mark, detector = variant(spec)
        tracer = (lambda y: watermark.trace(y, [KEY], formats=(1,))) if spec.startswith("prod") else (
            lambda y, d=detector: generic_trace(y, d))
        row = [f"{spec:<18}"]
        if english:
            marked_text = [engine.transcribe(mark(a, s)).text for (a, _), s in zip(english, serials)]
            row.append(f"WER {wer(refs, marked_text) * 100 - base:+.2f} ({sum(p != q for p, q in zip(plain, marked_text))} chg)")
        marked = [mark(a, s) for a, s in zip(clips, serials)]
        for name in (args.attacks.split(",") if clips else []):
            attack_rng = np.random.default_rng(7)
            findings = [tracer(ATTACKS[name](m, attack_rng)) for m in marked]
            share = np.mean([f.serial == s for f, s in zip(findings, serials)])
            wrong = sum(f.found and f.serial != s for f, s in zip(findings, serials))
            hits = sum(f.serial == s for f, s in zip(findings, serials))
            row.append(f"{name} {share:.1%} ({hits}) z{np.median([f.score for f in findings]):.1f}" + (f" WRONG {wrong}" if wrong else ""))
        if not args.no_pesq and clips:
            from pesq import pesq
            row.append(f"PESQ {np.median([pesq(RATE, a, m, 'wb') for a, m in zip(clips, marked)]):.2f}")
        if args.eer:
            wmbench.mark = lambda audio, key, serial, m=mark: m(audio, (serial + args.eer_serial_offset)
                                                                  % (layout.MAX_SERIAL + 1))
            print(f"  {spec}: speaker EERs", flush=True)
            wmbench.speaker_eer(args.eer, args.eer_draws)
        if args.unmarked and detector not in unmarked_max:
            u_rng = np.random.default_rng(1234)
            pool = [("", "", a) for a in unmarked_pool]
            zs = [tracer(y) for y in wmbench.unmarked_variants(pool, args.unmarked, u_rng)]
            unmarked_max[detector] = (max(f.score for f in zs), sum(f.found for f in zs))
        if detector in unmarked_max:
            row.append(f"unmarked max z {unmarked_max[detector][0]:.2f} found {unmarked_max[detector][1]}")
        row.append(f"({time.time() - t0:.0f} s)")
        print("  " + " | ".join(row), flush=True)


if __name__ == "__main__":
    main()
