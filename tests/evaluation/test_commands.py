"""`quietroom pii-scan`, `deid-file` and `evaluate`: their work run in this process (call_command,
so Whisper and spaCy load once per test process, not once per test: a fresh `quietroom` process
spent 5-6 s starting and loading them again for each), and the refusals through the real console
script (its exit status, the message on stderr)."""
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from django.core.management import call_command

from quietroom import testspeech

QUIETROOM = Path(sys.executable).with_name("quietroom")

pytestmark = pytest.mark.system  # whole processes: runs once, on PostgreSQL


def _run(args, tmp_path, **kw):
    env = {**os.environ, "QUIETROOM_DATA_DIR": str(tmp_path / "data")}
    return subprocess.run([str(QUIETROOM), *args], capture_output=True, text=True, env=env, timeout=300, **kw)


def _call(*args, stdin: str = "") -> str:
    """The command run in this process, as the console script runs it; its stdout."""
    out = io.StringIO()
    saved, sys.stdin = sys.stdin, io.StringIO(stdin)
    try:
        call_command(*args, stdout=out)
    finally:
        sys.stdin = saved
    return out.getvalue()


def test_pii_scan_reads_lines_and_writes_json_lines():
    lines = "my number is oh seven seven double oh nine one two three four five six\nplay some music\n"
    out = [json.loads(x) for x in _call("pii-scan", stdin=lines).splitlines()]
    assert len(out) == 2
    assert out[0]["redacted"] == "my number is [PHONE_NUMBER]"
    assert out[0]["spans"][0]["entity"] == "PHONE_NUMBER" and set(out[0]["spans"][0]) == {"start", "end", "entity", "score"}
    assert out[1] == {"spans": [], "redacted": "play some music"}


def test_deid_file_writes_snippets_and_sidecars(tmp_path):
    x = testspeech.synthesize_flite("My email is john dot smith at gmail dot com.", "awb")
    pad = np.zeros(8000, dtype=np.float32)
    testspeech.write_audio(tmp_path / "in.wav", np.concatenate([pad, x, pad]), 16000, "wav")
    assert "snippet(s) written" in _call("deid-file", str(tmp_path / "in.wav"), "--out-dir", str(tmp_path / "out"))
    sidecars = sorted((tmp_path / "out").glob("*.json"))
    assert sidecars and len(sidecars) == len(list((tmp_path / "out").glob("*.wav")))
    meta = json.loads(sidecars[0].read_text())
    assert "[EMAIL_ADDRESS]" in meta["hypothesis"] and "gmail" not in meta["hypothesis"]
    assert meta["redactions"] and meta["parameters"]["voice"]["name"] == "standard"


def test_deid_file_names_a_bad_input(tmp_path):
    (tmp_path / "bad.wav").write_bytes(b"not audio at all")
    proc = _run(["deid-file", str(tmp_path / "bad.wav"), "--out-dir", str(tmp_path / "out")], tmp_path)
    assert proc.returncode != 0 and "bad.wav" in proc.stderr and "not a recognised audio format" in proc.stderr
    assert not (tmp_path / "out").exists()


def test_evaluate_pii_only_reports_recall_per_entity_and_style(tmp_path):
    stdout = _call("evaluate", "--pii-only", "--pii-sentences", "30", "--json", str(tmp_path / "pii.json"),
                   "--report", str(tmp_path / "report"))
    figures = json.loads((tmp_path / "pii.json").read_text())
    assert set(figures["pii"]) == {"written", "spoken"} and figures["setup"]["pii_sentences"] == 60
    assert 0 <= figures["pii"]["spoken"]["entities"]["PERSON"]["recall"] <= 1
    assert "| PERSON |" in stdout and "| precision |" in (tmp_path / "report" / "report.md").read_text()


def test_deid_file_writes_the_hypothesis_with_the_asr_model_asked_for(tmp_path):
    x = testspeech.synthesize_flite("Please call me back tomorrow morning.", "slt")
    pad = np.zeros(8000, dtype=np.float32)
    testspeech.write_audio(tmp_path / "in.wav", np.concatenate([pad, x, pad]), 16000, "wav")
    _call("deid-file", str(tmp_path / "in.wav"), "--out-dir", str(tmp_path / "out"), "--asr-model", "base")
    meta = json.loads(sorted((tmp_path / "out").glob("*.json"))[0].read_text())
    assert meta["parameters"]["asr"]["model"].startswith("base(") and "call me back" in meta["hypothesis"].lower()


def test_evaluate_refuses_an_unknown_profile_before_any_work(tmp_path):
    proc = _run(["evaluate", "--json", str(tmp_path / "e.json"), "--profiles", "light,loud", "--workers", "2"], tmp_path)
    assert proc.returncode != 0 and "unknown voice profile 'loud'" in proc.stderr
    assert not (tmp_path / "e.json").exists()
