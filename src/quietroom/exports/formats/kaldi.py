"""Kaldi data folder: text, wav.scp, utt2spk, spk2utt (speakers are customer pseudonyms).

Kaldi's tools need every file sorted in C-locale byte order and utterance ids prefixed by
their speaker id; utt2spk and spk2utt must agree. wav.scp names audio/<utt>.wav, inside the
data folder.

Without --with-audio there is no audio to name, so there is no wav.scp: the folder holds text,
utt2spk and spk2utt only (transcripts for a language model or a lexicon; Kaldi's
`utils/validate_data_dir.sh --no-feats --no-wav` accepts it). A wav.scp pointing at audio/ files
that were never written would only fail later, in feature extraction.
"""
from __future__ import annotations

from collections import defaultdict

from .common import audio_name


def _c_sorted(lines):
    return sorted(lines, key=lambda line: line.encode("utf-8"))


def write(items, sink, *, with_audio: bool, export_id: str) -> int:
    text, wav, utt2spk = [], [], []
    spk2utt: dict[str, list[str]] = defaultdict(list)
    for item in items:
        utt = item.utterance_id
        # Kaldi's text is one line per utterance: newlines in a transcript would break it.
        text.append(f"{utt} {' '.join(item.transcript.split())}")
        utt2spk.append(f"{utt} {item.customer_pseudonym}")
        spk2utt[item.customer_pseudonym].append(utt)
        if with_audio:
            sink.write(audio_name(item), item.audio)
            wav.append(f"{utt} {audio_name(item)}")
    spk_lines = [f"{spk} {' '.join(_c_sorted(utts))}" for spk, utts in spk2utt.items()]
    files = [("text", text), ("utt2spk", utt2spk), ("spk2utt", spk_lines)]
    if with_audio:
        files.insert(1, ("wav.scp", wav))
    for name, lines in files:
        sink.write(name, "".join(line + "\n" for line in _c_sorted(lines)).encode("utf-8"))
    return len(text)
