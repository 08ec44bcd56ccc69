"""Which language pipeline a recording's locale gets.

A recording's locale ("fr-FR", "en-GB") picks the recogniser's language, the PII recognizers
and the spoken-number grammar. English is the default and what every locale without its own
pipeline gets (as before French existed); French ("fr", "fr-FR", "fr-CA", "fr-BE", ...) has its
own (`quietroom.deid.pii.fr_engine`), loaded only when a French recording first appears.

French is always transcribed by Whisper base with `language="fr"`, whatever the organisation
chose for English: tiny.en and pocketsphinx carry English models only, and base is the one
multilingual model bundled (`ENGINE_FOR_LANGUAGE`).
"""
from __future__ import annotations

LANGUAGES = ("en", "fr")
DEFAULT_LANGUAGE = "en"
# (ASR engine, bundled Whisper model) a non-English language always uses; English keeps the
# organisation's choice (DeidProfile.asr_model, QUIETROOM_ASR_MODEL).
ENGINE_FOR_LANGUAGE = {"fr": ("faster-whisper", "base")}


def language_of(locale: str | None) -> str:
    """The pipeline language of a BCP 47 locale: "fr-FR" -> "fr"; unknown or empty -> "en"."""
    primary = (locale or "").replace("_", "-").split("-")[0].strip().lower()
    return primary if primary in LANGUAGES else DEFAULT_LANGUAGE
