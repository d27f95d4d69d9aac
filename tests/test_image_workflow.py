"""The image loop end to end on a tiny config (seconds of training): every file of the plan, hidden subgroups, seeds."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import ROOT, jobs_in, reversed_keys

pytestmark = [pytest.mark.workflow, pytest.mark.slow]
SNAKEMAKE = [sys.executable, "-m", "snakemake", "--snakefile", str(ROOT / "Snakefile"), "--cores", "2"]
TINY = {
    "study": "tiny-images", "kind": "image_loop", "seeds": [0], "generations": 3,
    "data": {"source": "digits", "size": 8, "colourise": {"bias": "biased", "dominant_share": 0.8}},
    "generators": ["dcgan", "ddpm"],
    "generator_params": {"dcgan": {"latent": 8, "width": 8, "steps": 6, "checkpoint_every": 3},
                         "ddpm": {"widths": [8, 16], "train_timesteps": 20, "inference_steps": 2, "steps": 3, "checkpoint_every": 2}},
    "ratios": [0.1], "fifo": {"enabled": True, "capacity": 1}, "filter": {"enabled": True, "share": 0.5, "classifier": "mlp", "mc_samples": 2},
    "classifiers": ["mlp"], "training": {"epochs": 2, "batch_size": 256}, "fid": {"network": "mlp"},
}


def snakemake(workdir: Path, *args, config: dict) -> subprocess.CompletedProcess:
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "config.yaml").write_text(yaml.safe_dump(config))
    result = subprocess.run([*SNAKEMAKE, *args, "--directory", str(workdir), "--configfile", str(workdir / "config.yaml")], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    return result


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("image_loop")
    snakemake(workdir, config=TINY)
    return workdir / "results" / "tiny-images"


def test_every_planned_output_exists(study):
    for name in ["metrics.parquet", "fid.parquet", "tables/fid_by_generation.csv", "manifest.json"]:
        assert (study / name).exists(), name
    for figure in ["accuracy", "meo", "di", "md", "fid", "acc_k_dcgan", "acc_k_ddpm"]:
        assert (study / "figures" / f"{figure}.png").stat().st_size > 1000, figure
    assert not list(study.rglob("*.checkpoints")), "checkpoints are removed once a job completes"


def test_metrics_cover_every_chain_generation_and_classifier(study):
    metrics = pd.read_parquet(study / "metrics.parquet")
    assert len(metrics) == 2 * 3  # 2 chains x generations 0-2 x 1 classifier
    assert set(metrics["generation"]) == {0, 1, 2}
    assert metrics[["accuracy", "meo", "md", "acc_1", "acc_3"]].notna().all().all()
    # generation 0 is shared: both generators' chains report the same real-data classifier
    g0 = metrics[metrics["generation"] == 0].set_index("generator")["accuracy"]
    assert g0["dcgan"] == g0["ddpm"]
    fid = pd.read_parquet(study / "fid.parquet")
    assert len(fid) == 2 * 2 and (fid["fid"] > 0).all()


def test_training_sets_hide_subgroups_and_follow_the_fifo(study):
    real = pd.read_parquet(study / "data" / "real_train.parquet")
    assert "subgroup" in real.columns  # kept for evaluation only
    s = int(round(0.1 * len(real)))
    for train_path in study.glob("chains/*/g*/train.parquet"):
        train = pd.read_parquet(train_path)
        assert "subgroup" not in train.columns, train_path
        gen = int(train_path.parent.name[1:])
        synthetic = train[train["origin"] == "synthetic"]
        assert len(synthetic) == s and set(synthetic["source_generation"]) == {gen}  # capacity 1: only the newest generation
    generated = pd.read_parquet(study / "chains" / "dcgan-r0.1-s0" / "g1" / "generated.parquet")
    assert len(generated) == 2 * s and generated["kept"].sum() == s  # r = 0.5: half of the samples dropped


def test_same_config_and_seed_give_identical_data(study, tmp_path):
    snakemake(tmp_path, "results/tiny-images/chains/dcgan-r0.1-s0/g1/train.parquet", config=TINY)
    a = pd.read_parquet(study / "chains" / "dcgan-r0.1-s0" / "g1" / "train.parquet")
    b = pd.read_parquet(tmp_path / "results" / "tiny-images" / "chains" / "dcgan-r0.1-s0" / "g1" / "train.parquet")
    assert np.array_equal(np.stack(a["pixels"].map(np.frombuffer)), np.stack(b["pixels"].map(np.frombuffer)))


def test_nothing_to_do_after_a_complete_run(study):
    result = snakemake(study.parent.parent, "-n", config=TINY)
    assert "Nothing to be done" in result.stdout + result.stderr


def test_a_config_with_its_keys_only_reordered_plans_no_job(study):
    """The rules pass config mappings through core.config.canonical: Snakemake compares params by their repr."""
    workdir = study.parent.parent
    (workdir / "config.yaml").write_text(yaml.safe_dump(reversed_keys(TINY), sort_keys=False))
    command = [*SNAKEMAKE, "-n", "--directory", str(workdir), "--configfile", str(workdir / "config.yaml")]
    for triggers in ([], ["--rerun-triggers", "params"]):
        result = subprocess.run([*command, *triggers], capture_output=True, text=True)
        output = result.stdout + result.stderr
        assert result.returncode == 0 and jobs_in(output) == [] and "Nothing to be done" in output, output[-3000:]
    (workdir / "config.yaml").write_text(yaml.safe_dump(TINY))


def test_bad_config_stops_before_any_job(tmp_path):
    (tmp_path / "config.yaml").write_text(yaml.safe_dump({**TINY, "ratios": [2]}))
    result = subprocess.run([*SNAKEMAKE, "--directory", str(tmp_path), "--configfile", str(tmp_path / "config.yaml")], capture_output=True, text=True)
    assert result.returncode != 0 and "config key 'ratios[0]'" in result.stderr
    assert not (tmp_path / "results").exists()
