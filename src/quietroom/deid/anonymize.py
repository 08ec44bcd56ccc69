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
    # "pitch": the envelope moves the same way as the pitch (as between real speakers);
    # "random": its direction is drawn on its own (four kinds of voice instead of two).
    warp_sign: str = "pitch"
    eq_db: float | None = None  # peak of a random smooth spectral tilt/EQ drawn per snippet (dB)
    intonation: tuple[float, float] | None = None  # factor on log-F0 excursions around the mean
    # |range| of a change of the log warp factor from 0 Hz to Nyquist (random sign): a
    # non-uniform warp that moves high formants differently from low ones.
    warp_tilt: tuple[float, float] | None = None
    breath: tuple[float, float] | None = None  # |log2| range of an exponent on aperiodicity
    # Target median F0 (Hz), drawn log-uniformly per snippet: the pitch is moved *to* a random
    # voice rather than *by* a random step, so it keeps nothing of the speaker's own pitch.
    f0_target: tuple[float, float] | None = None
    ltas: float | None = None  # 0..1: how far the long-term spectrum is flattened to a common one
    lifter: int | None = None  # keep this many cepstral coefficients of each frame's envelope

    def as_dict(self) -> dict:
        return asdict(self)


# The VoicePrivacy 2024 B2 baseline: McAdams only, coefficient in [0.5, 0.9] per utterance.
B2 = VoiceProfile("b2")
# Strengths an organisation can choose; "standard" is the default. Chosen by measurement
# (docs/privacy-evaluation.md, bench/deid_voice_tuning.py):
# - standard and strong: McAdams, then WORLD with a pitch move and an envelope warp in the same
#   direction. They meet the privacy targets (lazy-informed EER >= 0.40, semi-informed above
#   B2's) but Whisper tiny.en's WER on them is 2.5-3x its WER on the original speech.
# - light: WORLD re-synthesis only, to a random voice: median F0 drawn in 90-240 Hz, envelope
#   warped up or down at random (independently of the pitch), intonation range scaled, and the
#   long-term spectral shape pulled part of the way to a flat one. WER about 1.6x the
#   original's, but an attacker with anonymised enrolment speech does better (lazy-informed EER
#   about 0.35), and PII the first recogniser pass missed stays more intelligible (leak rate
#   0.018 against standard's 0.006).
PROFILES = {
    "b2": B2,
    "light": VoiceProfile("light", mcadams=None, f0_target=(90.0, 240.0), warp=(0.14, 0.24), warp_sign="random",
                          intonation=(0.5, 1.5), ltas=0.4),
    "standard": VoiceProfile("standard", mcadams=(0.6, 0.9), pitch_semitones=(3.0, 6.0), warp=(0.12, 0.22)),
    "strong": VoiceProfile("strong", mcadams=(0.55, 0.85), pitch_semitones=(2.0, 5.0), warp=(0.10, 0.20)),
}
DEFAULT_PROFILE = "standard"


def get_profile(name: str) -> VoiceProfile:
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(f"unknown voice profile {name!r}; choose from {', '.join(PROFILES)}") from None


def warp_envelope(sp: np.ndarray, factor: float, tilt: float = 0.0) -> np.ndarray:
    """Stretch (factor > 1) or squeeze each frame's spectral envelope along frequency; with a
    tilt the log factor changes linearly from log(factor) at 0 Hz to log(factor) + tilt at
    Nyquist."""
    bins = sp.shape[1]
    pos = np.arange(bins)
    src = np.clip(pos / (factor * np.exp(tilt * pos / (bins - 1))), 0, bins - 1)
    src = np.maximum.accumulate(src)  # keep the mapping monotonic
    lo = np.floor(src).astype(int)
    hi = np.minimum(lo + 1, bins - 1)
    frac = src - lo
    # Interpolate in the log domain: envelopes span many decades.
    log_sp = np.log(np.maximum(sp, 1e-16))
    return np.exp(log_sp[:, lo] * (1 - frac) + log_sp[:, hi] * frac)


def eq_curve(bins: int, rate: int, coefs: np.ndarray) -> np.ndarray:
    """Smooth gain (dB) over frequency: a few cosines on a mel-like axis."""
    freq = np.linspace(0, rate / 2, bins)
    mel = np.log1p(freq / 700.0) / np.log1p(rate / 2 / 700.0)
    return sum(c * np.cos(np.pi * (k + 1) * mel) for k, c in enumerate(coefs))


