"""Study 3 end to end on a tiny scratch GPT-2: every arm, round and mitigation, the metrics and the figures."""

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SNAKEMAKE = [sys.executable, "-m", "snakemake", "--snakefile", str(ROOT / "Snakefile"), "--cores", "2"]


def tiny_config(model: Path) -> dict:
    return {
        "study": "tiny-inheritance", "kind": "inheritance", "seeds": [0],
        "model": {"source": str(model)},
        "bias_types": ["unbiased", "contextual_implicit"],
        "ratios": [0.0, 0.5],
        "total": {"gender": 8},
        "mitigations": {"methods": ["mask"], "bias_types": ["contextual_implicit"]},
        "rounds": {"count": 2, "bias_type": "unbiased", "ratio": 0.5},
        "data": {"gender": {"source": "template", "standin_per_group": {"train": 2, "test": 1}}},
        "augment": {"new_tokens": 12, "batch_size": 8},
        "train": {"gender": {"epochs": 1, "batch_size": 4, "learning_rate": 1.0e-3, "max_length": 96, "lora": {"r": 2, "alpha": 4}}},
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
    assert arms == {"gender_none_g0_none_r1", "gender_unbiased_g0.5_none_r1", "gender_contextual_implicit_g0.5_none_r1",
                    "gender_contextual_implicit_g0.5_mask_r1", "gender_unbiased_g0.5_none_r2"}
    assert set(metrics["task"]) == {"profession", "hiring", "salary", "story"}
    for arm in arms:
        train = pd.read_parquet(results / "arms" / arm / "s0" / "train.parquet")
        assert len(train) == 8 and train["augmented"].sum() == (0 if "_g0_" in arm else 4)
    masked = pd.read_parquet(results / "arms" / "gender_contextual_implicit_g0.5_mask_r1" / "s0" / "train.parquet")
    prompts = pd.read_parquet(results / "augment" / "gender_contextual_implicit_r1" / "s0.parquet")
    assert masked.loc[masked["augmented"] == 1, "instruction"].str.contains(r"\b(?:he|she|his|her)\b", case=False).sum() == 0
    assert prompts["instruction"].str.contains("whose name is").all()
    # round 2's augmentation was written by round 1's model, and round 2 fine-tuned that model further
    adapter = yaml.safe_load((results / "arms" / "gender_unbiased_g0.5_none_r2" / "s0" / "model" / "adapter_config.json").read_text())
    assert adapter["base_model_name_or_path"].endswith("arms/gender_unbiased_g0.5_none_r1/s0/model")
    hiring = metrics[(metrics["task"] == "hiring") & (metrics["metric"] == "invalid")]
    assert (hiring["n"] == 6).all()
    for name in ("gender_profession_by_ratio", "gender_hiring_by_ratio", "gender_salary_by_ratio", "gender_story_by_ratio",
                 "rounds", "mitigations", "unbiased_gender_shares", "embeddings_gender"):
        assert (results / "figures" / f"{name}.png").stat().st_size > 1000, name
    again = subprocess.run([*SNAKEMAKE, "--directory", str(tmp_path), "--configfile", str(config), "-n"], capture_output=True, text=True)
    assert "Nothing to be done" in again.stdout + again.stderr
