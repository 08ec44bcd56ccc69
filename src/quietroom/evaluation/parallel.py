"""The evaluation's per-utterance work on N processes (`quietroom evaluate --workers N`).

Every process, the calling one included, runs torch (resemblyzer) and CTranslate2 (Whisper) on
one thread: on the busy two-core machine torch's own pool (two threads) spent most of its time
spinning: 20 resemblyzer embeddings took 7.3-9.0 CPU s (28-34 s wall) against 1.0-1.1 CPU s
(3.8 s wall) on one thread (an earlier session measured 3.5x on a quieter day). Parallelism comes
from processes instead, over utterances. Workers are spawned, not forked: a fork after torch or
CTranslate2 has started its threads can hang. Each worker loads its models once (the engines and
the speaker encoder are cached per process). Results come back in the order of the items, and
every item carries its own random seed, so the figures do not depend on N.
"""
from __future__ import annotations

import multiprocessing
import os
from typing import Callable, Iterable

Progress = Callable[[str, int, int], None]


def one_thread() -> None:
    """Torch and the BLAS libraries on one thread in this process."""
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    try:
        import torch
    except ImportError:  # the evaluation extras are not installed: nothing to pin
        return
    torch.set_num_threads(1)


class Workers:
    """`with Workers(n) as pool: pool.map(fn, items, stage, progress)`; n = 1 runs in process."""

    def __init__(self, processes: int = 1):
        if processes < 1:
            raise ValueError("--workers must be at least 1")
        self.processes = processes
        self._pool = None

    def __enter__(self) -> "Workers":
        one_thread()
        if self.processes > 1:
            self._pool = multiprocessing.get_context("spawn").Pool(self.processes, initializer=one_thread)
        return self

    def __exit__(self, *exc) -> None:
        if self._pool is not None:
            self._pool.terminate() if exc[0] else self._pool.close()
            self._pool.join()
            self._pool = None

    def map(self, fn: Callable, items: Iterable, stage: str, progress: Progress) -> list:
        """[fn(item) for item in items], telling `progress` as each result arrives. `fn` must be
        a module-level function (it is sent to the workers by name)."""
        items = list(items)
        progress(stage, 0, len(items))
        results = []
        mapped = self._pool.imap(fn, items, chunksize=1) if self._pool is not None else map(fn, items)
        for done, result in enumerate(mapped, start=1):
            results.append(result)
            progress(stage, done, len(items))
        return results
