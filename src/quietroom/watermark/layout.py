"""The grid the mark lives on: time-frequency cells in the telephone band, repeated per period.

A cell is CELL_SAMPLES long (64 ms) and BAND_BINS bins of a 512-point spectrum wide (125 Hz).
Bands start at 312.5 Hz and stop below 3.4 kHz, so what a phone line, an 8 kHz resampling or
a loudspeaker-to-microphone copy keeps is where the mark is. PERIOD_CELLS cells make one
period (about 1.5 s); the pattern repeats every period from the first sample, so any excerpt
of two periods or more holds every cell at least once, and the detector folds the periods
of a longer clip onto each other.
"""
from __future__ import annotations

RATE = 16000
N_FFT = 512
EMBED_HOP = 256
CELL_SAMPLES = 1024
FIRST_BIN = 10        # 312.5 Hz
BAND_BINS = 4         # 125 Hz
BANDS = 24            # up to 3312.5 Hz
PERIOD_CELLS = 24     # 1.536 s
CELLS = PERIOD_CELLS * BANDS

#: The payload: a delivery serial of SYMBOLS symbols of SYMBOL_BITS bits (24 bits: 16.7 million
#: deliveries per key; the apps start a new key id before that). Measured against 32 bits, the
#: fourth symbol cost a fifth of the re-recorded copies (bench/watermark.py).
SYMBOL_BITS = 8
SYMBOLS = 3
PAYLOAD_BITS = SYMBOL_BITS * SYMBOLS
MAX_SERIAL = (1 << PAYLOAD_BITS) - 1
#: Cells carrying the payload symbols (the rest carry the verification pattern). The split
#: follows what each part needs: decoding keeps a short list per symbol, the verification
#: must reach a z-score near 7.5 on its own.
DATA_CELLS = 216


def symbols_of(serial: int) -> list[int]:
    if not 0 <= serial <= MAX_SERIAL:
        raise ValueError(f"a watermark serial is an integer in 0..{MAX_SERIAL}")
    return [(serial >> (SYMBOL_BITS * j)) & ((1 << SYMBOL_BITS) - 1) for j in range(SYMBOLS)]


def serial_of(symbols) -> int:
    return sum(int(v) << (SYMBOL_BITS * j) for j, v in enumerate(symbols))
