"""Hub pins: `revision` reaches from_pretrained and load_dataset; save_to_disk datasets load."""

from __future__ import annotations

import datasets
import pandas as pd
import pytest
import transformers
import yaml
from conftest import TINY_CONFIG, validation_error

from synthloop.core.config import ConfigError
from synthloop.core.hub import ModelRef
from synthloop.data.documents import load_documents, read_hf_dataset
from synthloop.lm.models import load_causal_lm

ROWS = {"text": ["a first text", "a second text", "a third one"], "label": ["x", "y", "x"]}
SPEC = {"source": "hf", "labels": {"x": "left", "y": "right"}, "finetune_size": 2}


def test_dataset_revision_reaches_load_dataset(monkeypatch):
    seen = {}

    def fake_load_dataset(path, name=None, **kwargs):
        seen.update(path=path, name=name, **kwargs)
        return datasets.Dataset.from_dict(ROWS)

    monkeypatch.setattr(datasets, "load_dataset", fake_load_dataset)
    frame = load_documents({**SPEC, "path": "someone/tweets", "revision": "0123abcd", "split": "test"}, "tweets")
    assert seen == {"path": "someone/tweets", "name": None, "split": "test", "revision": "0123abcd"}
    assert list(frame["label"]) == ["left", "right", "left"]


def test_save_to_disk_dataset_and_dataset_dict_load(tmp_path):
    one = tmp_path / "one"
    datasets.Dataset.from_dict(ROWS).save_to_disk(str(one))
    pd.testing.assert_frame_equal(read_hf_dataset(str(one)), pd.DataFrame(ROWS))
    both = tmp_path / "both"
    datasets.DatasetDict(
        {"train": datasets.Dataset.from_dict(ROWS), "test": datasets.Dataset.from_dict({k: v[:1] for k, v in ROWS.items()})}
    ).save_to_disk(str(both))
    assert list(read_hf_dataset(str(both), split="test")["text"]) == ["a first text"]
    with pytest.raises(ConfigError, match=r"no split 'validation'; its splits: \['test', 'train'\]"):
        read_hf_dataset(str(both), split="validation")


def test_dataset_revision_is_a_schema_key_and_checked():
    config = yaml.safe_load(TINY_CONFIG.read_text())
    name = next(iter(config["datasets"]))
    message = validation_error(config, lambda c: c["datasets"][name].update(revision="main; rm -rf"))
    assert "revision" in message


def test_model_revision_reaches_from_pretrained(monkeypatch, tiny_lm):
    seen = []
    real_model, real_tokenizer = transformers.AutoModelForCausalLM.from_pretrained, transformers.AutoTokenizer.from_pretrained

    def spy(real):
        def load(source, *args, **kwargs):
            seen.append((real.__self__.__name__, kwargs.get("revision")))
            return real(source, *args, **kwargs)

        return load

    monkeypatch.setattr(transformers.AutoModelForCausalLM, "from_pretrained", spy(real_model))
    monkeypatch.setattr(transformers.AutoTokenizer, "from_pretrained", spy(real_tokenizer))
    model, tokenizer = load_causal_lm(ModelRef(str(tiny_lm), revision="v1.0"))  # local directory: transformers ignores it
    assert seen == [("AutoModelForCausalLM", "v1.0"), ("AutoTokenizer", "v1.0")]
    assert model.config.n_layer == 2 and tokenizer.pad_token is not None
