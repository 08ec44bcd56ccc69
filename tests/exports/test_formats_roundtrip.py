"""Round trips: Common Voice + audiofolder in, reviewed, out in every format, and each output
read back the way its own tool reads it."""
from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
import soundfile as sf
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from quietroom.audit.models import AuditEvent
from quietroom.exports.models import Export, ExportCustomer
from quietroom.recordings.models import CustomerKey, Snippet

pytestmark = pytest.mark.django_db


def export(fmt, out, *extra):
    call_command("export", "--format", fmt, "--out", str(out), *extra)
    return Export.objects.order_by("-created_at").first()


def pseudonyms():
    return set(CustomerKey.objects.values_list("pseudonym", flat=True))


def assert_records_customers(export_row, speakers):
    held = dict(ExportCustomer.objects.filter(export=export_row).values_list("customer_pseudonym", "items"))
    assert sum(held.values()) == export_row.item_count
    assert set(held) == set(speakers)


def test_nemo_manifest_parses_line_by_line_with_the_fields_nemo_expects(reviewed, tmp_path):
    _, texts = reviewed
    out = tmp_path / "nemo"
    row = export("nemo", out, "--with-audio")
    lines = (out / "manifest.json").read_text().splitlines()
    assert len(lines) == len(texts) == row.item_count
    speakers = []
    for line in lines:
        item = json.loads(line)  # NeMo reads the manifest one JSON object per line
        assert isinstance(item["audio_filepath"], str) and isinstance(item["text"], str)
        assert isinstance(item["duration"], float) and item["duration"] > 0
        assert item["text"] == texts[item["snippet_id"]]
        info = sf.info(out / item["audio_filepath"])
        assert info.samplerate == 16000 and abs(info.duration - item["duration"]) < 0.05
        speakers.append(item["speaker"])
    assert set(speakers) <= pseudonyms()
    assert_records_customers(row, speakers)
    assert AuditEvent.objects.filter(action="snippet.read", purpose="export").count() == len(lines)


def test_hugging_face_parquet_loads_with_datasets_and_the_audio_decodes(reviewed, tmp_path):
    import datasets

    _, texts = reviewed
    out = tmp_path / "train.parquet"
    row = export("hf", out, "--with-audio")
    ds = datasets.load_dataset("parquet", data_files=str(out), split="train", cache_dir=str(tmp_path / "hf-cache"))
    assert isinstance(ds.features["audio"], datasets.Audio) and ds.num_rows == len(texts) == row.item_count
    for example in ds:
        audio = example["audio"]
        assert audio["sampling_rate"] == 16000
        assert abs(len(audio["array"]) / 16000 - example["duration"]) < 0.05
        assert audio["array"].std() > 0  # real speech, not silence
        assert example["text"] == texts[example["snippet_id"]] and example["speaker"] in pseudonyms()
    assert_records_customers(row, ds["speaker"])


def test_kaldi_folder_is_sorted_and_consistent(reviewed, tmp_path):
    _, texts = reviewed
    out = tmp_path / "kaldi"
    export("kaldi", out, "--with-audio")
    files = {name: (out / name).read_text().splitlines() for name in ("text", "wav.scp", "utt2spk", "spk2utt")}
    for name, lines in files.items():
        assert lines == sorted(lines, key=lambda s: s.encode()), f"{name} is not C-sorted"
    utt2spk = dict(line.split(" ", 1) for line in files["utt2spk"])
    assert all(utt.startswith(spk + "-") for utt, spk in utt2spk.items())
    spk2utt = {line.split()[0]: line.split()[1:] for line in files["spk2utt"]}
    assert {u: s for s, us in spk2utt.items() for u in us} == utt2spk
    text = dict(line.split(" ", 1) for line in files["text"])
    assert set(text) == set(utt2spk) and len(text) == len(texts)
    # one line per utterance even though the transcript had a newline
    assert {t for t in text.values()} == {" ".join(t.split()) for t in texts.values()}
    for line in files["wav.scp"]:
        utt, path = line.split(" ", 1)
        assert sf.info(out / path).samplerate == 16000
    assert set(spk2utt) <= pseudonyms()


def test_label_studio_and_jsonl_without_audio_hold_no_real_ids(reviewed, tmp_path):
    user, texts = reviewed
    ls_row = export("labelstudio", tmp_path / "tasks.json")
    tasks = json.loads((tmp_path / "tasks.json").read_text())
    assert len(tasks) == ls_row.item_count == len(texts)
    got = {t["data"]["snippet_id"]: t["annotations"][0]["result"][0]["value"]["text"][0] for t in tasks}
    assert got == texts
    assert not any("audio" in t["data"] for t in tasks)  # no pointer to a file that is not there
    jsonl_row = export("jsonl", tmp_path / "out.jsonl")
    raw = (tmp_path / "tasks.json").read_text() + (tmp_path / "out.jsonl").read_text()
    for forbidden in ("a" * 64, "b" * 64, "spk-0", "common_voice_en_0", "utt0.flac", user.username):
        assert forbidden not in raw
    assert jsonl_row.item_count == len(texts)
    assert not AuditEvent.objects.filter(action="snippet.read").exists()  # no audio asked, none read


