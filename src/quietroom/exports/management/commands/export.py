import sys
from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from quietroom.accounts.models import Organisation
from quietroom.audit.log import Actor
from quietroom.exports.collect import ExportFilters
from quietroom.exports.formats import FORMATS, WITHOUT_AUDIO, single_file
from quietroom.exports.run import ExportError, export_now
from quietroom.exports.sinks import FileSink, FolderSink, SinkError
from quietroom.ops.progress import Stages
from quietroom.privacy import outbound


class Command(BaseCommand):
    help = ("Export reviewed snippets (pseudonymous ids only) as JSONL, a NeMo manifest, a Kaldi data "
            "folder, Hugging Face Parquet or Label Studio tasks. Flagged, escalated, held, withdrawn and "
            "erased snippets are held back and counted by reason.")

    def add_arguments(self, parser):
        parser.add_argument("--format", default="jsonl", choices=FORMATS, help="output format (default %(default)s)")
        parser.add_argument("--out", default="-",
                            help="output file (or - for standard output); a new folder for kaldi and for "
                                 "--with-audio (except hf, which embeds its audio)")
        parser.add_argument("--with-audio", action="store_true",
                            help="include the anonymized snippet audio (without it kaldi has no wav.scp and nemo "
                                 "no audio_filepath: transcripts only, no paths to audio not written)")
        parser.add_argument("--controller", help="only this controller's data")
        parser.add_argument("--locale", help="only this locale, e.g. en-GB")
        parser.add_argument("--from", dest="date_from", type=date.fromisoformat,
                            help="first day of review, YYYY-MM-DD (included; days are UTC)")
        parser.add_argument("--to", dest="date_to", type=date.fromisoformat,
                            help="last day of review, YYYY-MM-DD (included: --from D --to D is that whole day)")
        parser.add_argument("--min-agreement", type=float, help="only snippets whose reviewers agreed at least this much (0-1)")
        parser.add_argument("--gold-only", action="store_true", help="only gold snippets (their reference transcripts)")

    def handle(self, *args, **opts):
        actor = Actor(name="cli", role="controller_admin")
        fmt, out, with_audio = opts["format"], opts["out"], opts["with_audio"]
        if opts["min_agreement"] is not None and not 0 <= opts["min_agreement"] <= 1:
            raise CommandError("--min-agreement is a number from 0 to 1")
        if opts["date_from"] and opts["date_to"] and opts["date_to"] < opts["date_from"]:
            raise CommandError(f"--to {opts['date_to']} is before --from {opts['date_from']} (both days are included)")
        controller = None
        if opts["controller"]:
            controller = Organisation.objects.filter(name=opts["controller"], kind="controller").first()
            if controller is None:
                raise CommandError(f"no controller organisation named {opts['controller']!r}")
        filters = ExportFilters(date_from=opts["date_from"], date_to=opts["date_to"], locale=opts["locale"],
                                min_agreement=opts["min_agreement"], gold_only=opts["gold_only"])
        try:
            if single_file(fmt, with_audio):
                if out == "-" and fmt == "hf":
                    raise CommandError("a Parquet file cannot go to standard output; give --out FILE")
                sink = FileSink("-", stream=sys.stdout) if out == "-" else FileSink(Path(out))
                if out != "-" and Path(out).exists():
                    raise CommandError(f"{out} exists; choose a new file name")
            else:
                if out == "-":
                    raise CommandError(f"{fmt}{' with audio' if with_audio else ''} writes several files; give --out DIR")
                sink = FolderSink(Path(out))
            # Progress goes to standard error: standard output may be the export itself (--out -).
            progress = Stages(self.stderr, plain_lines_per_stage=20)
            try:
                export = export_now(fmt, sink, actor, controller=controller, filters=filters, with_audio=with_audio,
                                    progress=lambda done, total: progress("export", done, total))
            finally:
                progress.close()
        except (SinkError, ExportError) as exc:
            raise CommandError(str(exc)) from exc
        # Counts only, by reason: never which snippets were held back.
        held = ", ".join(f"{reason} {n}" for reason, n in outbound.counts(export.held_back).items())
        self.stderr.write(f"export {export.id}: {export.item_count} item(s) as {fmt}; held back: {held}")
        if not with_audio and fmt in WITHOUT_AUDIO:
            self.stderr.write(f"{fmt} without --with-audio: {WITHOUT_AUDIO[fmt]}; add --with-audio for a dataset "
                              "to train on")
