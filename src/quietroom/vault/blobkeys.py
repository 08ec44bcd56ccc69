"""What a blob key may look like, shared by every blob store (local and S3)."""

import re

# A strict whitelist instead of path normalisation: no '.', '\\' or leading '/'
# means no traversal, and temp files (".tmp-*") can never collide with a key.
KEY_RE = re.compile(r"[A-Za-z0-9_-]+(?:/[A-Za-z0-9_-]+)*")