def test_filters_locale_dates_agreement_and_gold(reviewed, tmp_path):
    _, texts = reviewed
    gb = export("jsonl", tmp_path / "gb.jsonl", "--locale", "en-GB")
    items = [json.loads(x) for x in (tmp_path / "gb.jsonl").read_text().splitlines()]
    assert items and {i["locale"] for i in items} == {"en-GB"}
    assert gb.item_count == Snippet.objects.filter(locale="en-GB", id__in=list(texts)).count()
    yesterday = (timezone.now() - timedelta(days=1)).date()
    old = export("jsonl", tmp_path / "old.jsonl", "--to", yesterday.isoformat())
    assert old.item_count == 0 and old.filters == {"date_to": yesterday.isoformat()}
    today = export("jsonl", tmp_path / "today.jsonl", "--from", date.today().isoformat())
    assert today.item_count == len(texts)

    from quietroom.review.models import Agreement

    good, poor = list(texts)[:2]
    Agreement.objects.create(snippet_id=good, wer=0.1, reviewers=2)
    Agreement.objects.create(snippet_id=poor, wer=0.6, reviewers=2)
    agreed = export("jsonl", tmp_path / "agreed.jsonl", "--min-agreement", "0.8")
    lines = [json.loads(x) for x in (tmp_path / "agreed.jsonl").read_text().splitlines()]
    assert [i["snippet_id"] for i in lines] == [good] and lines[0]["agreement"] == pytest.approx(0.9)
    assert agreed.item_count == 1
    gold = export("jsonl", tmp_path / "gold.jsonl", "--gold-only")
    assert gold.item_count == 0  # no gold references were reviewed here


def test_output_rules(reviewed, tmp_path):
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "keep").write_text("keep me")
    with pytest.raises(CommandError, match="not an empty folder"):
        export("kaldi", tmp_path / "busy")
    with pytest.raises(CommandError, match="give --out DIR"):
        export("nemo", "-", "--with-audio")
    assert (tmp_path / "busy" / "keep").read_text() == "keep me"


def test_export_progress_goes_to_standard_error_a_line_per_item_never_into_the_data(reviewed, capsys):
    _, texts = reviewed
    call_command("export", "--format", "jsonl", "--out", "-")
    captured = capsys.readouterr()
    records = [json.loads(line) for line in captured.out.splitlines()]  # only the data on stdout
    assert len(records) == len(texts)
    progress = [line for line in captured.err.splitlines() if line.startswith("export ") and "/" in line.split()[1]]
    assert progress == [f"export {i}/{len(texts)}" for i in range(1, len(texts) + 1)]


def test_kaldi_and_nemo_without_audio_name_no_audio_file_and_say_so(reviewed, tmp_path, capsys):
    """Without --with-audio they used to point at audio/ files that were never written."""
    _, texts = reviewed
    out = tmp_path / "kaldi-text"
    export("kaldi", out)
    assert sorted(p.name for p in out.iterdir()) == ["spk2utt", "text", "utt2spk"]  # no wav.scp, no audio/
    text = dict(line.split(" ", 1) for line in (out / "text").read_text().splitlines())
    utt2spk = dict(line.split(" ", 1) for line in (out / "utt2spk").read_text().splitlines())
    assert set(text) == set(utt2spk) and len(text) == len(texts)
    assert "kaldi without --with-audio: text, utt2spk and spk2utt only: no wav.scp" in capsys.readouterr().err

    manifest = tmp_path / "nemo.json"
    export("nemo", manifest)
    lines = [json.loads(line) for line in manifest.read_text().splitlines()]
    assert len(lines) == len(texts) and all("audio_filepath" not in line for line in lines)
    assert {line["snippet_id"]: line["text"] for line in lines} == texts
    assert "nemo without --with-audio: a text-only manifest" in capsys.readouterr().err
    assert "audio/" not in manifest.read_text()


def test_export_dates_include_both_days(reviewed, tmp_path):
    _, texts = reviewed
    today = timezone.now().date().isoformat()  # reviewed today (UTC)
    one_day = export("jsonl", tmp_path / "day.jsonl", "--from", today, "--to", today)
    assert one_day.item_count == len(texts)
    with pytest.raises(CommandError, match="is before --from"):
        export("jsonl", tmp_path / "backwards.jsonl", "--from", today,
               "--to", (timezone.now().date() - timedelta(days=1)).isoformat())
