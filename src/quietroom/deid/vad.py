"""Voice activity detection: which 20 ms frames of a recording hold speech.

Default: silero-vad's ONNX model run through onnxruntime directly (the silero-vad package is
installed without its torch dependency; we only take its model file). Light option: WebRTC's
VAD (webrtcvad-wheels). Both answer per-frame booleans that `segmentation` turns into snippets.
Models load once per process.
"""
from __future__ import annotations

import functools
import importlib.util
from pathlib import Path

import numpy as np

RATE = 16000
_SILERO_CHUNK = 512  # samples per model step at 16 kHz (32 ms)
_SILERO_CONTEXT = 64  # samples of the previous chunk the model sees
ENGINES = ("silero", "webrtc")


class VadUnavailable(RuntimeError):
    """The requested VAD engine is not installed."""


def silero_model_path() -> Path:
    # find_spec, not import: importing silero_vad pulls in torch, which the pipeline avoids.
    spec = importlib.util.find_spec("silero_vad")
    if spec is None or not spec.submodule_search_locations:
        raise VadUnavailable("silero-vad is not installed (pip install --no-deps silero-vad)")
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / "silero_vad.onnx"
    if not path.is_file():
        raise VadUnavailable("silero-vad package has no silero_vad.onnx")
    return path


@functools.lru_cache(maxsize=1)
def _silero_session():
    import onnxruntime

    opts = onnxruntime.SessionOptions()
    opts.inter_op_num_threads = 1
    opts.intra_op_num_threads = 1
    return onnxruntime.InferenceSession(str(silero_model_path()), providers=["CPUExecutionProvider"], sess_options=opts)


def silero_probabilities(samples: np.ndarray) -> np.ndarray:
    """Speech probability of each 32 ms chunk (the model is recurrent: chunks run in order)."""
    x = np.asarray(samples, dtype=np.float32)
    session = _silero_session()
    n = int(np.ceil(x.size / _SILERO_CHUNK))
    padded = np.zeros(n * _SILERO_CHUNK + _SILERO_CONTEXT, dtype=np.float32)
    padded[_SILERO_CONTEXT : _SILERO_CONTEXT + x.size] = x
    state = np.zeros((2, 1, 128), dtype=np.float32)
    sr = np.array(RATE, dtype=np.int64)
    probs = np.empty(n, dtype=np.float32)
    for i in range(n):
        window = padded[i * _SILERO_CHUNK : (i + 1) * _SILERO_CHUNK + _SILERO_CONTEXT][None, :]
        out, state = session.run(None, {"input": window, "state": state, "sr": sr})
        probs[i] = float(out.reshape(-1)[0])
    return probs


def _resample_mask(values: np.ndarray, src_hop: float, frame: float, count: int) -> np.ndarray:
    """Values on a src_hop grid -> one value per `frame` (nearest chunk covering its centre)."""
    centres = (np.arange(count) + 0.5) * frame
    idx = np.minimum((centres / src_hop).astype(int), values.size - 1)
    return values[idx]


@functools.lru_cache(maxsize=4)
def _webrtc(aggressiveness: int):
    try:
        import webrtcvad
    except ImportError:
        raise VadUnavailable("webrtcvad is not installed (pip install webrtcvad-wheels)") from None
    return webrtcvad.Vad(aggressiveness)


def webrtc_decisions(samples: np.ndarray, aggressiveness: int = 2) -> np.ndarray:
    """WebRTC VAD decision per 20 ms frame."""
    vad = _webrtc(aggressiveness)
    hop = RATE // 50
    x = np.asarray(samples, dtype=np.float32)
    n = x.size // hop
    pcm = (np.clip(x[: n * hop], -1, 1) * 32767).astype("<i2").reshape(n, hop)
    return np.array([vad.is_speech(row.tobytes(), RATE) for row in pcm], dtype=bool)


def speech_mask(samples: np.ndarray, *, engine: str = "silero", frame: float = 0.02, threshold: float = 0.5) -> np.ndarray:
    """Boolean per `frame` seconds (ceil(len/hop) frames, like segmentation.frame_db)."""
    x = np.asarray(samples, dtype=np.float32)
    if x.ndim != 1:
        raise ValueError("samples must be mono, shape (frames,)")
    hop = int(round(frame * RATE))
    count = int(np.ceil(x.size / hop))
    if count == 0:
        return np.zeros(0, dtype=bool)
    if engine == "silero":
        probs = silero_probabilities(x)
        return _resample_mask(probs >= threshold, _SILERO_CHUNK / RATE, frame, count)
    if engine == "webrtc":
        decisions = webrtc_decisions(x)
        if decisions.size == 0:
            return np.zeros(count, dtype=bool)
        return _resample_mask(decisions, 0.02, frame, count)
    raise ValueError(f"unknown VAD engine {engine!r}; choose from {', '.join(ENGINES)}")
