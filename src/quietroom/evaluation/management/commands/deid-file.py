"""quietroom deid-file IN.wav --out-dir DIR: the pipeline on one's own test audio.

Writes each de-identified snippet as WAV plus a JSON sidecar (times, redacted hypothesis, PII
spans, parameters). These are the operator's own test files, so writing them is the point;
customer recordings go through ingestion instead, where nothing is written in the clear.
"""
from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from quietroom.deid import anonymize, asr, audio_io
from quietroom.deid import pipeline as deid
from quietroom.recordings.limits import decode_limits


class Command(BaseCommand):
    help = "De-identify a test audio file into snippets (WAV) with JSON sidecars."

    def add_arguments(self, parser):
        parser.add_argument("input", help="a test audio file (WAV, FLAC, MP3 ...); never customer audio")
        parser.add_argument("--out-dir", required=True, help="folder for the snippets (WAV) and their JSON sidecars")
        parser.add_argument("--profile", default=anonymize.DEFAULT_PROFILE, choices=sorted(anonymize.PROFILES),
                            help="voice anonymisation strength (default %(default)s)")
        parser.add_argument("--asr-engine", default="faster-whisper", choices=["faster-whisper", "pocketsphinx"],
                            help="speech recogniser for the hypothesis (default %(default)s)")
        parser.add_argument("--asr-model", default=asr.DEFAULT_WHISPER_MODEL, choices=asr.WHISPER_MODELS,
                            help="bundled Whisper model that writes the hypothesis (default %(default)s; "
                                 "bench/asr_hypothesis_engine.py compares them)")
        parser.add_argument("--asr-model-dir", default=None,
                            help="a local CTranslate2 Whisper model folder (overrides --asr-model)")
        parser.add_argument("--vad-engine", default="silero", choices=["silero", "webrtc"],
                            help="voice activity detector that cuts snippets (default %(default)s)")

    def handle(self, *args, **opts):
        path = Path(opts["input"])
        try:
            samples = audio_io.load_for_pipeline(path.read_bytes(), decode_limits())
        except OSError as exc:
            raise CommandError(f"{path}: {exc.strerror or exc}") from None
        except audio_io.AudioDecodeError as exc:
            raise CommandError(f"{path}: {exc}") from None
        config = deid.DeidConfig(vad_engine=opts["vad_engine"], asr_engine=opts["asr_engine"],
                                 asr_model_dir=opts["asr_model_dir"], asr_model=opts["asr_model"],
                                 voice_profile=opts["profile"])
        try:
            results = deid.deidentify(samples, config)
        except RuntimeError as exc:
            raise CommandError(str(exc)) from None
        out = Path(opts["out_dir"])
        out.mkdir(parents=True, exist_ok=True)
        for item in results:
            stem = f"{path.stem}-snippet{item.index:03d}"
            (out / f"{stem}.wav").write_bytes(audio_io.encode_wav(item.audio))
            (out / f"{stem}.json").write_text(json.dumps({
                "source": path.name, "index": item.index, "start": round(item.start, 3), "end": round(item.end, 3),
                "hypothesis": item.hypothesis, "pii_spans": [s.as_dict() for s in item.spans],
                "redactions": [r.as_dict() for r in item.redactions], "parameters": item.params,
            }, indent=2) + "\n")
        self.stdout.write(f"{len(results)} snippet(s) written to {out}")
