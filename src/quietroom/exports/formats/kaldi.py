"""Kaldi data folder: text, wav.scp, utt2spk, spk2utt (speakers are customer pseudonyms).

Kaldi's tools need every file sorted in C-locale byte order and utterance ids prefixed by
their speaker id; utt2spk and spk2utt must agree. wav.scp names audio/<utt>.wav relative to
the data folder's parent directory layout the operator chooses (the audio is included with
--with-audio).
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
        wav.append(f"{utt} {audio_name(item)}")
        utt2spk.append(f"{utt} {item.customer_pseudonym}")
        spk2utt[item.customer_pseudonym].append(utt)
        if with_audio:
            sink.write(audio_name(item), item.audio)
    spk_lines = [f"{spk} {' '.join(_c_sorted(utts))}" for spk, utts in spk2utt.items()]
    for name, lines in (("text", text), ("wav.scp", wav), ("utt2spk", utt2spk), ("spk2utt", spk_lines)):
        sink.write(name, "".join(line + "\n" for line in _c_sorted(lines)).encode("utf-8"))
    return len(text)
