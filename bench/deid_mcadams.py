"""McAdams anonymiser: the vectorised version against the frame-by-frame B2-style reference.

Prints the SNR between the two outputs (same coefficient) and the speed ratio, both measured in
this process on the same audio (CPU time, best of several runs, one thread). `mcadams.mcadams`
is the compiled (numba) kernel when numba is installed; the numpy-only path is timed too.

    python bench/deid_mcadams.py [--seconds 30]
"""
from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from quietroom import testspeech  # noqa: E402
from quietroom.deid import mcadams  # noqa: E402


def best_cpu(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t = time.process_time()
        fn()
        times.append(time.process_time() - t)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--alpha", type=float, default=0.7)
    args = parser.parse_args()
    x, rate, _ = testspeech.make_conversation(max(1, int(args.seconds / 2)), seed=5)
    x = x[: int(args.seconds * rate)]
    mcadams.mcadams_reference(x[:3200], rate, args.alpha)  # warm up librosa's JIT
    mcadams.mcadams(x[:3200], rate, args.alpha)
    ref = mcadams.mcadams_reference(x, rate, args.alpha).astype(np.float64)
    fast = mcadams.mcadams(x, rate, args.alpha).astype(np.float64)
    snr = 10 * np.log10(np.sum(ref**2) / np.sum((ref - fast) ** 2))
    t_ref = best_cpu(lambda: mcadams.mcadams_reference(x, rate, args.alpha), 2)
    t_fast = best_cpu(lambda: mcadams.mcadams(x, rate, args.alpha), 5)
    t_numpy = best_cpu(lambda: mcadams.mcadams_numpy(x, rate, args.alpha), 3)
    kind = "numba" if mcadams._jit() is not None else "numpy (numba missing)"
    audio = x.size / rate
    print(f"audio: {audio:.1f} s, alpha {args.alpha}")
    print(f"reference (frame by frame): {t_ref:.3f} CPU s  ({audio / t_ref:.0f} audio-s per CPU-s)")
    print(f"fast path, {kind}: {t_fast:.3f} CPU s  ({audio / t_fast:.0f} audio-s per CPU-s)")
    print(f"numpy-only path:            {t_numpy:.3f} CPU s  ({t_ref / t_numpy:.1f}x)")
    print(f"SNR fast vs reference: {snr:.1f} dB (target >= 40)")
    print(f"speed ratio: {t_ref / t_fast:.1f}x (target >= 20x)")


if __name__ == "__main__":
    main()
