"""Local data files are checked early, read strictly, and tracked as inputs."""

import logging
import os
import re
import subprocess
import time

import pandas as pd
import pytest
import yaml
from conftest import ROOT, TINY_CONFIG, study_path, validation_error

from synthloop.core.config import ConfigError
from synthloop.data.documents import load_documents, local_inputs

SPEC = {"source": "file", "labels": {"D": "left", "R": "right"}, "finetune_size": 2, "text_column": "body", "label_column": "party"}


def write_csv(path, bodies):
    pd.DataFrame({"body": bodies, "party": ["D", "R"] * (len(bodies) // 2) + ["D"] * (len(bodies) % 2)}).to_csv(path, index=False)


# -- NaN / empty texts -----------------------------------------------------------------------------


def test_missing_and_blank_texts_are_dropped_and_counted(tmp_path, caplog):
    write_csv(tmp_path / "d.csv", ["one text", None, "two text", "   ", "three", "four"])
    with caplog.at_level(logging.WARNING, logger="synthloop.data.documents"):
        frame = load_documents({**SPEC, "path": str(tmp_path / "d.csv")}, "mine")
    assert list(frame["text"]) == ["one text", "two text", "three", "four"]  # not the string "nan"
    assert "dropped 2 of 6 texts" in caplog.text and "data rows [2, 4]" in caplog.text


def test_a_set_of_mostly_missing_texts_is_refused_with_file_and_rows(tmp_path):
    write_csv(tmp_path / "d.csv", [None, None, "fine", None])
    with pytest.raises(ConfigError, match=r"d\.csv.*3 of 4 texts are missing or empty \(data rows \[1, 2, 4\]"):
        load_documents({**SPEC, "path": str(tmp_path / "d.csv")}, "mine")


def test_jsonl_null_texts_are_missing_not_the_word_none(tmp_path):
    (tmp_path / "d.jsonl").write_text('{"body": "a b", "party": "D"}\n{"body": null, "party": "R"}\n{"body": "c d", "party": "R"}\n')
    assert list(load_documents({**SPEC, "path": str(tmp_path / "d.jsonl")})["text"]) == ["a b", "c d"]


# -- decoding errors and missing files --------------------------------------------------------------


def test_a_non_utf8_file_is_named_with_its_line(tmp_path):
    (tmp_path / "d.csv").write_bytes("body,party\nfine,D\ncaf\xe9 latin-1,R\n".encode("latin-1"))
    with pytest.raises(ConfigError, match=r"d\.csv', line 3: not UTF-8"):
        load_documents({**SPEC, "path": str(tmp_path / "d.csv")})


def test_a_malformed_jsonl_line_is_named(tmp_path):
    (tmp_path / "d.jsonl").write_text('{"body": "a", "party": "D"}\n\n{"body": "b", "party": \n')
    with pytest.raises(ConfigError, match=r"d\.jsonl', line 3: malformed JSON"):
        load_documents({**SPEC, "path": str(tmp_path / "d.jsonl")})


def test_a_missing_data_file_is_a_config_error_before_any_job(tmp_path):
    tiny = yaml.safe_load(TINY_CONFIG.read_text())
    message = validation_error(
        tiny, lambda c: c["datasets"]["sotu"].update(source="file", path=str(tmp_path / "gone.csv"), text_column="t")
    )
    assert "datasets.sotu.path" in message and "gone.csv" in message and "does not exist" in message


def test_local_inputs_are_the_files_read():
    assert local_inputs({"source": "file", "path": "data/x.csv"}) == ["data/x.csv"]
    assert local_inputs({"source": "sotu"}) == [] and local_inputs({"source": "hf", "path": "org/not-local"}) == []


# -- editing the file re-runs its dataset job ---------------------------------------------------------


@pytest.mark.workflow
@pytest.mark.slow
def test_editing_a_source_file_reruns_the_dataset_job(tmp_path):
    write_csv(tmp_path / "d.csv", [f"text number {i} with words" for i in range(40)])
    config = yaml.safe_load(TINY_CONFIG.read_text())
    config["datasets"]["sotu"] = {**SPEC, "path": str(tmp_path / "d.csv"), "finetune_size": 8, "heldout_size": 8}
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(config))
    for name in ("finetune", "heldout"):  # outputs already made, newer than the file
        out = tmp_path / "results" / "tiny" / "data" / "sotu" / f"{name}.parquet"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(b"x")
    later = time.time() + 5

    def dry_run():
        command = [
            str(ROOT / ".venv/bin/snakemake"),
            "-n",
            "--cores",
            "1",
            "--snakefile",
            str(ROOT / "Snakefile"),
            "--configfile",
            str(tmp_path / "c.yaml"),
            "--directory",
            str(tmp_path),
            "--until",
            "prepare_dataset",
            "--rerun-triggers",
            "mtime",
        ]
        out = subprocess.run(command, capture_output=True, text=True, timeout=240).stdout
        return re.findall(r"^prepare_dataset\s+(\d+)$", out, re.MULTILINE)  # its row in the job stats

    os.utime(tmp_path / "d.csv", (later - 100, later - 100))
    assert dry_run() == []
    os.utime(tmp_path / "d.csv", (later, later))  # the edit
    assert set(dry_run()) == {"1"}


def test_a_local_base_model_s_files_are_inputs_of_the_first_fine_tune(tmp_path):
    from synthloop.studies.text_loop.plan import Plan

    base = tmp_path / "my-base"
    base.mkdir()
    for name in ("config.json", "model.safetensors", "tokenizer.json"):
        (base / name).write_text("x")
    config = yaml.safe_load(TINY_CONFIG.read_text())
    config["base_model"] = {"source": str(base)}
    from synthloop.studies import validate

    path = study_path("text_loop", "tiny")
    plan = Plan(validate(config), path, "results/tiny")
    chain = sorted(plan.chains)[0]
    assert plan.finetune_inputs(chain, 0)["init"] == sorted(str(base / n) for n in ("config.json", "model.safetensors", "tokenizer.json"))
    assert plan.finetune_inputs(chain, 1)["init"] == [path("model", chain=chain, gen=0)]
    config["base_model"] = {"source": "org/hub-model"}
    assert Plan(validate(config), path, "results/tiny").finetune_inputs(chain, 0)["init"] == []


def test_local_scorer_and_embedder_model_files_are_inputs_of_scoring(tmp_path):
    """Editing a local embedder or classifier directory must re-run the score jobs that read it."""
    from synthloop.studies import validate
    from synthloop.studies.text_loop.plan import Plan

    embedder, classifier = tmp_path / "embedder", tmp_path / "classifier"
    for directory in (embedder, classifier):
        directory.mkdir()
        (directory / "model.safetensors").write_bytes(b"x")
        (directory / "config.json").write_text("{}")
    config = yaml.safe_load(TINY_CONFIG.read_text())
    config["embedders"] = {"local": {"model": str(embedder)}}
    config["scorers"]["diversity"] = {"kind": "semantic_diversity", "embedder": "local"}
    config["scorers"]["hf"] = {"kind": "hf_classifier", "model": str(classifier), "labels": {"LABEL_0": "left", "LABEL_1": "right"}}
    plan = Plan(validate(config), study_path("text_loop", "tiny"), "results/tiny")
    chain = next(iter(plan.chains))
    inputs = plan.score_inputs(chain, 1)["assets"]
    for directory in (embedder, classifier):
        assert {str(directory / "model.safetensors"), str(directory / "config.json")} <= set(inputs)
    assert not any(name == "minilm" for name in inputs)  # a packaged name is not a file
