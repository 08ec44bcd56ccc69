"""The attacks the forensic watermark is measured against, each from a kept library.

- MP3: `lameenc` (LAME) encodes in memory; QuietRoom's own decoder (libsndfile) decodes it, the
  way `quietroom trace` would read a leaked MP3.
- noise, resampling, band-pass, time stretch: `audiomentations`.
- a copy played through a loudspeaker and re-recorded: a room impulse response from
  `pyroomacoustics` (image-source shoebox room, RT60 0.2-0.6 s, microphone 0.3-1 m from the
  loudspeaker), then the telephone band (300-3400 Hz) and noise at 20 dB SNR.

Every attack takes (16 kHz mono float32, numpy Generator) and returns 16 kHz mono float32.
Nothing touches the disk.
"""
from __future__ import annotations

import numpy as np

RATE = 16000


def mp3(x: np.ndarray, rng: np.random.Generator, kbps: int = 64) -> np.ndarray:
    import lameenc

    from quietroom.deid.audio_io import load_for_pipeline

    encoder = lameenc.Encoder()
    encoder.set_bit_rate(kbps)
    encoder.set_in_sample_rate(RATE)
    encoder.set_channels(1)
    encoder.set_quality(2)
    pcm = (np.clip(x, -1, 1) * 32767).astype(np.int16).tobytes()
    return load_for_pipeline(bytes(encoder.encode(pcm) + encoder.flush()))


def resample_8k(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    from audiomentations import Resample

    down = Resample(min_sample_rate=8000, max_sample_rate=8000, p=1.0)(x, RATE)
    return Resample(min_sample_rate=RATE, max_sample_rate=RATE, p=1.0)(down, 8000).astype(np.float32)


def noise_20db(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    from audiomentations import AddGaussianSNR

    np.random.seed(int(rng.integers(2**31)))  # audiomentations draws from numpy's global generator
    return AddGaussianSNR(min_snr_db=20.0, max_snr_db=20.0, p=1.0)(x, RATE)


def excerpt_3s(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Any 3 s cut out of the clip (the whole clip when it is shorter)."""
    n = 3 * RATE
    if x.size <= n:
        return x
    start = int(rng.integers(0, x.size - n + 1))
    return x[start:start + n]


def time_stretch_2pct(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """2% faster or slower (pitch kept), the direction drawn per clip."""
    from audiomentations import TimeStretch

    rate = float(rng.choice([0.98, 1.02]))
    return TimeStretch(min_rate=rate, max_rate=rate, leave_length_unchanged=False, p=1.0)(x, RATE)


def telephone_band(x: np.ndarray) -> np.ndarray:
    from audiomentations import BandPassFilter

    # audiomentations names a band by its centre and width relative to the centre.
    centre, width = 1850.0, 3100.0 / 1850.0
    return BandPassFilter(min_center_freq=centre, max_center_freq=centre, min_bandwidth_fraction=width,
                          max_bandwidth_fraction=width, min_rolloff=24, max_rolloff=24, p=1.0)(x, RATE)


def room_impulse_response(rng: np.random.Generator) -> np.ndarray:
    import pyroomacoustics as pra

    rt60 = rng.uniform(0.2, 0.6)
    dims = [rng.uniform(3, 6), rng.uniform(3, 5), rng.uniform(2.4, 3.0)]
    absorption, max_order = pra.inverse_sabine(rt60, dims)
    room = pra.ShoeBox(dims, fs=RATE, materials=pra.Material(absorption), max_order=min(max_order, 12))
    source = np.array([rng.uniform(1, dims[0] - 1), rng.uniform(1, dims[1] - 1), rng.uniform(1.0, 1.8)])
    distance, angle = rng.uniform(0.3, 1.0), rng.uniform(0, 2 * np.pi)
    mic = source + np.array([distance * np.cos(angle), distance * np.sin(angle), rng.uniform(-0.2, 0.2)])
    room.add_source(source.tolist())
    room.add_microphone(np.clip(mic, 0.1, np.array(dims) - 0.1).tolist())
    room.compute_rir()
    return np.asarray(room.rir[0][0], dtype=np.float32)


def rerecorded(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Played in a room and recorded by a phone: room impulse response, 300-3400 Hz, noise 20 dB."""
    from scipy.signal import fftconvolve

    y = fftconvolve(x, room_impulse_response(rng))[:x.size].astype(np.float32)
    y *= float(np.abs(x).max()) / max(float(np.abs(y).max()), 1e-9)
    return noise_20db(telephone_band(y), rng)


#: name -> (attack, target share of clips whose serial is recovered exactly; issue 19)
ATTACKS = {
    "mp3 64 kbit/s": (mp3, 0.99),
    "resampled to 8 kHz and back": (resample_8k, 0.99),
    "noise at 20 dB SNR": (noise_20db, 0.98),
    "any 3 s excerpt": (excerpt_3s, 0.95),
    "time stretch +-2%": (time_stretch_2pct, 0.90),
    "re-recorded (room, 300-3400 Hz, 20 dB)": (rerecorded, 0.80),
}
