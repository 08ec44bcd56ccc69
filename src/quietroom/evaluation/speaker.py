"""Speaker re-identification attacks with resemblyzer embeddings (VoicePrivacy attackers).

- ignorant: enrolment is original speech, trials are anonymised;
- lazy-informed: enrolment anonymised with the same system (its own random draws), trials too;
- semi-informed: like lazy-informed, scored through a back-end (LDA, then cosine) trained on
  anonymised speech of *other* speakers (two folds over the speaker list).
"""
from __future__ import annotations

import functools
import itertools

import numpy as np

from .metrics import eer


@functools.lru_cache(maxsize=1)
def _encoder():
    from resemblyzer import VoiceEncoder

    return VoiceEncoder(device="cpu", verbose=False)


def embed(audio: np.ndarray) -> np.ndarray:
    from resemblyzer import preprocess_wav

    wav = preprocess_wav(np.asarray(audio, dtype=np.float32), source_sr=16000)
    if wav.size < 1600:  # resemblyzer trims silence; keep something to embed
        wav = np.asarray(audio, dtype=np.float32)
    return _encoder().embed_utterance(wav)


def _pairs(speakers: list[str]):
    """Every (enrol i, trial j) with i != j; target when the speaker is the same."""
    n = len(speakers)
    for i, j in itertools.permutations(range(n), 2):
        yield i, j, speakers[i] == speakers[j]


def cosine_matrix(enrol: np.ndarray, trial: np.ndarray) -> np.ndarray:
    e = enrol / np.linalg.norm(enrol, axis=1, keepdims=True)
    t = trial / np.linalg.norm(trial, axis=1, keepdims=True)
    return e @ t.T


def pair_scores(sims: np.ndarray, speakers: list[str]):
    """(target, non-target) scores from an (enrol, trial) score matrix, over `_pairs`."""
    tgt, non = [], []
    for i, j, same in _pairs(speakers):
        (tgt if same else non).append(sims[i, j])
    return np.array(tgt), np.array(non)


def cosine_scores(enrol: np.ndarray, trial: np.ndarray, speakers: list[str]):
    return pair_scores(cosine_matrix(enrol, trial), speakers)


def lda(train: np.ndarray, labels: list[str], dims: int | None = None) -> np.ndarray:
    """Projection maximising between-speaker over within-speaker scatter (regularised)."""
    x = train - train.mean(axis=0)
    classes = sorted(set(labels))
    lab = np.array(labels)
    sw = np.zeros((x.shape[1], x.shape[1]))
    sb = np.zeros_like(sw)
    for c in classes:
        xc = x[lab == c]
        mu = xc.mean(axis=0)
        sw += (xc - mu).T @ (xc - mu)
        sb += len(xc) * np.outer(mu, mu)
    sw += 1e-3 * np.trace(sw) / sw.shape[0] * np.eye(sw.shape[0])
    import scipy.linalg

    vals, vecs = scipy.linalg.eigh(sb, sw)
    dims = dims or max(1, len(classes) - 1)
    return vecs[:, np.argsort(vals)[::-1][:dims]]


def semi_informed_scores(enrol: np.ndarray, trial: np.ndarray, speakers: list[str]):
    """(target, non-target) cosine scores after an LDA back-end, two folds over the speakers:
    the back-end is trained on one half's enrolment and trial embeddings and scores the other
    half, so it never sees the speakers it scores."""
    names = sorted(set(speakers))
    folds = [names[0::2], names[1::2]]
    tgt_all, non_all = [], []
    for k in (0, 1):
        train_names, test_names = set(folds[k]), set(folds[1 - k])
        tr = [i for i, s in enumerate(speakers) if s in train_names]
        te = [i for i, s in enumerate(speakers) if s in test_names]
        train = np.concatenate([enrol[tr], trial[tr]])
        train_labels = [speakers[i] for i in tr] * 2
        proj = lda(train, train_labels)
        mean = train.mean(axis=0)
        e = (enrol[te] - mean) @ proj
        t = (trial[te] - mean) @ proj
        tg, nt = cosine_scores(e, t, [speakers[i] for i in te])
        tgt_all.append(tg)
        non_all.append(nt)
    return np.concatenate(tgt_all), np.concatenate(non_all)


def attack_eers(orig: np.ndarray, anon_enrol: np.ndarray, anon_trial: np.ndarray, speakers: list[str]) -> dict:
    """EERs of the three attackers. orig/anon_*: (utterances, dims) embeddings in one order."""
    out = {"eer_ignorant": eer(*cosine_scores(orig, anon_trial, speakers)),
           "eer_lazy_informed": eer(*cosine_scores(anon_enrol, anon_trial, speakers)),
           "eer_original": eer(*cosine_scores(orig, orig, speakers))}
    semi = semi_informed_scores(anon_enrol, anon_trial, speakers)
    out["eer_semi_informed"] = eer(*semi)
    out["_scores"] = {
        "ignorant": cosine_scores(orig, anon_trial, speakers),
        "lazy_informed": cosine_scores(anon_enrol, anon_trial, speakers),
        "semi_informed": semi,
    }
    return out
