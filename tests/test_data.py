"""Real documents: SOTU cleaning, the generic loaders and the balanced split."""

import pandas as pd
import pytest

from synthloop.core.config import ConfigError
from synthloop.data.documents import balanced_split, clean_paragraph, load_documents, sotu_paragraphs

SPEC = {"labels": {"D": "left", "R": "right"}, "finetune_size": 4, "text_column": "body", "label_column": "party"}


def test_clean_paragraph_drops_annotations_and_footnotes():
    raw = "We will win. [Applause] Our [former] Nation is strong.1 And [Laughter] free."
    assert clean_paragraph(raw) == "We will win. Our former Nation is strong. And free."


def test_sotu_paragraphs_are_modern_labelled_and_long_enough():
    frame = sotu_paragraphs((1981, 2026), min_words=30)
    assert len(frame) > 3000
    assert frame["text"].str.split().str.len().min() >= 30
    assert {"Democratic", "Republican"} <= set(frame["raw_label"])
    assert not frame["text"].str.contains(r"\[Laughter\]|\[Applause\]", case=False).any()


def make_rows(n=12):
    return pd.DataFrame(
        {"body": [f"text number {i} about things" for i in range(n)], "party": ["D", "R"] * (n // 2), "speaker": ["a", "b", "c"] * (n // 3)}
    )


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
def test_local_files_load_with_configured_columns(tmp_path, suffix):
    path = tmp_path / f"docs{suffix}"
    rows = make_rows()
    {
        ".csv": lambda: rows.to_csv(path, index=False),
        ".jsonl": lambda: rows.to_json(path, orient="records", lines=True),
        ".parquet": lambda: rows.to_parquet(path),
    }[suffix]()
    frame = load_documents({**SPEC, "source": "file", "path": str(path), "group_column": "speaker"})
    assert list(frame.columns) == ["doc_id", "text", "raw_label", "group", "label"]
    assert set(frame["label"]) == {"left", "right"}


def test_hugging_face_loader_reads_a_local_dataset_directory(tmp_path):
    make_rows().to_csv(tmp_path / "train.csv", index=False)
    frame = load_documents({**SPEC, "source": "hf", "path": str(tmp_path), "split": "train"})
    assert len(frame) == 12 and set(frame["label"]) == {"left", "right"}


def test_missing_column_is_named(tmp_path):
    make_rows().to_csv(tmp_path / "d.csv", index=False)
    with pytest.raises(ConfigError, match=r"missing column\(s\) \['body_text'\].*available columns: \['body', 'party', 'speaker'\]"):
        load_documents({**SPEC, "source": "file", "path": str(tmp_path / "d.csv"), "text_column": "body_text"})


def test_empty_dataset_is_an_error(tmp_path):
    make_rows().head(0).to_csv(tmp_path / "d.csv", index=False)
    with pytest.raises(ConfigError, match="is empty"):
        load_documents({**SPEC, "source": "file", "path": str(tmp_path / "d.csv")}, "mydata")


def test_unknown_labels_are_an_error(tmp_path):
    make_rows().to_csv(tmp_path / "d.csv", index=False)
    with pytest.raises(ConfigError, match=r"none of its labels \['D', 'R'\] is in config 'labels'"):
        load_documents({**SPEC, "source": "file", "path": str(tmp_path / "d.csv"), "labels": {"Left": "left", "Right": "right"}})


def test_missing_file_is_named(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_documents({**SPEC, "source": "file", "path": str(tmp_path / "nope.csv")})


def test_balanced_split_is_balanced_disjoint_and_seeded():
    frame = pd.DataFrame({"doc_id": [f"d{i}" for i in range(40)], "text": [f"t{i}" for i in range(40)], "label": ["left", "right"] * 20})
    finetune, heldout = balanced_split(frame, 10, None, seed=1)
    assert finetune["label"].value_counts().to_dict() == {"left": 5, "right": 5}
    assert not set(finetune["doc_id"]) & set(heldout["doc_id"])
    assert len(finetune) + len(heldout) == 40
    again, _ = balanced_split(frame, 10, None, seed=1)
    assert again["doc_id"].tolist() == finetune["doc_id"].tolist()


def test_balanced_split_needs_enough_documents_per_label():
    frame = pd.DataFrame({"doc_id": list("abcde"), "text": list("abcde"), "label": ["l", "l", "l", "l", "r"]})
    with pytest.raises(ConfigError, match="label 'r' has 1 documents"):
        balanced_split(frame, 4, None, seed=0)
