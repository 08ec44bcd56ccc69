"""An attacker who knows the method (Kerckhoffs's principle), not the per-snippet key.

The VoicePrivacy attackers know at most that speech was anonymised "the same way". This one
knows the algorithm and the profile's parameter ranges (`anonymize.get_profile(...)`, which is
public in the code), but not the values drawn for a snippet. It tries five strategies and
reports each; its EER (`eer_informed_normalizing`) is the best (lowest) of them, which favours
the attacker a little more (picked on the same trials it is scored on):

- `keys`: its own enrolment speech anonymised under K random keys, the embeddings averaged
  (the centre of the cloud of voices the method makes of that speaker), against the trial as is;
- `keys_pitch`: the same, with every enrolment copy and the trial re-synthesised (WORLD) at a
  common median F0 of 150 Hz, so the drawn pitch no longer counts;
- `keys_pitch_lda`: `keys_pitch` scored through an LDA back-end trained on other speakers'
  normalised speech (the semi-informed attacker, normalising);
- `own_pitch`: the attacker's own speech, not anonymised, pitch-normalised, against the
  pitch-normalised trial;
- `inverse_bank`: the trial undone by every transform of a bank spanning the profile's ranges
  (envelope warps e^±lo, e^±hi and none; McAdams with 1/α for α at the quartiles of its range),
  each pitch-normalised, and the best score over the bank against `own_pitch` enrolment.

Everything is scored by the same speaker model as the other attackers (`speaker.embed`).
"""
from __future__ import annotations

import numpy as np

from quietroom.deid import anonymize, mcadams

from . import speaker
from .metrics import eer

PITCH_TARGET_HZ = 150.0
RATE = 16000
STRATEGIES = ("keys", "keys_pitch", "keys_pitch_lda", "own_pitch", "inverse_bank")


def _analyse(x: np.ndarray):
    import pyworld

    f0, t = pyworld.dio(x, RATE, frame_period=5.0)
    f0 = pyworld.stonemask(x, f0, t, RATE)
    return f0, pyworld.cheaptrick(x, f0, t, RATE), pyworld.d4c(x, f0, t, RATE)


def _synthesise(f0: np.ndarray, sp: np.ndarray, ap: np.ndarray, like: np.ndarray, target: float) -> np.ndarray:
    """WORLD synthesis with the median voiced F0 moved to `target`, as long and as loud as `like`."""
    import pyworld

    voiced = f0 > 0
    ratio = target / float(np.median(f0[voiced])) if voiced.sum() > 2 else 1.0
    y = pyworld.synthesize(f0 * ratio, np.ascontiguousarray(sp), ap, RATE, frame_period=5.0)[: like.size]
    y = np.concatenate([y, np.zeros(like.size - y.size)]) if y.size < like.size else y
    rx, ry = np.sqrt(np.mean(like**2)), np.sqrt(np.mean(y**2))
    return np.clip(y * (rx / ry) if ry > 1e-10 else y, -1, 1).astype(np.float32)


def normalise_pitch(audio: np.ndarray, target: float = PITCH_TARGET_HZ) -> np.ndarray:
    """The same speech re-synthesised with its median F0 at `target` Hz (envelope untouched)."""
    x = np.asarray(audio, dtype=np.float64)
    if x.size < RATE // 20:
        return np.asarray(audio, dtype=np.float32)
    return _synthesise(*_analyse(x), x, target)


def inverse_bank(profile: anonymize.VoiceProfile) -> tuple[list[float], list[float | None]]:
    """(envelope warp factors, McAdams coefficients to apply) that undo the profile's
    transforms for draws across its ranges. The WORLD step came last, so it is undone first."""
    warps = [1.0]
    if profile.warp:
        lo, hi = profile.warp
        warps += [float(np.exp(sign * m)) for m in (lo, hi) for sign in (-1, 1)]
    alphas: list[float | None] = [None]
    if profile.mcadams:
        a, b = profile.mcadams
        alphas = [1.0 / (a + (b - a) * q) for q in (0.25, 0.75)]
    return warps, alphas


