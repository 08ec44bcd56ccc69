"""Where an export's files go: a new folder, one file, or an in-memory zip (API downloads).

Files are created exclusively (never overwriting) and written straight from memory: no
temporary file ever holds a transcript or audio in the clear.
"""
from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path


class SinkError(ValueError):
    pass


class FolderSink:
    def __init__(self, root: Path):
        self.root = Path(root)
        if self.root.exists() and (not self.root.is_dir() or any(self.root.iterdir())):
            raise SinkError(f"{self.root} exists and is not an empty folder; choose a new one")
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.names: list[str] = []

    def write(self, name: str, data: bytes) -> None:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        self.names.append(name)


class FileSink:
    """Exactly one file (single-file formats without audio); '-' is standard output."""

    def __init__(self, target, stream=None):
        self.target, self.stream, self.names = target, stream, []

    def write(self, name: str, data: bytes) -> None:
        if self.names:
            raise SinkError("this export has several files; give a folder (--out DIR)")
        if self.stream is not None:
            self.stream.write(data.decode("utf-8") if isinstance(self.stream, io.TextIOBase) or hasattr(self.stream, "encoding") else data)
        else:
            try:
                fd = os.open(self.target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError as exc:
                raise SinkError(f"{self.target} exists; choose a new file name") from exc
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
        self.names.append(name)


class MemorySink:
    """Files kept in memory; `payload()` gives one file's bytes or a zip of several."""

    def __init__(self):
        self.files: dict[str, bytes] = {}

    @property
    def names(self) -> list[str]:
        return list(self.files)

    def write(self, name: str, data: bytes) -> None:
        self.files[name] = data

    def payload(self) -> tuple[str, bytes]:
        if len(self.files) == 1:
            return next(iter(self.files.items()))
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name in sorted(self.files):
                archive.writestr(name, self.files[name])
        return "export.zip", buffer.getvalue()
