"""`quietroom evaluate`: privacy and utility of the de-identification pipeline, measured.

Figures (fractions): eer_ignorant, eer_lazy_informed, eer_semi_informed (the VoicePrivacy
attackers) and eer_informed_normalizing (an attacker who knows the method, `kerckhoffs`) for
speaker re-identification, higher = more private; wer_original / wer_anonymized under Whisper
tiny.en and wer_original_base / wer_anonymized_base under Whisper base, on real recorded English
(`corpus.real_english`), each with a paired bootstrap interval (`intelligibility`);
pii_recall / pii_precision (span detection on the generated set, both styles; "pii" has them
per style and per entity) and
audio_leak_rate (PII words still recognisable in the de-identified audio). The same keys under
"baseline" for the VoicePrivacy B2 McAdams baseline on the same speech; "profiles" has the
privacy/intelligibility frontier (every profile asked for, B2 included).
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

import numpy as np

from quietroom.deid import anonymize, asr, pii
from quietroom.deid import pipeline as deid

from . import corpus, intelligibility, kerckhoffs, metrics, parallel, piiset, speaker, tasks

# The two listeners WER is measured with: the pipeline's default recogniser and a larger one,
# closer to a person's robustness to a changed voice. tiny.en keeps today's key names.
LISTENERS = {"tiny.en": "", "base": "_base"}

# Called with (stage, items done, items in the stage) as the evaluation goes: it runs for
# minutes, and the command shows where it is.
EvalProgress = Callable[[str, int, int], None]


def _quiet(stage: str, done: int, total: int) -> None:
    pass


def _counted(items, stage: str, progress: EvalProgress):
    """`items`, telling `progress` as each one is taken."""
    items = list(items)
    progress(stage, 0, len(items))
    for done, item in enumerate(items, start=1):
        yield item
        progress(stage, done, len(items))


@dataclass(frozen=True)
class EvalScale:
    speakers: int | None = None  # None: every speaker available
    per_speaker: int = 8
    pii_sentences: int = 1200  # per style (written, spoken)
    leak_sentences: int = 48
    seed: int = 0
    # Transcribe WER utterances joined into ~25 s groups (cheaper) instead of one by one as the
    # pipeline does with snippets. Off by default: on a joined group Whisper sometimes stops
    # decoding after the first sentence, deleting the rest, a long-form failure that snippets
    # of at most 10 s transcribed alone do not have.
    wer_grouped: bool = False
    wer_utterances: int = 200  # real recorded English prompts for WER (`corpus.real_english`)
    attacker_keys: int = 5  # random keys the Kerckhoffs attacker anonymises its enrolment under


def _chunks(utts_audio: list[np.ndarray], limit: float = 25.0) -> list[list[int]]:
    """Indices grouped so each group, joined with short pauses, fits one Whisper window."""
    groups, current, length = [], [], 0.0
    for i, a in enumerate(utts_audio):
        seconds = a.size / 16000 + 0.6
        if current and length + seconds > limit:
            groups.append(current)
            current, length = [], 0.0
        current.append(i)
        length += seconds
    if current:
        groups.append(current)
    return groups


def transcribe_many(engine, audios: list[np.ndarray], texts: list[str], grouped: bool = False,
                    progress: EvalProgress = _quiet, stage: str = "transcribing") -> tuple[list[str], list[str]]:
    """(references, hypotheses): one per utterance, or (grouped) one per group of utterances
    transcribed together.

    Whisper always encodes a 30 s window, so a 3 s clip costs as much as a 25 s one: joining
    utterances (with 0.6 s pauses) makes the WER measurement several times cheaper, but it is
    not what the pipeline does (it transcribes each snippet alone) and on a joined group Whisper
    can stop after the first sentence, so the default is one utterance at a time.
    """
    if not grouped:
        return list(texts), [engine.transcribe(a).text for a in _counted(audios, stage, progress)]
    pause = np.zeros(int(0.6 * 16000), dtype=np.float32)
    refs, hyps = [], []
    for group in _counted(_chunks(audios), stage, progress):
        joined = np.concatenate([np.concatenate([audios[i], pause]) for i in group])
        refs.append(" ".join(texts[i] for i in group))
        hyps.append(engine.transcribe(joined).text)
    return refs, hyps


def _wer_units(real: list, grouped: bool) -> list[tuple[np.ndarray, str]]:
    """(audio, reference) per utterance or, grouped, per ~25 s group joined with pauses."""
    if not grouped:
        return [(u.audio, u.text) for u in real]
    pause = np.zeros(int(0.6 * 16000), dtype=np.float32)
    return [(np.concatenate([np.concatenate([real[i].audio, pause]) for i in group]), " ".join(real[i].text for i in group))
            for group in _chunks([u.audio for u in real])]


def _voice_figures(pool: parallel.Workers, utts, units, profile_name: str, seed: int, orig_emb: np.ndarray,
                   originals: dict, scale: EvalScale, own_voices: list, listeners=tuple(LISTENERS),
                   progress: EvalProgress = _quiet) -> tuple[dict, dict]:
    """One profile: the four attackers on the speaker set, WER of each listener on the real
    English units (originals: listener -> hypotheses of the original units; own_voices: the
    Kerckhoffs attacker's `kerckhoffs.own_voice` per utterance, the same for every profile)."""
    items = [(profile_name, u.audio, (seed, 0, i)) for i, u in enumerate(utts)]
    enrol, trial, trial_audio = zip(*pool.map(tasks.anonymise_and_embed, items,
                                              f"anonymising and embedding ({profile_name})", progress))
    speakers = [u.speaker for u in utts]
    eers = speaker.attack_eers(orig_emb, np.array(enrol), np.array(trial), speakers)
    scores = eers.pop("_scores")
    figures = {k: round(v, 4) for k, v in eers.items()}

    keys = [(profile_name, u.audio, (seed, 2, i), scale.attacker_keys, own_voices[i]) for i, u in enumerate(utts)]
    k_enrol = pool.map(kerckhoffs.enrolment_features, keys, f"Kerckhoffs attacker enrolment ({profile_name})", progress)
    k_trial = pool.map(kerckhoffs.trial_features, [(profile_name, a) for a in trial_audio],
                       f"Kerckhoffs attacker trials ({profile_name})", progress)
    attack = kerckhoffs.attack(k_enrol, k_trial, np.array(trial), speakers)
    scores["informed_normalizing"] = attack.pop("_scores")
    figures["eer_informed_normalizing"] = attack.pop("eer_informed_normalizing")
    figures["kerckhoffs"] = {**attack, "keys": scale.attacker_keys, "pitch_target_hz": kerckhoffs.PITCH_TARGET_HZ}

    spoken = pool.map(tasks.anonymise, [(profile_name, a, (seed, 1, i)) for i, (a, _t) in enumerate(units)],
                      f"anonymising real speech ({profile_name})", progress)
    refs = [t for _a, t in units]
    for model in listeners:
        hyps = pool.map(tasks.transcribe, [(model, a) for a in spoken], f"transcribing anonymised ({profile_name}, {model})",
                        progress)
        figures.update(intelligibility.figures(intelligibility.counts(refs, originals[model]),
                                               intelligibility.counts(refs, hyps), LISTENERS[model], seed))
    return figures, scores


FRONTIER_KEYS = ("eer_ignorant", "eer_lazy_informed", "eer_semi_informed", "eer_informed_normalizing",
                 "wer_ratio_base", "wer_ratio_base_ci", "wer_ratio", "wer_ratio_ci")


def _frontier_point(block: dict) -> dict:
    return {k: block[k] for k in FRONTIER_KEYS if k in block}


@dataclass(frozen=True)
class SpokenPii:
    """A PII sentence spoken by a synthetic voice: the audio, its PII words, and how many of
    them the listener recognises before de-identification."""

    audio: np.ndarray
    words: list[str]
    raw_said: int


def speak_pii(sentences, progress: EvalProgress = _quiet) -> list[SpokenPii]:
    """PII sentences spoken with synthetic voices (in turn) and heard once as they are: the
    same speech and the same recognised words for every profile's leak test, so made once."""
    from quietroom import testspeech

    voices = [v for v in testspeech.synthetic_voices()]
    if not voices:
        raise RuntimeError("no synthetic voice installed (flite, festival or espeak-ng)")
    engine = asr.get_engine()
    out = []
    for k, s in enumerate(_counted(sentences, "speaking PII sentences", progress)):
        _name, speak = voices[k % len(voices)]
        audio = speak(s.text)
        words = metrics.pii_tokens(s.text, s.spans)
        out.append(SpokenPii(audio, words, metrics.leaked(words, engine.transcribe(audio).text)))
    return out


def _leak(spoken: list[SpokenPii], profile_name: str, seed: int, progress: EvalProgress = _quiet) -> dict:
    """De-identify the spoken PII sentences (`speak_pii`), transcribe the result."""
    config = deid.DeidConfig(voice_profile=profile_name)
    engine = asr.get_engine()
    rng = np.random.default_rng(seed)
    total = leaked = raw_said = 0
    for s in _counted(spoken, f"audio leak test ({profile_name})", progress):
        out_audio, *_ = deid.deidentify_snippet(s.audio, config, rng)
        total += len(s.words)
        leaked += metrics.leaked(s.words, engine.transcribe(out_audio).text)
        raw_said += s.raw_said
    return {"audio_leak_rate": round(leaked / max(1, total), 4),
            "leak_pii_words": total, "leak_recognised_before_redaction": round(raw_said / max(1, total), 4)}


def pii_evaluation(labelled, progress: EvalProgress = _quiet, *, language: str = "en",
                   name_words: Callable[[str], list[str]] = piiset.name_words,
                   stage: str = "PII detection") -> dict:
    """PII detection on a generated set: {"_all": span_scores over both styles, style:
    pii_breakdown block, ...}; each sentence is detected once, by `language`'s recognizers.
    PERSON recall is also given for names the recognizer's gazetteer knows and for names it does
    not (the generated sets draw their names from their own lists, not the gazetteer);
    `name_words` splits a labelled name into the words looked up, as the gazetteer writes them."""
    from quietroom.deid.pii import lexicon

    def name_known(span_text: str) -> bool:  # every word of the name is in the recognizer's gazetteer
        words = name_words(span_text)
        return bool(words) and all(lexicon.is_name(w) for w in words)

    predictions = {s.text: pii.detect(s.text, language=language) for s in _counted(labelled, stage, progress)}
    figures = metrics.pii_breakdown(labelled, predictions.__getitem__, name_known)
    figures["_all"] = metrics.span_scores(labelled, predictions.__getitem__)
    return figures


def evaluate_pii(scale: EvalScale = EvalScale(), progress: EvalProgress = _quiet) -> dict:
    """PII detection alone (`quietroom evaluate --pii-only`): no speech, a few seconds."""
    started = time.perf_counter()
    labelled = piiset.generate(scale.pii_sentences, seed=scale.seed)
    figures = pii_evaluation(labelled, progress)
    spans = figures.pop("_all")
    return {"pii_recall": round(spans["recall"], 4), "pii_precision": round(spans["precision"], 4), "pii": figures,
            "setup": {"pii_sentences": len(labelled), "pii_spans": spans["spans"], "seed": scale.seed,
                      "pii_engine": pii.analyzer_version(), "seconds": round(time.perf_counter() - started, 1)}}


def evaluate(scale: EvalScale = EvalScale(), default_profile: str = anonymize.DEFAULT_PROFILE,
             progress: EvalProgress = _quiet, profiles: tuple[str, ...] = (), workers: int = 1) -> tuple[dict, dict]:
    """(figures, extras for plots); `progress` hears of each stage's items as they are done.

    `profiles`: more voice profiles for the frontier (EER of every attacker and WER under the
    base listener; no leak test). The default profile and B2 are always on it."""
    started = time.perf_counter()
    for name in (default_profile, *profiles):
        anonymize.get_profile(name)  # an unknown name fails now, not after minutes of work
    utts = corpus.build(scale.speakers, scale.per_speaker, scale.seed)
    if len({u.speaker for u in utts}) < 3:
        # The semi-informed attacker trains on some speakers and is scored on others.
        raise RuntimeError("need at least three speakers: install the asterisk prompts, flite, festival or espeak-ng "
                           "(scripts/system-deps.sh)")
    real = corpus.real_english(scale.wer_utterances, scale.seed)
    units = _wer_units(real, scale.wer_grouped)
    engine = asr.get_engine()
    with parallel.Workers(workers) as pool:
        orig_emb = np.array(pool.map(tasks.embed, [u.audio for u in utts], "embedding original voices", progress))
        own_voices = pool.map(kerckhoffs.own_voice, [u.audio for u in utts], "Kerckhoffs attacker's own voices",
                              progress)
        originals = {model: pool.map(tasks.transcribe, [(model, a) for a, _t in units], f"transcribing originals ({model})",
                                     progress) for model in LISTENERS}

        labelled = piiset.generate(scale.pii_sentences, seed=scale.seed)
        pii_figures = pii_evaluation(labelled, progress)
        spans = pii_figures.pop("_all")
        # Spoken with synthetic voices: the spoken style (numbers as words) is what they read best.
        with_pii = speak_pii([s for s in labelled if s.spans and s.style == "spoken"][: scale.leak_sentences], progress)

        figures, scores = _voice_figures(pool, utts, units, default_profile, scale.seed + 1, orig_emb, originals, scale,
                                         own_voices, progress=progress)
        figures.update(pii_recall=round(spans["recall"], 4), pii_precision=round(spans["precision"], 4), pii=pii_figures)
        figures.update(_leak(with_pii, default_profile, scale.seed + 2, progress))
        base, base_scores = _voice_figures(pool, utts, units, "b2", scale.seed + 1, orig_emb, originals, scale,
                                           own_voices, progress=progress)
        base.update(pii_recall=figures["pii_recall"], pii_precision=figures["pii_precision"])
        base.update(_leak(with_pii, "b2", scale.seed + 2, progress))
        frontier = {default_profile: _frontier_point(figures), "b2": _frontier_point(base)}
        for name in dict.fromkeys(profiles):
            if name not in frontier:
                block, _ = _voice_figures(pool, utts, units, name, scale.seed + 1, orig_emb, originals, scale,
                                          own_voices, listeners=("base",), progress=progress)
                frontier[name] = _frontier_point(block)
    figures["baseline"] = base
    figures["profiles"] = frontier
    figures["setup"] = {
        "profile": anonymize.get_profile(default_profile).as_dict(), "baseline_profile": anonymize.B2.as_dict(),
        "speakers": len({u.speaker for u in utts}), "real_speakers": len({u.speaker for u in utts if u.real}),
        "utterances": len(utts), "wer_utterances": len(real), "wer_units": len(units), "wer_grouped": scale.wer_grouped,
        # One real English voice has transcripts in the installed packages: WER is many
        # utterances of one studio speaker, not many speakers.
        "wer_speech": "asterisk en-US prompts with transcripts, 1-10 s (one real speaker: Allison)",
        "wer_speakers": len({u.speaker for u in real}),
        "bootstrap": {"resamples": intelligibility.RESAMPLES, "level": intelligibility.LEVEL, "over": "utterances"},
        "attacker_keys": scale.attacker_keys, "workers": workers,
        "pii_sentences": len(labelled),
        "pii_spans": spans["spans"], "asr": {"engine": engine.name, "model": engine.model},
        "listeners": {model: asr.get_engine(model=model).model for model in LISTENERS},
        "seconds": round(time.perf_counter() - started, 1),
    }
    return figures, {"scores": scores, "baseline_scores": base_scores}
