"""Study 3 end to end on a tiny scratch GPT-2: every arm, round and mitigation, the metrics and the figures."""

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from synthloop.studies.inheritance.mitigate import mask_text
from synthloop.studies.inheritance.prompts import PROFESSION_QUESTION


def validate_slots() -> dict:
    from synthloop.studies import validate

    return validate({"study": "t", "kind": "inheritance", "seeds": [0]})["slots"]

ROOT = Path(__file__).resolve().parents[1]
SNAKEMAKE = [sys.executable, "-m", "snakemake", "--snakefile", str(ROOT / "Snakefile"), "--cores", "2"]


def tiny_config(model: Path) -> dict:
    return {
        "study": "tiny-inheritance", "kind": "inheritance", "seeds": [0],
        "model": {"source": str(model)},
        "bias_types": ["unbiased"],
        "ratios": [0.0, 0.5],
        "total": {"gender": 8},
        "mitigations": {"methods": ["mask"]},
        "rounds": {"count": 2, "bias_type": "unbiased", "ratio": 0.5},
        "data": {"gender": {"source": "template", "standin_per_group": {"train": 2, "test": 1}}},
        "augment": {"new_tokens": 12, "batch_size": 8},
        "train": {"gender": {"epochs": 1, "batch_size": 4, "learning_rate": 1.0e-3, "max_length": 96, "lora": None}},  # full fine-tuning: no peft import per job
        "evaluation": {"tasks": {"gender": ["profession", "hiring", "salary", "story"]}, "batch_size": 16,
                       "profession": {"per_profession": 1 * 2}, "hiring": {"repeats": 1, "new_tokens": 4},
                       "salary": {"per_profession": 2, "new_tokens": 4}, "story": {"names_per_group": 1, "new_tokens": 8}},
        "analysis": {"embeddings": {"texts": 8, "dims": 2, "max_length": 64}},
        "resources": {"finetune": {"cpus_per_task": 1}, "generate": {"cpus_per_task": 1}, "score": {"cpus_per_task": 1}},
    }


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    from synthloop.lm.basemodel import tiny_gpt2, train_tokenizer
    from synthloop.studies import validate
    from synthloop.studies.inheritance.realset import standin_biographies

    slots = validate({"study": "t", "kind": "inheritance", "seeds": [0]})["slots"]
    corpus = standin_biographies(slots, 3, seed=0, split="train")["text"].tolist() + slots["professions"]
    out = tmp_path_factory.mktemp("inheritance_model") / "model"
    tokenizer = train_tokenizer(corpus * 3, 400)
    tiny_gpt2(tokenizer, {"context": 512, "n_embd": 16, "n_layer": 1, "n_head": 2}, seed=0).save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


@pytest.mark.workflow
@pytest.mark.slow
def test_tiny_inheritance_study_end_to_end(tmp_path, tiny_model):
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(tiny_config(tiny_model)))
    run = subprocess.run([*SNAKEMAKE, "--directory", str(tmp_path), "--configfile", str(config)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-4000:]
    results = tmp_path / "results" / "tiny-inheritance"
    metrics = pd.read_parquet(results / "metrics.parquet")
    arms = set(metrics["arm"])
    assert arms == {"gender-none-r0-none-round1", "gender-unbiased-r0.5-none-round1", "gender-unbiased-r0.5-mask-round1", "gender-unbiased-r0.5-none-round2"}
    assert set(metrics["task"]) == {"profession", "hiring", "salary", "story"}
    for arm in arms:
        train = pd.read_parquet(results / "arms" / arm / "s0" / "train.parquet")
        assert len(train) == 8 and train["augmented"].sum() == (0 if "-r0-" in arm else 4)
    masked = pd.read_parquet(results / "arms" / "gender-unbiased-r0.5-mask-round1" / "s0" / "train.parquet")
    augmented = pd.read_parquet(results / "augment" / "gender-unbiased-round1" / "s0.parquet").head(4)
    names = [n for c in validate_slots()["names"].values() for g in c.values() for n in g]
    expected = {PROFESSION_QUESTION.format(biography=mask_text(t, names, validate_slots()["cultures"])) for t in augmented["text"]}
    assert set(masked.loc[masked["augmented"] == 1, "instruction"]) == expected
    assert augmented["instruction"].str.startswith("Write a 100 words biography of a ").all()
    # round 2's augmentation was written by round 1's model, and round 2 fine-tuned that model further
    log = (results / "logs" / "finetune" / "gender-unbiased-r0.5-none-round2" / "s0.log").read_text()
    assert "fine-tuned from results/tiny-inheritance/arms/gender-unbiased-r0.5-none-round1/s0/model" in log
    log = (results / "logs" / "augment" / "gender-unbiased-round2" / "s0.log").read_text()
    assert "by results/tiny-inheritance/arms/gender-unbiased-r0.5-none-round1/s0/model" in log
    hiring = metrics[(metrics["task"] == "hiring") & (metrics["metric"] == "invalid")]
    assert (hiring["n"] == 6).all()
    for name in ("gender_profession_by_ratio", "gender_hiring_by_ratio", "gender_salary_by_ratio", "gender_story_by_ratio",
                 "rounds", "mitigations", "unbiased_gender_shares", "embeddings_gender"):
        assert (results / "figures" / f"{name}.png").stat().st_size > 1000, name
    again = subprocess.run([*SNAKEMAKE, "--directory", str(tmp_path), "--configfile", str(config), "-n"], capture_output=True, text=True)
    assert "Nothing to be done" in again.stdout + again.stderr
