import numpy as np
import pytest

from quietroom.deid import mcadams
from tests.numba_cache import run_with_nowhere_to_cache


def _snr_db(ref, test):
    ref, test = ref.astype(np.float64), test.astype(np.float64)
    return 10 * np.log10(np.sum(ref**2) / np.sum((ref - test) ** 2))


@pytest.mark.parametrize("alpha", [0.5, 0.8])
def test_vectorised_matches_the_frame_by_frame_reference(prompt, alpha):
    x, _ = prompt
    assert _snr_db(mcadams.mcadams_reference(x, 16000, alpha), mcadams.mcadams(x, 16000, alpha)) >= 40.0


def test_numpy_fallback_matches_the_reference_too(prompt):
    # used where numba is not installed
    x, _ = prompt
    assert _snr_db(mcadams.mcadams_reference(x, 16000, 0.6), mcadams.mcadams_numpy(x, 16000, 0.6)) >= 40.0


def test_compiled_kernel_matches_at_the_extremes_of_the_b2_range(prompt):
    # poles are found by iteration warm-started from the previous frame, and checked; any
    # frame it got wrong would show here as a drop in SNR
    x, _ = prompt
    noisy = x + np.random.default_rng(0).normal(0, 0.01, x.size).astype(np.float32)
    for alpha in (0.5, 0.9):
        assert _snr_db(mcadams.mcadams_reference(noisy, 16000, alpha), mcadams.mcadams(noisy, 16000, alpha)) >= 60.0


def test_mcadams_changes_the_voice_but_keeps_length_and_loudness(prompt):
    x, _ = prompt
    y = mcadams.mcadams(x, 16000, 0.6)
    assert y.shape == x.shape and y.dtype == np.float32
    assert abs(np.sqrt(np.mean(y**2)) / np.sqrt(np.mean(x**2)) - 1) < 0.05
    assert _snr_db(x, y) < 5  # a different signal, not a copy


def test_coefficient_one_is_nearly_the_identity(prompt):
    x, _ = prompt
    assert _snr_db(x, mcadams.mcadams(x, 16000, 1.0)) > 25


def test_silence_and_tiny_inputs_do_not_break():
    assert np.all(np.isfinite(mcadams.mcadams(np.zeros(16000, dtype=np.float32))))
    assert mcadams.mcadams(np.zeros(100, dtype=np.float32)).shape == (100,)


NO_CACHE_SCRIPT = """
import sys
import numpy as np
from quietroom.deid import mcadams, _mcadams_jit
x = np.random.default_rng(3).normal(0, 0.1, 8000)
np.save(sys.argv[1], mcadams.mcadams(x))
print(type(_mcadams_jit.mcadams_frames._cache).__name__)
"""


@pytest.mark.system
def test_without_a_writable_numba_cache_the_jit_path_still_runs(tmp_path):
    """numba refuses cache=True where it can write nowhere (a read-only install and home), at
    import: the compiled path must then compile per process, with no error and no warning, and
    give what it gives with a cache (tests/numba_cache.py)."""
    result = run_with_nowhere_to_cache(tmp_path, NO_CACHE_SCRIPT, str(tmp_path / "out.npy"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "NullCache" and result.stderr == ""
    x = np.random.default_rng(3).normal(0, 0.1, 8000)
    assert np.array_equal(np.load(tmp_path / "out.npy"), mcadams.mcadams(x))
