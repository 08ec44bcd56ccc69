"""Live progress for the long commands (ingest, import, export, evaluate, privacy erase).

On a terminal a tqdm bar is redrawn in place. When the output is a file or a pipe (a log, cron,
a CI job, a test's capture) a bar's carriage returns would pile up into one unreadable line, so
each step is written as a plain line instead, as it happens: nothing is held back until the end.
"""
from __future__ import annotations

from tqdm import tqdm


class _Raw:
    """A Django OutputWrapper as tqdm needs it: written as given (the wrapper would end every
    carriage-return redraw with a newline)."""

    def __init__(self, out):
        self._out = out

    def write(self, text: str) -> None:
        if hasattr(self._out, "style_func"):  # django.core.management.base.OutputWrapper
            self._out.write(text, ending="")
        else:
            self._out.write(text)

    def flush(self) -> None:
        self._out.flush()


def is_terminal(out) -> bool:
    return bool(getattr(out, "isatty", None)) and out.isatty()


class Progress:
    """`total` steps of `what`, shown on `out`.

    step(text) marks one step done: on a terminal the bar moves and shows `text`; otherwise
    `what done/total: text` is written on a line of its own, every step or every `plain_every`
    steps (and always the last). note(text) writes a line that must stay (a refused row), above
    the bar on a terminal.
    """

    def __init__(self, out, total: int | None, what: str, *, unit: str = "it", plain_every: int = 1):
        self.out, self.total, self.what = out, total, what
        self.done = 0
        self.plain_every = max(1, plain_every)
        self.tty = is_terminal(out)
        self._raw = _Raw(out)
        self._bar = (tqdm(total=total, desc=what, unit=unit, file=self._raw, dynamic_ncols=True, leave=True)
                     if self.tty else None)

    def step(self, text: str = "", n: int = 1) -> None:
        self.done += n
        if self._bar is not None:
            if text:
                self._bar.set_postfix_str(text[:60], refresh=False)
            self._bar.update(n)
        elif self.done % self.plain_every == 0 or self.done == self.total:
            of = f"/{self.total}" if self.total is not None else ""
            self.out.write(f"{self.what} {self.done}{of}" + (f": {text}" if text else ""))
            self.out.flush()

    def note(self, text: str) -> None:
        if self._bar is not None:
            self._bar.write(text, file=self._raw)  # clears the bar, writes, redraws
        else:
            self.out.write(text)
            self.out.flush()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class Stages:
    """Progress through named stages, each with its own count (the evaluation's callback):
    `stages(stage, done, total)` opens a new bar (or plain line series) when the stage changes."""

    def __init__(self, out, *, plain_lines_per_stage: int = 10):
        self.out, self.lines = out, plain_lines_per_stage
        self._stage: str | None = None
        self._progress: Progress | None = None

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage != self._stage:
            self.close()
            self._stage = stage
            self._progress = Progress(self.out, total, stage, plain_every=max(1, total // self.lines))
            if not is_terminal(self.out):
                self.out.write(f"{stage}: {total} to do")
        if done > self._progress.done:
            self._progress.step(n=done - self._progress.done)

    def close(self) -> None:
        if self._progress is not None:
            self._progress.close()
            self._progress = None


class IngestProgress:
    """`progress` for recordings.ingest.ingest_rows: each row's line as it is decided, then the
    pipeline's progress, one step per recording as its job returns."""

    def __init__(self, out):
        self.out = out
        self.pipeline: Progress | None = None
        self.finished: set[str] = set()  # the product's ids of recordings the pipeline is done with
        self.queued = 0

    def __call__(self, event) -> None:
        from quietroom.recordings.ingest import PipelineStep, RowOutcome

        if isinstance(event, RowOutcome):
            self.out.write(event.text())
        elif isinstance(event, PipelineStep):
            if event.status == "starting":
                self.pipeline = Progress(self.out, event.total, "pipeline", unit="rec")
                if not self.pipeline.tty:
                    self.out.write(f"de-identifying {event.total} recording(s) (the first waits for the models "
                                   "to load; with workers they are queued)")
            elif event.status == "queued":
                self.queued += 1
            else:
                self.recording_done(event.recording_id, event.status, event.snippets, event.total)

    def recording_done(self, recording_id: str, status: str, snippets: int, total: int) -> None:
        if self.pipeline is None:
            self.pipeline = Progress(self.out, total, "pipeline", unit="rec")
        self.finished.add(recording_id)
        self.pipeline.step(f"{recording_id} {status}" + (f", {snippets} snippet{'s' * (snippets != 1)}"
                                                          if status == "processed" else ""))

    def close(self) -> None:
        if self.pipeline is not None:
            self.pipeline.close()
