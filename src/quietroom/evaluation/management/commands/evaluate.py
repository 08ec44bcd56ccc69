"""quietroom evaluate --json FILE [--report DIR] [--speakers N --per-speaker N] [--locale all|en|fr-FR] [--profiles all] [--workers N]"""
from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from quietroom.deid import anonymize
from quietroom.evaluation import french, report
from quietroom.evaluation.run import EvalScale, evaluate, evaluate_pii
from quietroom.ops.progress import Stages


class Command(BaseCommand):
    help = "Measure the de-identification pipeline (speaker re-identification EER, WER, PII) against the B2 baseline."

    def add_arguments(self, parser):
        parser.add_argument("--json", required=True, help="write the figures here")
        parser.add_argument("--report", help="folder for a Markdown/HTML report with PNG plots")
        parser.add_argument("--speakers", type=int, default=None, help="limit the number of speakers")
        parser.add_argument("--per-speaker", type=int, default=8, help="utterances per speaker (default %(default)s)")
        parser.add_argument("--pii-sentences", type=int, default=1200,
                            help="generated sentences for PII recall, in each style (default %(default)s)")
        parser.add_argument("--pii-only", action="store_true",
                            help="measure only PII detection on the generated set (seconds, no speech needed)")
        parser.add_argument("--leak-sentences", type=int, default=48, help="spoken sentences for the leak test (default %(default)s)")
        parser.add_argument("--profile", default="standard", help="voice profile evaluated as the default")
        parser.add_argument("--seed", type=int, default=0, help="random seed, for repeatable figures (default %(default)s)")
        parser.add_argument("--wer-grouped", action="store_true",
                            help="transcribe WER utterances in ~25 s groups (cheaper; Whisper may drop text)")
        parser.add_argument("--locale", default="all",
                            help="'all' (default: English, plus a 'fr' section), 'en' (English only) or a French "
                                 "locale such as fr-FR (the French figures only, under 'fr')")
        parser.add_argument("--fr-wer-utterances", type=int, default=200,
                            help="real French utterances transcribed for the French WER (default %(default)s)")
        parser.add_argument("--wer-utterances", type=int, default=200,
                            help="real recorded English prompts for WER, 1-10 s (default %(default)s; about 280 exist)")
        parser.add_argument("--attacker-keys", type=int, default=5,
                            help="random keys the method-aware attacker anonymises its enrolment under (default %(default)s)")
        parser.add_argument("--profiles", default="",
                            help="more voice profiles for the EER/WER frontier plot: 'all' or a comma-separated list "
                                 "(the default profile and B2 are always on it)")
        parser.add_argument("--workers", type=int, default=1,
                            help="processes for the per-utterance work, each on one thread (default %(default)s)")

    def handle(self, *args, **opts):
        scale = EvalScale(opts["speakers"], opts["per_speaker"], opts["pii_sentences"], opts["leak_sentences"], opts["seed"],
                          opts["wer_grouped"], wer_utterances=opts["wer_utterances"], attacker_keys=opts["attacker_keys"])
        if opts["workers"] < 1:
            raise CommandError("--workers must be at least 1")
        profiles = tuple(anonymize.PROFILES) if opts["profiles"] == "all" else \
            tuple(p.strip() for p in opts["profiles"].split(",") if p.strip())
        for name in profiles:
            if name not in anonymize.PROFILES:
                raise CommandError(f"unknown voice profile {name!r} in --profiles; choose from all, "
                                   f"{', '.join(anonymize.PROFILES)}")
        # It runs for minutes: each stage shows its progress (a bar on a terminal, else lines).
        try:
            english, french_too = french.wanted(opts["locale"])
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        progress = Stages(self.stderr)
        if not english:
            return self._french_only(scale, opts, progress)
        if opts["pii_only"]:
            try:
                figures = evaluate_pii(scale, progress=progress)
                if french_too:
                    figures["fr"] = french.evaluate_pii(scale, progress=progress)
            finally:
                progress.close()
            Path(opts["json"]).write_text(json.dumps(figures, indent=2) + "\n")
            if opts["report"]:
                Path(opts["report"]).mkdir(parents=True, exist_ok=True)
                (Path(opts["report"]) / "report.md").write_text("\n".join(report.pii_table(figures["pii"])) + "\n")
            self.stdout.write("\n".join(report.pii_table(figures["pii"])))
            if "fr" in figures:
                self.stdout.write("\nFrench (fr-FR)\n" + "\n".join(report.pii_table(figures["fr"]["pii"])))
            return
        try:
            figures, extras = evaluate(scale, opts["profile"], progress=progress, profiles=profiles, workers=opts["workers"])
            if french_too:
                figures["fr"], _ = french.evaluate(scale, opts["profile"], progress, opts["fr_wer_utterances"])
        except (RuntimeError, ValueError) as exc:
            raise CommandError(str(exc)) from None
        finally:
            progress.close()
        Path(opts["json"]).write_text(json.dumps(figures, indent=2) + "\n")
        if opts["report"]:
            report.write(Path(opts["report"]), figures, extras)
        for key in report.KEYS:
            self.stdout.write(f"{key:26s} {figures[key]:.3f}   (B2 {figures['baseline'][key]:.3f})")
        self.stdout.write("\n".join(report.frontier_rows(figures)))

    def _french_only(self, scale, opts, progress) -> None:
        """`--locale fr-FR`: the French figures alone, as the `fr` section of the JSON."""
        try:
            if opts["pii_only"]:
                figures = french.evaluate_pii(scale, progress=progress)
            else:
                figures, _ = french.evaluate(scale, opts["profile"], progress, opts["fr_wer_utterances"])
        except (RuntimeError, ValueError) as exc:
            raise CommandError(str(exc)) from None
        finally:
            progress.close()
        Path(opts["json"]).write_text(json.dumps({"fr": figures}, indent=2) + "\n")
        self.stdout.write("\n".join(report.pii_table(figures["pii"])))
        if not opts["pii_only"]:
            for key in report.KEYS:
                if key in figures:  # the French run has no base-only or Kerckhoffs figures
                    self.stdout.write(f"fr {key:23s} {figures[key]:.3f}   (B2 {figures['baseline'][key]:.3f})")
