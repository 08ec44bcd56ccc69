"""`quietroom evaluate --locale fr-FR`: the same figures for French recordings.

What the English evaluation measures (`run`), on French speech and text: speaker
re-identification EER for the three attackers, WER of the French listener (Whisper base with
`language="fr"`, the engine French recordings get) on real recorded French speech, original and
anonymised, PII recall/precision on the generated French set (`piiset_fr`, both styles, per
entity), and the audio leak rate of de-identified French PII sentences - each for the chosen
profile and for the VoicePrivacy B2 baseline on the same data.

Speech: June, the real recorded speaker of Debian's French asterisk prompts
(asterisk-core-sounds-fr-wav, transcripts in asterisk-core-sounds-fr), for WER and as one
speaker; espeak-ng's French voices as further (synthetic) speakers, since speaker
re-identification needs at least three. WER is measured on June only (real speech).
"""
from __future__ import annotations

import functools
import gzip
import re
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from quietroom import testspeech
from quietroom.deid import anonymize, asr, locales, pii
from quietroom.deid import pipeline as deid

from . import corpus, metrics, parallel, piiset_fr, speaker
from . import run
from .run import EvalProgress, EvalScale, _counted, _quiet

LOCALE = "fr-FR"
LANGUAGE = "fr"
JUNE = "fr_CA_f_June"
JUNE_TRANSCRIPTS = Path("/usr/share/doc/asterisk-core-sounds-fr/core-sounds-fr.txt.gz")
ESPEAK_VOICES = ("fr", "fr+m3", "fr+f2", "fr-be+m7", "fr-ch+f4", "fr+f5")
# Neutral French sentences for the synthetic voices (no personal data, no numbers).
SENTENCES = (
    "merci de votre appel comment puis-je vous aider aujourd'hui",
    "je voudrais changer l'adresse de livraison de ma commande",
    "pouvez-vous patienter un instant s'il vous plaît",
    "le colis est arrivé hier mais la boîte était abîmée",
    "j'ai déjà essayé de redémarrer l'appareil deux fois",
    "je vérifie cela pour vous tout de suite",
    "puis-je vous aider pour autre chose",
    "il a fait très beau toute la semaine",
    "éteins les lumières de la cuisine s'il te plaît",
    "à quelle heure ferme la pharmacie ce soir",
    "rappelle-moi d'arroser les plantes après le travail",
    "mets de la musique douce dans le salon",
)


@dataclass(frozen=True)
class FrenchPrompt:
    path: Path
    text: str


@functools.lru_cache(maxsize=1)
def june_prompts() -> tuple[FrenchPrompt, ...]:
    """June's top-level prompts that have a WAV, a transcript and 1.5-6 s of speech, sorted."""
    files = {p.stem: p for p in testspeech.asterisk_speaker_files(JUNE)}
    if not files or not JUNE_TRANSCRIPTS.is_file():
        return ()
    out = []
    with gzip.open(JUNE_TRANSCRIPTS, "rt", encoding="utf-8", errors="replace") as f:
        for line in f:
            name, sep, text = line.partition(":")
            name, text = name.strip(), text.strip()
            if not sep or line.startswith(";") or "/" in name or not text or text[0] in "[(" or name not in files:
                continue
            out.append(FrenchPrompt(files[name], text))
    return tuple(sorted(out, key=lambda p: p.path.name))


def synthetic_voices() -> list[tuple[str, callable]]:
    if not testspeech.espeak_available():
        return []
    return [(f"espeak-{v}", functools.partial(testspeech.synthesize_espeak, voice=v)) for v in ESPEAK_VOICES]


def build_corpus(speakers: int | None, per_speaker: int, seed: int) -> list[corpus.Utterance]:
    """June (real) first, then espeak-ng French voices, `per_speaker` utterances each."""
    rng = np.random.default_rng(seed)
    out = []
    prompts = june_prompts()
    if len(prompts) >= per_speaker:
        for i in rng.choice(len(prompts), size=per_speaker, replace=False):
            p = prompts[int(i)]
            out.append(corpus.Utterance("asterisk-june", corpus._trim(testspeech.read_file_16k(p.path)), p.text, True))
    for label, speak in synthetic_voices():
        if speakers and len({u.speaker for u in out}) >= speakers:
            break
        for i in rng.choice(len(SENTENCES), size=min(per_speaker, len(SENTENCES)), replace=False):
            out.append(corpus.Utterance(label, corpus._trim(speak(SENTENCES[int(i)])), SENTENCES[int(i)], False))
    return out


