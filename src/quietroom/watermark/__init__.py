"""Keyed forensic watermark: every audio delivery to a person carries its own serial number.

Plain functions over 16 kHz mono float32 arrays, like `deid` and `vault`: no Django. The
apps decide what a serial means (a delivery row pointing at the audit event of a play or an
export run); this package only hides a serial in audio under a secret key (`embed`) and
finds it again, with the probability that the finding is a false alarm (`trace`).

Method (chosen by measurement, bench/watermark.py; docs/privacy.md):
- `layout`: a grid of time-frequency cells in the telephone band (300-3400 Hz), repeated
  every period (about 1.5 s) so that any excerpt holds whole periods;
- `keys`: the keyed pseudo-random patterns (AES-CTR keystreams under HMAC-derived keys, and a
  keyed BLAKE2b per serial): which cell carries what, the ±1 chips of each payload symbol
  (three symbols of 8 bits: a 24-bit serial), and a verification pattern that depends on the
  whole serial;
- `embedding`: format 2 (written since issue 19's third round): each cell's band keeps its
  energy and is tilted, its lower half made louder and its upper half quieter or the other
  way round, in proportion to the speech in it; format 1 (before): each cell's loudness raised or
  lowered by a few decibels. Both take out part of the speech's own contrast of the kind the
  detector measures (host cancellation), since that is the detector's main noise;
- `detection`: for each format, a search over time offsets and time-stretch factors, a short
  list of values per payload symbol by correlation, then the verification pattern of every listed serial tested
  on cells the listing did not use. Its z-score gives a false-alarm bound that holds for
  unmarked audio, audio marked under another key, and a mis-decoded serial alike.
"""
from .detection import Finding, trace
from .embedding import FORMAT, FORMATS, embed, embed_pcm16
from .keys import WatermarkKey, new_secret
from .layout import PAYLOAD_BITS, MAX_SERIAL

__all__ = ["FORMAT", "FORMATS", "Finding", "MAX_SERIAL", "PAYLOAD_BITS", "WatermarkKey", "embed", "embed_pcm16", "new_secret", "trace"]