def _smooth_log_ltas(sp: np.ndarray, voiced: np.ndarray, lifter: int = 12) -> np.ndarray:
    """Long-term average log spectrum over voiced frames, smoothed by cepstral liftering."""
    frames = sp[voiced] if voiced.sum() > 5 else sp
    log_ltas = np.log(np.maximum(frames, 1e-16)).mean(axis=0)
    cep = np.fft.irfft(log_ltas)
    cep[lifter:-lifter] = 0.0
    return np.fft.rfft(cep).real[: sp.shape[1]]


def world_transform(samples: np.ndarray, rate: int, pitch_ratio: float, warp: float,
                    eq_db: np.ndarray | None = None, intonation: float = 1.0, tilt: float = 0.0,
                    breath: float = 1.0, f0_target: float | None = None, ltas: float = 0.0,
                    lifter: int | None = None) -> np.ndarray:
    import pyworld

    x = np.asarray(samples, dtype=np.float64)
    if x.size < rate // 20:
        return x.astype(np.float32)
    f0, t = pyworld.dio(x, rate, frame_period=5.0)
    f0 = pyworld.stonemask(x, f0, t, rate)
    sp = pyworld.cheaptrick(x, f0, t, rate)
    ap = pyworld.d4c(x, f0, t, rate)
    voiced = f0 > 0
    if f0_target and voiced.sum() > 2:
        pitch_ratio = f0_target / float(np.median(f0[voiced]))
    if ltas:
        # Pull the speaker's long-term spectral shape toward a flat one (a timbre every
        # speaker shares); formants within each frame stay where they are.
        log_l = _smooth_log_ltas(sp, voiced)
        sp = sp * np.exp(-ltas * (log_l - log_l.mean()))[None, :]
    if lifter:
        # Smooth each frame's envelope: formants stay, finer detail (a speaker's own
        # resonances and anti-resonances) goes.
        cep = np.fft.irfft(np.log(np.maximum(sp, 1e-16)), axis=1)
        cep[:, lifter:-lifter] = 0.0
        sp = np.exp(np.fft.rfft(cep, axis=1).real[:, : sp.shape[1]])
    if intonation != 1.0 and voiced.sum() > 2:
        log_mean = np.log(f0[voiced]).mean()
        f0 = np.where(voiced, np.exp(log_mean + (np.log(np.maximum(f0, 1e-3)) - log_mean) * intonation), 0.0)
    sp = warp_envelope(sp, warp, tilt) if warp != 1.0 or tilt else sp
    if breath != 1.0:
        ap = np.ascontiguousarray(np.clip(ap, 1e-6, 1.0) ** breath)
    if eq_db is not None:
        sp = sp * 10 ** (eq_curve(sp.shape[1], rate, eq_db) / 10)[None, :]
    y = pyworld.synthesize(f0 * pitch_ratio, np.ascontiguousarray(sp), ap, rate, frame_period=5.0)
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
    if any((profile.pitch_semitones, profile.warp, profile.eq_db, profile.intonation, profile.warp_tilt, profile.breath,
            profile.f0_target, profile.ltas, profile.lifter)):
        semis = rng.uniform(*profile.pitch_semitones) * rng.choice((-1, 1)) if profile.pitch_semitones else 0.0
        # By default pitch and envelope move the same way, as they do between real speakers.
        sign = np.sign(semis) if semis and profile.warp_sign == "pitch" else rng.choice((-1, 1))
        warp = float(np.exp(sign * rng.uniform(*profile.warp))) if profile.warp else 1.0
        eq = rng.uniform(-1, 1, 3) * profile.eq_db / 2 if profile.eq_db else None
        tone = float(rng.uniform(*profile.intonation)) if profile.intonation else 1.0
        tilt = float(rng.uniform(*profile.warp_tilt) * rng.choice((-1, 1))) if profile.warp_tilt else 0.0
        breath = float(2 ** (rng.uniform(*profile.breath) * rng.choice((-1, 1)))) if profile.breath else 1.0
        target = float(np.exp(rng.uniform(*np.log(profile.f0_target)))) if profile.f0_target else None
        x = world_transform(x, rate, 2 ** (semis / 12), warp, eq, tone, tilt, breath, target, profile.ltas or 0.0,
                            profile.lifter)
        if profile.pitch_semitones:
            params["pitch_semitones"] = round(float(semis), 3)
        params["warp"] = round(warp, 4)
        if eq is not None:
            params["eq_db"] = [round(float(v), 2) for v in eq]
        if profile.intonation:
            params["intonation"] = round(tone, 3)
        if profile.warp_tilt:
            params["warp_tilt"] = round(tilt, 3)
        if profile.breath:
            params["breath"] = round(breath, 3)
        if target:
            params["f0_target"] = round(target, 1)
    return x, params