def normalise(text: str) -> str:
    """French words to compare: lower case, ’ as ', numbers in words (num2words), punctuation
    and hyphens as spaces, "oe" for "œ"; accents kept (they tell words apart: "a"/"à")."""
    text = unicodedata.normalize("NFC", text.lower()).replace("’", "'").replace("œ", "oe")
    text = re.sub(r"\d+", lambda m: " " + piiset_fr.words(int(m.group())) + " ", text)
    text = re.sub(r"[^\w']+", " ", text.replace("-", " "))
    return " ".join(w.strip("'") for w in text.split() if w.strip("'"))


def wer(references: list[str], hypotheses: list[str]) -> float:
    import jiwer

    pairs = [(normalise(r), normalise(h)) for r, h in zip(references, hypotheses)]
    pairs = [(r, h) for r, h in pairs if r]
    return float(jiwer.wer([r for r, _ in pairs], [h for _, h in pairs]))


def listener() -> asr.AsrEngine:
    """The engine French recordings are heard by (`locales.ENGINE_FOR_LANGUAGE`)."""
    return deid.DeidConfig(language=LANGUAGE).engine()


def _voice(utts, real, profile_name: str, seed: int, orig_emb, wer_original: float, progress) -> tuple[dict, dict]:
    profile = anonymize.get_profile(profile_name)
    rng = np.random.default_rng(seed)
    enrol, trial = [], []
    for u in _counted(utts, f"fr: anonymising and embedding ({profile_name})", progress):
        a_enrol, _ = anonymize.anonymize(u.audio, profile, rng)
        enrol.append(speaker.embed(a_enrol))
        trial.append(speaker.embed(anonymize.anonymize(u.audio, profile, rng)[0]))
    engine = listener()
    hyps = [engine.transcribe(anonymize.anonymize(p_audio, profile, rng)[0]).text
            for p_audio in _counted([a for a, _ in real], f"fr: transcribing anonymised ({profile_name})", progress)]
    eers = speaker.attack_eers(orig_emb, np.array(enrol), np.array(trial), [u.speaker for u in utts])
    scores = eers.pop("_scores")
    figures = {k: round(v, 4) for k, v in eers.items()}
    figures["wer_anonymized"] = figures["wer_anonymized_base"] = round(wer([t for _, t in real], hyps), 4)
    figures["wer_original"] = figures["wer_original_base"] = wer_original
    return figures, scores


def speak_pii(sentences, progress) -> list[run.SpokenPii]:
    """French PII sentences spoken by espeak-ng's French voices (in turn) and heard once as they
    are by the French listener: the same for every profile's leak test, so made once."""
    voices = synthetic_voices()
    if not voices:
        raise RuntimeError("espeak-ng is needed for the French leak test (scripts/system-deps.sh)")
    engine = listener()
    out = []
    for k, s in enumerate(_counted(sentences, "fr: speaking PII sentences", progress)):
        audio = voices[k % len(voices)][1](s.text)
        words = [w for a, b, _e in s.spans for w in normalise(s.text[a:b]).split() if w not in _NOT_PII]
        out.append(run.SpokenPii(audio, words, _leaked(words, normalise(engine.transcribe(audio).text))))
    return out


def _leak(spoken: list[run.SpokenPii], profile_name: str, seed: int, progress) -> dict:
    """De-identify the spoken French PII sentences (`speak_pii`) as a French recording,
    transcribe the result with the French listener: how many PII words are still heard."""
    config = deid.DeidConfig(voice_profile=profile_name, language=LANGUAGE)
    engine = listener()
    rng = np.random.default_rng(seed)
    total = leaked = raw = 0
    for s in _counted(spoken, f"fr: audio leak test ({profile_name})", progress):
        out_audio, *_ = deid.deidentify_snippet(s.audio, config, rng)
        total += len(s.words)
        leaked += _leaked(s.words, normalise(engine.transcribe(out_audio).text))
        raw += s.raw_said
    return {"audio_leak_rate": round(leaked / max(1, total), 4), "leak_pii_words": total,
            "leak_recognised_before_redaction": round(raw / max(1, total), 4)}


_NOT_PII = {"point", "arobase", "tiret", "du", "bas", "de", "la", "le", "l", "des", "et", "rue", "avenue", "à", "f", "r"}


def _leaked(words: list[str], hypothesis: str) -> int:
    said = hypothesis.split()
    count = 0
    for w in words:
        if w in said:
            said.remove(w)
            count += 1
    return count


def pii_evaluation(labelled, progress: EvalProgress = _quiet) -> dict:
    """`run.pii_evaluation` on French text with the French recognizers."""
    from quietroom.deid.pii import lexicon

    def name_words(span_text: str) -> list[str]:  # folded: the gazetteer has no accents
        return [lexicon.fold(w) for w in piiset_fr.name_words(span_text)]

    return run.pii_evaluation(labelled, progress, language=LANGUAGE, name_words=name_words, stage="fr: PII detection")


