"""Hugging Face `datasets` Parquet: one file with an Audio column (struct {bytes, path}).

The schema carries the `datasets` feature metadata, so `load_dataset("parquet", ...)` sees an
Audio(sampling_rate=16000) column and decodes it. Audio is embedded as WAV bytes; the file is
built in memory (row groups of ROWS_PER_GROUP) and written once.
"""
from __future__ import annotations

import io
import json

from .common import audio_name

ROWS_PER_GROUP = 256
SAMPLING_RATE = 16000


def _features(with_audio: bool):
    import datasets

    columns = {
        "snippet_id": datasets.Value("string"), "text": datasets.Value("string"),
        "speaker": datasets.Value("string"), "reviewer": datasets.Value("string"),
        "locale": datasets.Value("string"), "duration": datasets.Value("float64"),
        "agreement": datasets.Value("float64"), "gold": datasets.Value("bool"),
        "labels": datasets.Value("string"), "export_id": datasets.Value("string"),
    }
    if with_audio:
        columns = {"audio": datasets.Audio(sampling_rate=SAMPLING_RATE)} | columns
    return datasets.Features(columns)


def write(items, sink, *, with_audio: bool, export_id: str) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = _features(with_audio).arrow_schema
    buffer = io.BytesIO()
    count = 0
    with pq.ParquetWriter(buffer, schema) as writer:
        batch: list[dict] = []

        def flush():
            if batch:
                writer.write_table(pa.Table.from_pylist(batch, schema=schema))
                batch.clear()

        for item in items:
            row = {
                "snippet_id": item.snippet_id, "text": item.transcript, "speaker": item.customer_pseudonym,
                "reviewer": item.reviewer, "locale": item.locale, "duration": item.duration,
                "agreement": item.agreement, "gold": item.gold,
                "labels": json.dumps(item.labels, ensure_ascii=False) if item.labels else None,
                "export_id": export_id,
            }
            if with_audio:
                row["audio"] = {"bytes": item.audio, "path": audio_name(item).split("/", 1)[1]}
            batch.append(row)
            count += 1
            if len(batch) >= ROWS_PER_GROUP:
                flush()
        flush()
    sink.write("data.parquet", buffer.getvalue())
    return count
