"""Shared fixtures: a tiny GPT-2 built in the test (no download) and the tiny study config."""

import copy
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

ROOT = Path(__file__).resolve().parents[1]
TINY_CONFIG = ROOT / "tests" / "configs" / "tiny.yaml"


def study_path(kind: str, study: str):
    """The workflow's own path helper for a kind's study: plans are tested against the layout the rules write."""
    from synthloop.studies import layout
    from synthloop.studies.base import path_function

    return path_function(layout(kind), study)


def jobs_in(output: str) -> list[str]:
    """The rule of each job Snakemake's log announces (run, or planned by a dry run), in log order; a dry run lists
    the jobs of a group job (the text loop's fine-tune and generate) indented under it."""
    return re.findall(r"^\s*(?:localrule|rule) (\w+):", output, flags=re.M)


def run_snakemake(workdir: Path, config: dict | None = None, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """Snakemake on the repository's workflow in `workdir` (its config written there as config.yaml when given), on 2
    cores; with `check`, a failure fails the test showing the end of Snakemake's output. `.stdout` holds both streams."""
    workdir.mkdir(parents=True, exist_ok=True)
    if config is not None:
        (workdir / "config.yaml").write_text(yaml.safe_dump(config))
    command = [
        sys.executable,
        "-m",
        "snakemake",
        *args,
        "--snakefile",
        str(ROOT / "Snakefile"),
        "--cores",
        "2",
        "--directory",
        str(workdir),
        "--configfile",
        str(workdir / "config.yaml"),
    ]  # targets first: --configfile takes every word after it
    result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if check:
        assert result.returncode == 0, result.stdout[-4000:]
    return result


def reversed_keys(value):
    """`value` with every mapping's keys in reverse order, recursively (lists keep theirs): a config only reordered."""
    if isinstance(value, dict):
        return {key: reversed_keys(value[key]) for key in reversed(list(value))}
    if isinstance(value, list):
        return [reversed_keys(v) for v in value]
    return value


def validation_error(config: dict, edit) -> str:
    """The ConfigError message of validating a copy of `config` changed by `edit` (it must fail)."""
    from synthloop.core.config import ConfigError
    from synthloop.studies import validate

    bad = copy.deepcopy(config)
    edit(bad)
    with pytest.raises(ConfigError) as error:
        validate(bad)
    return str(error.value)


def pytest_collection_modifyitems(items):
    """Slow = more than a few seconds: every workflow/slurm test, and every test on the trained tiny_lm
    (its session fixture trains for ~40 s on 2 cores), so `pytest -m "not slow"` runs the fast ones alone."""
    for item in items:
        if item.get_closest_marker("workflow") or item.get_closest_marker("slurm") or "tiny_lm" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)


SENTENCES = [
    "The economy is growing and families are working hard across the nation.",
    "We will invest in schools, roads and bridges for the next generation.",
    "Our troops defend freedom and we honor their service tonight.",
    "Health care costs must come down for every working family.",
    "Taxes should be lower so that small businesses can hire more workers.",
    "The Congress must pass a budget that protects our children.",
]


@pytest.fixture(scope="session")
def tiny_lm(tmp_path_factory):
    """A 2-layer GPT-2 with a BPE tokenizer trained from scratch on a few sentences, saved as a HF directory."""
    from synthloop.lm.basemodel import train_base_model

    out = tmp_path_factory.mktemp("tiny_lm") / "model"
    params = {
        "vocab_size": 300,
        "n_layer": 2,
        "n_head": 2,
        "n_embd": 32,
        "context": 32,
        "steps": 30,
        "batch_size": 8,
        "learning_rate": 3e-3,
    }
    train_base_model(SENTENCES * 20, out, params, seed=0)
    return out


@pytest.fixture(scope="session")
def tiny_study(tmp_path_factory):
    """The tiny study (tests/configs/tiny.yaml) run once for the whole session, with its config as
    <workdir>/config.yaml. Tests that change files must restore them, or work on a copy (copy_study)."""
    workdir = tmp_path_factory.mktemp("study")
    # Written as yaml.safe_dump writes it (keys sorted), as the tests that edit it write it back; a config with its
    # keys only reordered re-runs nothing (the rules' params are canonical: test_workflow_guarantees.py).
    (workdir / "config.yaml").write_text(yaml.safe_dump(yaml.safe_load(TINY_CONFIG.read_text())))
    command = [
        sys.executable,
        "-m",
        "snakemake",
        "--snakefile",
        str(ROOT / "Snakefile"),
        "--cores",
        "2",
        "--directory",
        str(workdir),
        "--configfile",
        str(workdir / "config.yaml"),
    ]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise AssertionError(f"the tiny study failed:\n{result.stdout[-3000:]}\n{result.stderr[-5000:]}")
    FINISHED["text_loop"] = copy_study(workdir, tmp_path_factory.mktemp("study-as-finished") / "study")  # for finished_study
    return workdir


FINISHED: dict[str, Path] = {}  # kind -> its tiny study's working directory, as the run left it
TINY_STUDIES = {
    "text_loop": TINY_CONFIG,
    "image_loop": ROOT / "tests/configs/tiny-images.yaml",
    "inheritance": ROOT / "tests/configs/tiny-inheritance.yaml",
}


def tiny_study_config(kind: str, inheritance_model: Path | None = None) -> dict:
    """A kind's tiny study config (tests/configs/); the inheritance one reads the tiny model built for it."""
    config = yaml.safe_load(TINY_STUDIES[kind].read_text())
    if kind == "inheritance":
        config["model"]["source"] = str(inheritance_model)
    return config


@pytest.fixture(scope="session")
def tiny_inheritance_model(tmp_path_factory):
    """A 1-layer scratch GPT-2 whose tokenizer knows the stand-in biographies (the tiny inheritance study's model)."""
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


@pytest.fixture(scope="session")
def finished_study(request, tmp_path_factory):
    """`finished_study(kind)`: the working directory of that kind's tiny study, run once for the whole session (the text
    loop's: a copy of `tiny_study` as it finished). Tests that change files must restore them, or work on a copy (copy_study)."""
    done = FINISHED

    def finished(kind: str) -> Path:
        if kind not in done:
            if kind == "text_loop":
                request.getfixturevalue("tiny_study")  # stores its copy as it finished, before other tests edit it
            else:
                model = request.getfixturevalue("tiny_inheritance_model") if kind == "inheritance" else None
                done[kind] = tmp_path_factory.mktemp(kind)
                run_snakemake(done[kind], tiny_study_config(kind, model))
        return done[kind]

    return finished


def copy_study(study: Path, into: Path) -> Path:
    """A copy of a finished study's working directory (results and .snakemake metadata, file times kept)."""
    import shutil

    shutil.copytree(study, into, symlinks=True, ignore=shutil.ignore_patterns("locks", "log", "incomplete"))
    return into


@pytest.fixture(scope="module")
def lm(tiny_lm):
    """The tiny GPT-2 loaded for inference, with its tokenizer."""
    from synthloop.lm.models import load_causal_lm

    model, tokenizer = load_causal_lm(str(tiny_lm))
    return model.eval(), tokenizer
