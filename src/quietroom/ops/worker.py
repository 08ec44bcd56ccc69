"""gunicorn's threaded worker, with new connections going to the first idle worker, the
watermark embedder compiled before the first request, and the garbage collector kept off the
loaded application.

Every gunicorn worker polls the shared listening socket. On Linux each poll is an epoll
instance, and a new connection wakes all of them: whichever process runs first accepts it. A
reviewer's requests, one after another, were so spread over all the processes, and each
request found its process's memory (and its database session) cold, evicted from the CPU
caches by the others: on the review bench's one client the same submit took 10.9-12.2 ms with
three workers against 9.9 with one (bench/README.md, issue 20).

Here each worker registers the listener with EPOLLEXCLUSIVE (Linux 4.5+): the kernel then
wakes only one waiting worker, the first one in registration order that is waiting. A lightly
loaded server keeps answering from the same warm process. Under load nothing changes: a
worker that holds its most connections stops listening (gunicorn's own `set_accept_enabled`,
with `--worker-connections` = threads + 1, see `serving.shape_args`), so the next connection
goes to the next worker, and every worker serves
(tests/ops/test_serving_balance.py). Elsewhere (no epoll) it is gunicorn's worker unchanged.
"""
from __future__ import annotations

import gc
import select
import selectors

from gunicorn.workers.gthread import ThreadWorker


class WarmFirstThreadWorker(ThreadWorker):
    """`gthread` whose listening sockets wake one waiting worker per connection, not all."""

    def load_wsgi(self):
        super().load_wsgi()
        _warm_watermark_embedder()
        _settle_garbage_collector()  # after the warm-up: its compiled code is frozen with the rest

    def set_accept_enabled(self, enabled):
        was = self._accepting
        super().set_accept_enabled(enabled)
        if enabled and not was:
            _wake_one(self.poller, self.sockets)


def _warm_watermark_embedder() -> None:
    """Mark a moment of silence under a throwaway key, so that this process's first play does
    not pay for the embedder's start: its numba kernels are compiled on their first call
    (0.23 s to load them from numba's cache on disk, 3.8 s to compile where numba can cache
    nowhere: `watermark.embedding._kernel`) and pocketfft plans its FFTs. Both entry points: a
    play's 16-bit samples (`embed_pcm16`) and float samples (`embed`, any other rate). Imported
    here, not at the top: the arbiter imports this module too, and has no use for numba."""
    import numpy as np

    from quietroom import watermark
    from quietroom.watermark import layout

    key = watermark.WatermarkKey(watermark.new_secret())
    watermark.embed_pcm16(np.zeros(layout.RATE // 10, dtype=np.int16), key, 0)
    watermark.embed(np.zeros(layout.RATE // 10, dtype=np.float32), key, 0)


def _settle_garbage_collector() -> None:
    """Keep Python's cycle collector off the loaded application's objects, and run it less often.

    A worker holds a few hundred thousand long-lived objects (Django, numpy, the app's modules);
    every full collection walked them all, about 8% of a play's CPU (perf, issue 19). Frozen
    after loading, they are never scanned again; and a request allocates thousands of objects,
    so with the default threshold (700) the young generation was collected several times per
    request. Measured on one client at 100k queued (two runs each, same session): page
    8.7-8.9 -> 8.3-8.5 ms, stream 9.9-10.1 -> 9.5-9.6, submit 11.4-11.5 -> 10.8-11.0 ms p50.
    Requests leave little cyclic garbage (what they allocate is freed by reference counting),
    so the larger threshold costs little memory."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)


def _wake_one(poller, listeners) -> None:
    """Re-add the listeners to `poller`'s epoll with EPOLLEXCLUSIVE, which can only be given
    when a descriptor is added (not modified). The selector's own table of keys is untouched."""
    exclusive = getattr(select, "EPOLLEXCLUSIVE", 0)
    epoll = getattr(poller, "_selector", None)  # selectors.EpollSelector's epoll object
    if not exclusive or not isinstance(poller, selectors.EpollSelector) or epoll is None:
        return
    for listener in listeners:
        fd = listener.fileno()
        epoll.unregister(fd)
        epoll.register(fd, select.EPOLLIN | exclusive)