def evaluate_pii(scale: EvalScale = EvalScale(), progress: EvalProgress = _quiet) -> dict:
    """French PII detection alone (`evaluate --pii-only --locale fr-FR`)."""
    started = time.perf_counter()
    labelled = piiset_fr.generate(scale.pii_sentences, seed=scale.seed)
    figures = pii_evaluation(labelled, progress)
    spans = figures.pop("_all")
    return {"pii_recall": round(spans["recall"], 4), "pii_precision": round(spans["precision"], 4), "pii": figures,
            "setup": {"locale": LOCALE, "pii_sentences": len(labelled), "pii_spans": spans["spans"],
                      "seed": scale.seed, "pii_engine": pii.analyzer_version(LANGUAGE),
                      "seconds": round(time.perf_counter() - started, 1)}}


def evaluate(scale: EvalScale = EvalScale(), default_profile: str = anonymize.DEFAULT_PROFILE,
             progress: EvalProgress = _quiet, wer_utterances: int = 200) -> tuple[dict, dict]:
    """The French figures (the `fr` section of `evaluate --json`) and extras for plots.
    `wer_utterances`: June's prompts transcribed for WER (all of them when fewer)."""
    started = time.perf_counter()
    anonymize.get_profile(default_profile)  # an unknown name fails now, not after minutes of work
    # torch (the speaker embeddings) on one thread, as the English evaluation's workers run it
    # (`parallel`): on two threads on a busy machine each embedding took several times as long.
    parallel.one_thread()
    utts = build_corpus(scale.speakers, scale.per_speaker, scale.seed)
    if len({u.speaker for u in utts}) < 3:
        raise RuntimeError("French evaluation needs three speakers: install asterisk-core-sounds-fr-wav and "
                           "espeak-ng (scripts/system-deps.sh)")
    prompts = june_prompts()
    if not prompts:
        raise RuntimeError("no French real speech: install asterisk-core-sounds-fr-wav and asterisk-core-sounds-fr")
    rng = np.random.default_rng(scale.seed)
    chosen = [prompts[int(i)] for i in sorted(rng.choice(len(prompts), size=min(wer_utterances, len(prompts)),
                                                         replace=False))]
    real = [(corpus._trim(testspeech.read_file_16k(p.path)), p.text) for p in chosen]
    engine = listener()
    orig_emb = np.array([speaker.embed(u.audio) for u in _counted(utts, "fr: embedding original voices", progress)])
    orig_hyps = [engine.transcribe(a).text for a, _ in _counted(real, "fr: transcribing originals", progress)]
    wer_original = round(wer([t for _, t in real], orig_hyps), 4)

    labelled = piiset_fr.generate(scale.pii_sentences, seed=scale.seed)
    pii_figures = pii_evaluation(labelled, progress)
    spans = pii_figures.pop("_all")
    with_pii = speak_pii([s for s in labelled if s.spans and s.style == "spoken"][: scale.leak_sentences], progress)

    figures, scores = _voice(utts, real, default_profile, scale.seed + 1, orig_emb, wer_original, progress)
    figures.update(pii_recall=round(spans["recall"], 4), pii_precision=round(spans["precision"], 4), pii=pii_figures)
    figures.update(_leak(with_pii, default_profile, scale.seed + 2, progress))
    base, base_scores = _voice(utts, real, "b2", scale.seed + 1, orig_emb, wer_original, progress)
    base.update(pii_recall=figures["pii_recall"], pii_precision=figures["pii_precision"])
    base.update(_leak(with_pii, "b2", scale.seed + 2, progress))
    figures["baseline"] = base
    figures["setup"] = {
        "locale": LOCALE, "profile": anonymize.get_profile(default_profile).as_dict(),
        "speakers": len({u.speaker for u in utts}), "real_speakers": len({u.speaker for u in utts if u.real}),
        "utterances": len(utts), "wer_utterances": len(real), "wer_speech": "asterisk June (fr-CA), real",
        "pii_sentences": len(labelled), "pii_spans": spans["spans"],
        "asr": {"engine": engine.name, "model": engine.model, "language": LANGUAGE},
        "pii_engine": pii.analyzer_version(LANGUAGE), "seconds": round(time.perf_counter() - started, 1),
    }
    return figures, {"scores": scores, "baseline_scores": base_scores}


def wanted(choice: str) -> tuple[bool, bool]:
    """(English figures, French figures) for `evaluate --locale`: "all", "en..." or "fr...";
    any other language has no pipeline of its own yet."""
    if choice == "all":
        return True, True
    primary = choice.replace("_", "-").split("-")[0].lower()
    if primary not in locales.LANGUAGES:
        raise ValueError(f"no evaluation for locale {choice!r}: choose all, en or a French locale (fr-FR)")
    return primary == "en", primary == LANGUAGE
