"""Voice anonymisation profiles: McAdams (B2) alone, or followed by WORLD re-synthesis.

Every parameter is drawn afresh for each snippet from the profile's ranges, so two snippets of
one speaker do not share a voice: that is what defeats an attacker who anonymises their own
enrolment speech the same way (the "lazy-" and "semi-informed" attackers of the VoicePrivacy
Challenge). WORLD (pyworld-prebuilt) re-synthesises from F0, spectral envelope and
aperiodicity, which lets us move pitch and warp the envelope along frequency (a VTLN-like
change of apparent vocal-tract length) independently.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from . import mcadams

RATE = 16000


@dataclass(frozen=True)
class VoiceProfile:
    name: str
    mcadams: tuple[float, float] | None = mcadams.B2_ALPHA_RANGE  # coefficient range, None = skip
    pitch_semitones: tuple[float, float] | None = None  # |shift| range; sign drawn at random
    warp: tuple[float, float] | None = None  # |log| range of the frequency-warp factor

    def as_dict(self) -> dict:
        return asdict(self)


# The VoicePrivacy 2024 B2 baseline: McAdams only, coefficient in [0.5, 0.9] per utterance.
B2 = VoiceProfile("b2")
# Strengths an organisation can choose; "standard" is the default (see docs/privacy-evaluation.md).
# Ranges chosen by measurement (docs/privacy-evaluation.md): McAdams alone buys privacy only
# with low coefficients that cost intelligibility; a wide random envelope warp with a matching
# pitch move, drawn per snippet, buys more privacy per point of WER.
PROFILES = {
    "b2": B2,
    "light": VoiceProfile("light", mcadams=(0.8, 0.95), pitch_semitones=(3.0, 6.0), warp=(0.12, 0.22)),
    "standard": VoiceProfile("standard", mcadams=(0.6, 0.9), pitch_semitones=(3.0, 6.0), warp=(0.12, 0.22)),
    "strong": VoiceProfile("strong", mcadams=(0.55, 0.85), pitch_semitones=(2.0, 5.0), warp=(0.10, 0.20)),
}
DEFAULT_PROFILE = "standard"


def get_profile(name: str) -> VoiceProfile:
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(f"unknown voice profile {name!r}; choose from {', '.join(PROFILES)}") from None


def warp_envelope(sp: np.ndarray, factor: float) -> np.ndarray:
    """Stretch (factor > 1) or squeeze each frame's spectral envelope along frequency."""
    bins = sp.shape[1]
    src = np.clip(np.arange(bins) / factor, 0, bins - 1)
    lo = np.floor(src).astype(int)
    hi = np.minimum(lo + 1, bins - 1)
    frac = src - lo
    # Interpolate in the log domain: envelopes span many decades.
    log_sp = np.log(np.maximum(sp, 1e-16))
    return np.exp(log_sp[:, lo] * (1 - frac) + log_sp[:, hi] * frac)


def world_transform(samples: np.ndarray, rate: int, pitch_ratio: float, warp: float) -> np.ndarray:
    import pyworld

    x = np.asarray(samples, dtype=np.float64)
    if x.size < rate // 20:
        return x.astype(np.float32)
    f0, t = pyworld.dio(x, rate, frame_period=5.0)
    f0 = pyworld.stonemask(x, f0, t, rate)
    sp = pyworld.cheaptrick(x, f0, t, rate)
    ap = pyworld.d4c(x, f0, t, rate)
    y = pyworld.synthesize(f0 * pitch_ratio, np.ascontiguousarray(warp_envelope(sp, warp)), ap, rate, frame_period=5.0)
    y = y[: x.size]
    if y.size < x.size:
        y = np.concatenate([y, np.zeros(x.size - y.size)])
    rx, ry = np.sqrt(np.mean(x**2)), np.sqrt(np.mean(y**2))
    if ry > 1e-10:
        y = y * (rx / ry)
    return np.clip(y, -1, 1).astype(np.float32)


def anonymize(samples: np.ndarray, profile: VoiceProfile, rng: np.random.Generator, rate: int = RATE):
    """(anonymised audio, the parameters drawn for it)."""
    x = np.asarray(samples, dtype=np.float32)
    params: dict = {"profile": profile.name}
    if x.size == 0:
        return x, params
    if profile.mcadams:
        alpha = mcadams.draw_alpha(rng, *profile.mcadams)
        x = mcadams.mcadams(x, rate, alpha)
        params["mcadams_alpha"] = round(alpha, 4)
    if profile.pitch_semitones or profile.warp:
        semis = rng.uniform(*profile.pitch_semitones) * rng.choice((-1, 1)) if profile.pitch_semitones else 0.0
        # Pitch and envelope move the same way, as they do between real speakers.
        sign = np.sign(semis) if semis else rng.choice((-1, 1))
        warp = float(np.exp(sign * rng.uniform(*profile.warp))) if profile.warp else 1.0
        x = world_transform(x, rate, 2 ** (semis / 12), warp)
        params["pitch_semitones"] = round(float(semis), 3)
        params["warp"] = round(warp, 4)
    return x, params
