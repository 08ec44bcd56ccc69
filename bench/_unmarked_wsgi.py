"""The stream as it was before issue 19, for `review_http.py --mark-cost-http` only: QuietRoom's
own WSGI application, with the gate's delivery step replaced by nothing (no delivery row, no
watermark), as `_profile_room.stream_mark_cost` does in process.

This lives in bench/ on purpose: QuietRoom itself has no way to switch the watermark off (a
switch would let audio leave unmarked). gunicorn imports this module instead of
`quietroom.wsgi` in each worker of the bench's "before (no mark)" server; nothing else does.
"""
from quietroom.wsgi import application  # noqa: F401  (loaded exactly as production loads it)

# After the application: the gate imports models, which need Django set up first.
from quietroom import gate  # noqa: E402

# The gate looks `_marked_delivery` up at each read, so replacing the module attribute is enough.
gate._marked_delivery = lambda view, later=False: None