def own_voice(audio: np.ndarray) -> np.ndarray:
    """The attacker's own utterance, not anonymised, pitch-normalised, embedded (`own_pitch`):
    the same whatever the profile, so an evaluation of several profiles computes it once."""
    return speaker.embed(normalise_pitch(audio))


def enrolment_features(args) -> dict:
    """(profile name, the attacker's own utterance, seed, K[, its `own_voice`]) -> its enrolment
    embeddings; the own voice is computed here when not given.
    A module-level function: `parallel.Workers` sends it to worker processes."""
    profile_name, audio, seed, keys, *own = args
    profile = anonymize.get_profile(profile_name)
    rng = np.random.default_rng(seed)
    raw, pitched = [], []
    for _ in range(keys):
        copy, _params = anonymize.anonymize(audio, profile, rng)
        raw.append(speaker.embed(copy))
        pitched.append(speaker.embed(normalise_pitch(copy)))
    return {"keys": np.mean(raw, axis=0), "keys_pitch": np.mean(pitched, axis=0),
            "own_pitch": own[0] if own else own_voice(audio)}


def trial_features(args) -> dict:
    """(profile name, an anonymised trial utterance) -> its pitch-normalised embedding and the
    embeddings of every inverse transform of the bank."""
    profile_name, trial = args
    x = np.asarray(trial, dtype=np.float64)
    warps, alphas = inverse_bank(anonymize.get_profile(profile_name))
    if x.size < RATE // 20:  # too short to analyse: every bank entry is the trial itself
        same = speaker.embed(x.astype(np.float32))
        return {"pitch": same, "bank": np.tile(same, (len(warps) * len(alphas), 1))}
    f0, sp, ap = _analyse(x)  # once: the pitch-normalised trial and every bank entry start from it
    pitched = _synthesise(f0, sp, ap, x, PITCH_TARGET_HZ)
    pitched_embedding = speaker.embed(pitched)
    bank = []
    for warp in warps:
        # no warp: the pitch-normalised trial itself (WORLD's synthesis is deterministic), not made again
        undone = pitched if warp == 1.0 else _synthesise(f0, anonymize.warp_envelope(sp, 1.0 / warp), ap, x,
                                                         PITCH_TARGET_HZ)
        for alpha in alphas:
            if alpha:
                bank.append(speaker.embed(mcadams.mcadams(undone, RATE, alpha)))
            else:
                bank.append(pitched_embedding if warp == 1.0 else speaker.embed(undone))
    return {"pitch": pitched_embedding, "bank": np.array(bank)}


def attack(enrol: list[dict], trials: list[dict], trial_raw: np.ndarray, speakers: list[str]) -> dict:
    """{"eer_informed_normalizing": best EER, "strategies": {name: EER}, "best": name,
    "_scores": (target, non-target) of the best}. Lists and rows in utterance order."""
    e = {k: np.array([f[k] for f in enrol]) for k in ("keys", "keys_pitch", "own_pitch")}
    t_pitch = np.array([f["pitch"] for f in trials])
    bank = np.stack([f["bank"] for f in trials], axis=1)  # (bank size, utterances, dims)
    best_over_bank = np.max([speaker.cosine_matrix(e["own_pitch"], b) for b in bank], axis=0)
    scores = {
        "keys": speaker.cosine_scores(e["keys"], np.asarray(trial_raw), speakers),
        "keys_pitch": speaker.cosine_scores(e["keys_pitch"], t_pitch, speakers),
        "keys_pitch_lda": speaker.semi_informed_scores(e["keys_pitch"], t_pitch, speakers),
        "own_pitch": speaker.cosine_scores(e["own_pitch"], t_pitch, speakers),
        "inverse_bank": speaker.pair_scores(best_over_bank, speakers),
    }
    eers = {name: round(eer(*scores[name]), 4) for name in STRATEGIES}
    best = min(STRATEGIES, key=eers.__getitem__)
    return {"eer_informed_normalizing": eers[best], "strategies": eers, "best": best,
            "bank_size": int(bank.shape[0]), "_scores": scores[best]}
