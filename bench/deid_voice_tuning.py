"""Compare voice-anonymisation settings on one reduced evaluation (the tuning table in
docs/privacy-evaluation.md): speaker re-identification EERs and Whisper WER per setting.

The corpus, the original embeddings and the original transcripts are computed once; every
setting then anonymises the same utterances with the same seed. Nothing is written to disk.

    python bench/deid_voice_tuning.py [--speakers 18 --per-speaker 5] [SETTING ...]

A SETTING is a profile name (light, standard, strong, b2) or a JSON object of VoiceProfile
fields, e.g. '{"mcadams": null, "pitch_semitones": [3, 6], "warp": [0.12, 0.22]}'.
"""
from __future__ import annotations

import argparse
import json
import os
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "quietroom.settings")

import numpy as np  # noqa: E402

from quietroom.deid import anonymize, asr  # noqa: E402
from quietroom.evaluation import corpus, metrics, run, speaker  # noqa: E402


def setting(spec: str) -> anonymize.VoiceProfile:
    if spec in anonymize.PROFILES:
        return anonymize.PROFILES[spec]
    fields = json.loads(spec)
    fields = {k: tuple(v) if isinstance(v, list) else v for k, v in fields.items()}
    fields.setdefault("mcadams", None)
    return anonymize.VoiceProfile(name=fields.pop("name", "custom"), **fields)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--speakers", type=int, default=None)
    parser.add_argument("--per-speaker", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--wer-grouped", action="store_true", help="transcribe in ~25 s groups (cheaper)")
    parser.add_argument("settings", nargs="*", default=["b2", "light", "standard", "strong"])
    args = parser.parse_args()
    utts = corpus.build(args.speakers, args.per_speaker, args.seed)
    engine = asr.get_engine()
    orig = np.array([speaker.embed(u.audio) for u in utts])
    english = [u for u in utts if u.text]
    refs, hyps = run.transcribe_many(engine, [u.audio for u in english], [u.text for u in english], args.wer_grouped)
    names = [u.speaker for u in utts]
    print(f"{len(set(names))} speakers, {len(utts)} utterances; WER original {metrics.wer(refs, hyps):.3f}; "
          f"EER original {speaker.attack_eers(orig, orig, orig, names)['eer_original']:.3f}", flush=True)
    print("| setting | EER ignorant | lazy | semi | WER anon | CPU s |")
    for spec in args.settings:
        profile = setting(spec)
        rng = np.random.default_rng(args.seed + 1)
        t = time.process_time()
        enrol, trial, spoken = [], [], []
        for u in utts:
            a = anonymize.anonymize(u.audio, profile, rng)[0]
            b = anonymize.anonymize(u.audio, profile, rng)[0]
            enrol.append(speaker.embed(a))
            trial.append(speaker.embed(b))
            if u.text:
                spoken.append(b)
        r, h = run.transcribe_many(engine, spoken, [u.text for u in english], args.wer_grouped)
        e = speaker.attack_eers(orig, np.array(enrol), np.array(trial), names)
        print(f"| {spec} | {e['eer_ignorant']:.3f} | {e['eer_lazy_informed']:.3f} | {e['eer_semi_informed']:.3f} | "
              f"{metrics.wer(r, h):.3f} | {time.process_time() - t:.0f} |", flush=True)


if __name__ == "__main__":
    main()
