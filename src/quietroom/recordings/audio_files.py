"""Audio files named by a manifest: found only inside the audio folder, and never too large.

Used by ingestion (a local folder) and by the importers' sources (a folder, object storage,
HTTP), so the path rule and the size limit are written once.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

MAX_AUDIO_BYTES = 200 * 1024 * 1024


def resolve_audio_path(audio_root: Path, relative: str) -> Path:
    """The audio file for a manifest path, refusing anything outside the audio folder."""
    if "\x00" in relative:
        raise ValueError("path contains a NUL byte")
    candidate = Path(relative)
    if candidate.is_absolute():
        raise ValueError("absolute paths are not allowed; give a path inside the audio folder")
    if ".." in candidate.parts:
        raise ValueError("'..' is not allowed in audio paths")
    root = audio_root.resolve()
    resolved = (root / candidate).resolve()
    if not resolved.is_relative_to(root):
        raise ValueError("path leads outside the audio folder (symlink?)")
    if not resolved.is_file():
        raise ValueError("file not found in the audio folder")
    return resolved


# Reads one manifest audio path and returns its bytes; raises ValueError/OSError with a reason.
AudioOpener = Callable[[str], bytes]


def local_audio_opener(audio_root: Path) -> AudioOpener:
    """Audio from a local folder: only files inside it (no '..', absolute paths or symlinks out)."""
    def open_audio(relative: str) -> bytes:
        path = resolve_audio_path(Path(audio_root), relative)
        if path.stat().st_size > MAX_AUDIO_BYTES:
            raise ValueError(f"larger than {MAX_AUDIO_BYTES // (1024 * 1024)} MiB")
        return path.read_bytes()
    return open_audio
