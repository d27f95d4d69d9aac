"""Local files a study reads are rule inputs, for every study kind: editing one re-runs exactly the jobs that read it.

Each kind's tiny config names a local data table (and the inheritance kind a local model directory); the
jobs that read it run, the file is edited, and a dry run of the same targets must plan exactly those jobs
(before the edit: none). A path passed only as a parameter would plan nothing after the edit.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pandas as pd
import pytest
import yaml
from conftest import TINY_CONFIG, jobs_in, run_snakemake

pytestmark = [pytest.mark.workflow, pytest.mark.slow]


def text_loop(workdir: Path) -> tuple[dict, list[str], Path]:
    words = "the congress passed a budget for schools roads and workers across the nation this year".split()
    bodies = [" ".join(words[(i + j) % len(words)] for j in range(35)) for i in range(40)]
    table = workdir / "speeches.csv"
    pd.DataFrame({"title": [f"Speech {i}" for i in range(40)], "body": bodies, "party": ["D", "R"] * 20}).to_csv(table, index=False)
    config = yaml.safe_load(TINY_CONFIG.read_text())
    config["study"] = "local-text"
    config["datasets"] = {
        "sotu": {
            "source": "file",
            "path": str(table),
            "text_column": "body",
            "title_column": "title",
            "label_column": "party",
            "labels": {"D": "left", "R": "right"},
            "finetune_size": 8,
            "heldout_size": 20,
        }
    }
    return config, ["results/local-text/data/sotu/finetune.parquet"], table


def inheritance(workdir: Path) -> tuple[dict, list[str], Path]:
    from synthloop.studies import validate
    from synthloop.studies.inheritance.realset import standin_biographies

    slots = validate({"study": "t", "kind": "inheritance", "seeds": [0]})["slots"]
    table = workdir / "biographies.csv"
    standin_biographies(slots, 3, seed=0, split="train")[["text", "profession", "gender"]].to_csv(table, index=False)
    config = {
        "study": "local-bios",
        "kind": "inheritance",
        "seeds": [0],
        "bias_types": ["unbiased"],
        "ratios": [0.0],
        "total": {"gender": 8},
        "data": {"gender": {"source": "file", "path": str(table)}},
        "evaluation": {"tasks": {"gender": ["profession", "salary"]}, "profession": {"per_profession": 2}, "salary": {"per_profession": 2}},
    }
    return config, ["results/local-bios/data/gender/real.parquet"], table


def image_loop(workdir: Path) -> tuple[dict, list[str], Path]:
    import datasets
    from PIL import Image
    from sklearn.datasets import load_digits

    digits = load_digits()
    rows = {
        "image": [Image.fromarray((pixels * 255 / 16).astype("uint8")) for pixels in digits.images[:200]],
        "label": digits.target[:200].tolist(),
    }
    data = datasets.Dataset.from_dict(rows).cast_column("image", datasets.Image())
    for split in ("train", "test"):
        data.to_parquet(str(workdir / f"{split}.parquet"))
    config = {
        "study": "local-images",
        "kind": "image_loop",
        "seeds": [0],
        "generations": 2,
        "generators": ["dcgan"],
        "ratios": [0.5],
        "classifiers": ["mlp"],
        "fid": {"network": "mlp"},
        "fairness": {"enabled": False},
        "data": {
            "source": "hf",
            "path": "parquet",
            "size": 8,
            "data_files": {"train": str(workdir / "train.parquet"), "test": str(workdir / "test.parquet")},
        },
    }
    return config, ["results/local-images/data/real_train.parquet"], workdir / "train.parquet"


KINDS = {
    "text_loop": (text_loop, ["prepare_dataset"]),
    "inheritance": (inheritance, ["gender_real"]),
    "image_loop": (image_loop, ["prepare_images"]),
}


def edit_table(table: Path) -> None:
    """Drop the last row: the same columns, other content."""
    if table.suffix == ".parquet":  # a Hugging Face image table: rewritten by datasets, which keeps its image feature
        import datasets

        data = datasets.Dataset.from_parquet(str(table))
        data.select(range(len(data) - 1)).to_parquet(str(table))
    else:
        pd.read_csv(table).iloc[:-1].to_csv(table, index=False)


@pytest.mark.parametrize("kind", list(KINDS))
def test_an_edited_local_data_file_reruns_exactly_the_jobs_that_read_it(kind, tmp_path):
    build, expected = KINDS[kind]
    config, targets, table = build(tmp_path)
    run_snakemake(tmp_path, config, *targets)
    assert jobs_in(run_snakemake(tmp_path, None, "-n", *targets).stdout) == []
    edit_table(table)
    planned = run_snakemake(tmp_path, None, "-n", *targets).stdout
    assert sorted(jobs_in(planned)) == expected, planned[-3000:]
    assert str(table) in planned  # the reason names the edited file


def test_an_edited_local_model_file_reruns_the_jobs_that_read_the_model(tmp_path):
    """The inheritance kind's local base model: round 1's augmentation is written by it, so editing its config re-runs that job."""
    from synthloop.lm.basemodel import tiny_gpt2, train_tokenizer

    model = tmp_path / "model"
    tokenizer = train_tokenizer(["a nurse works in a hospital", "an architect works in a studio"] * 10, 300)
    tiny_gpt2(tokenizer, {"context": 256, "n_embd": 16, "n_layer": 1, "n_head": 2}, seed=0).save_pretrained(model)
    tokenizer.save_pretrained(model)
    config = {
        "study": "local-model",
        "kind": "inheritance",
        "seeds": [0],
        "model": {"source": str(model)},
        "bias_types": ["unbiased"],
        "ratios": [0.0, 0.5],
        "total": {"gender": 4},
        "augment": {"new_tokens": 4, "batch_size": 8},
        "data": {"gender": {"source": "template", "standin_per_group": {"train": 1, "test": 1}}},
        "evaluation": {"tasks": {"gender": ["hiring"]}, "hiring": {"repeats": 1, "new_tokens": 2}},
    }
    target = "results/local-model/augment/gender-unbiased-round1/s0.parquet"
    run_snakemake(tmp_path, config, target)
    assert jobs_in(run_snakemake(tmp_path, None, "-n", target).stdout) == []
    settings = json_edit(model / "config.json")
    planned = run_snakemake(tmp_path, None, "-n", target).stdout
    assert jobs_in(planned) == ["augment"] and settings in planned, planned[-3000:]


def json_edit(path: Path) -> str:
    """Rewrite a JSON file with other content (one more key); returns its path as Snakemake prints it."""
    import json

    data = copy.deepcopy(json.loads(path.read_text()))
    data["synthloop_test_edit"] = 1
    path.write_text(json.dumps(data))
    return str(path)
