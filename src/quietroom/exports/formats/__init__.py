"""Export formats: each is `write(items, sink, *, with_audio)` over ExportItems.

`SINGLE_FILE` formats produce one file when no audio is included (or always, for the Hugging
Face Parquet file, which carries its audio inside).
"""
from __future__ import annotations

from . import hf_parquet, jsonl, kaldi, labelstudio, nemo
from .common import audio_name  # noqa: F401  (kept importable from the package)

WRITERS = {
    "jsonl": jsonl.write,
    "nemo": nemo.write,
    "kaldi": kaldi.write,
    "hf": hf_parquet.write,
    "labelstudio": labelstudio.write,
}
FORMATS = tuple(WRITERS)


# What a format holds when the audio is left out (no path in it names a file not written).
WITHOUT_AUDIO = {
    "kaldi": "text, utt2spk and spk2utt only: no wav.scp, since no audio was written",
    "nemo": "a text-only manifest: no audio_filepath, since no audio was written",
}


def single_file(fmt: str, with_audio: bool) -> bool:
    if fmt == "hf":
        return True
    if fmt == "kaldi":
        return False
    return not with_audio
