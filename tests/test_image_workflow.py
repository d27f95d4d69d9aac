"""The image loop end to end on a tiny config (seconds of training): every file of the plan, hidden subgroups."""

import subprocess
import sys

import pandas as pd
import pytest
import yaml
from conftest import ROOT, tiny_study_config

pytestmark = [pytest.mark.workflow, pytest.mark.slow]
SNAKEMAKE = [sys.executable, "-m", "snakemake", "--snakefile", str(ROOT / "Snakefile"), "--cores", "2"]
TINY = tiny_study_config("image_loop")


@pytest.fixture(scope="module")
def study(finished_study):
    """The tiny image study (tests/configs/tiny-images.yaml), run once for the session (conftest.finished_study)."""
    return finished_study("image_loop") / "results" / "tiny-images"


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


def test_bad_config_stops_before_any_job(tmp_path):
    (tmp_path / "config.yaml").write_text(yaml.safe_dump({**TINY, "ratios": [2]}))
    result = subprocess.run(
        [*SNAKEMAKE, "--directory", str(tmp_path), "--configfile", str(tmp_path / "config.yaml")], capture_output=True, text=True
    )
    assert result.returncode != 0 and "config key 'ratios[0]'" in result.stderr
    assert not (tmp_path / "results").exists()
