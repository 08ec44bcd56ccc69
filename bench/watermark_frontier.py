"""Forensic watermark (issue 19): the trade-off between harm to speech recognition and survival,
for a list of (strength, host cancellation) settings of `watermark.embed`.

    .venv/bin/python bench/watermark_frontier.py [--english 80] [--clips 40] [--settings 0.42/0.5,0.25/0.6,0.2/0.6] [--format 1]

Per setting: Whisper tiny.en WER of marked English snippets minus that of the same unmarked
snippets (points), and the share of clips traced exactly after 20 dB noise and after a simulated
re-recording, with the median z. Snippets as in bench/watermark.py (de-identified asterisk
prompts, in memory). The issue's targets: WER within 0.3 points, noise >= 98%, re-recording >= 80%.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402

import watermark as wmbench  # noqa: E402  (bench/watermark.py: the same snippets and key)
import watermark_attacks  # noqa: E402
from quietroom import testspeech  # noqa: E402
from quietroom.watermark import embed, layout, trace  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--english", type=int, default=80)
    parser.add_argument("--clips", type=int, default=40)
    parser.add_argument("--format", type=int, default=1, help="the format whose strength / cancellation is set")
    parser.add_argument("--settings", default="0.42/0.3,0.42/0.5,0.42/0.6,0.25/0.6,0.2/0.6")
    args = parser.parse_args()
    from quietroom.deid import asr
    from quietroom.evaluation.metrics import wer

    texts = {p.path.name: p.text for p in testspeech.asterisk_prompts()}
    files = [p for p in testspeech.asterisk_speaker_files("en_US_f_Allison", 2.0, 10.0) if p.name in texts]
    english = [(wmbench.deidentified(p, 500_000 + n), texts[p.name]) for n, p in enumerate(files[:args.english])]
    clips = [audio for _, _, audio in wmbench.snippets(args.clips)]
    rng = np.random.default_rng(19)
    serials = [int(s) for s in rng.integers(0, layout.MAX_SERIAL + 1, max(len(english), len(clips)))]
    engine = asr.get_engine("faster-whisper")
    refs = [text for _, text in english]
    base = wer(refs, [engine.transcribe(a).text for a, _ in english]) * 100
    print(f"{len(english)} English snippets (unmarked WER {base:.2f}), {len(clips)} snippets for survival")
    attacks = {"noise 20 dB": watermark_attacks.noise_20db, "re-recorded": watermark_attacks.rerecorded}
    for setting in args.settings.split(","):
        strength, host_cancel = map(float, setting.split("/"))
        marked_wer = wer(refs, [engine.transcribe(embed(a, wmbench.KEY, s, strength, host_cancel, format=args.format)).text
                                for (a, _), s in zip(english, serials)]) * 100
        row = [f"strength {strength:.2f} cancel {host_cancel:.2f}: WER {marked_wer - base:+.2f} points"]
        for name, attack in attacks.items():
            attack_rng = np.random.default_rng(7)
            findings = [trace(attack(embed(a, wmbench.KEY, s, strength, host_cancel, format=args.format), attack_rng), [wmbench.KEY])
                        for a, s in zip(clips, serials)]
            share = np.mean([f.serial == s for f, s in zip(findings, serials)])
            row.append(f"{name} {share:.0%} (z {np.median([f.score for f in findings]):.1f})")
        print("  " + " | ".join(row), flush=True)


if __name__ == "__main__":
    main()
