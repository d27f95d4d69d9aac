"""The workflow end to end on a tiny config: jobs, outputs, incremental re-runs, determinism, bad input."""

import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
import yaml
from conftest import ROOT, TINY_CONFIG, jobs_in

pytestmark = [pytest.mark.workflow, pytest.mark.slow]
SNAKEMAKE = [sys.executable, "-m", "snakemake", "--snakefile", str(ROOT / "Snakefile"), "--cores", "2"]


def snakemake(workdir: Path, *args, config: dict | None = None, check=True) -> subprocess.CompletedProcess:
    configfile = workdir / "config.yaml"
    if config is not None:
        configfile.write_text(yaml.safe_dump(config))
    result = subprocess.run(
        [*SNAKEMAKE, *args, "--directory", str(workdir), "--configfile", str(configfile)], capture_output=True, text=True
    )
    if check and result.returncode != 0:
        raise AssertionError(f"snakemake {' '.join(args)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-5000:]}")
    return result


def planned_jobs(workdir: Path, config: dict | None = None) -> Counter:
    """Rule -> count of the jobs a dry run would execute."""
    out = snakemake(workdir, "--dry-run", config=config)
    return Counter(jobs_in(out.stdout))


def planned_outputs(workdir: Path) -> list[str]:
    out = snakemake(workdir, "--dry-run")
    return re.findall(r"^\s+output: (.+)$", out.stdout, flags=re.M)


@pytest.fixture(scope="module")
def tiny():
    return yaml.safe_load(TINY_CONFIG.read_text())


@pytest.fixture(scope="module")
def study(tiny_study):
    """The tiny study, run once for the session (conftest.tiny_study, shared with other modules)."""
    return tiny_study


def test_dry_run_lists_the_expected_jobs(tmp_path, tiny):
    jobs = planned_jobs(tmp_path, tiny)
    chains, generations, scorers = 2, 3, 3
    assert jobs["compose_training_set"] == jobs["finetune"] == jobs["generate"] == chains * generations
    assert jobs["score"] == chains * generations  # one job per text set runs every scorer
    assert jobs["neuron_values"] == chains  # one job per chain reads every version
    assert jobs["train_base_model"] == jobs["metrics"] == jobs["neuron_analysis"] == 1
    assert jobs["figure"] == scorers
    assert jobs["generate_base"] == jobs["score_base"] == 1  # the base model before fine-tuning, once per dataset


def test_outputs_cover_every_chain_generation_and_scorer(study, tiny):
    results = study / "results" / "tiny"
    metrics = pd.read_parquet(results / "metrics.parquet")
    assert set(metrics["chain"]) == {"sotu-replace-s0", "sotu-accumulate-s0"}
    assert set(metrics["generation"]) == {-1, 0, 1, 2}  # -1: the base model before fine-tuning (Wang et al.'s Figure 2)
    base = metrics[metrics["version"] == "base"]
    assert set(base["generation"]) == {-1} and set(base["chain"]) == set(metrics["chain"])
    assert base.groupby("metric")["value"].nunique().eq(1).all()  # one scored base set shared by both chains
    assert set(metrics["scorer"]) == {"lean", "quality", "perplexity"}
    shares = metrics[metrics["metric"].str.startswith("share_")].groupby(["chain", "generation"])["value"].sum()
    assert shares.round(9).eq(1).all()  # the lean shares of each generation add up to one
    quality = metrics[metrics["metric"] == "quality_index"]
    assert quality["value"].between(0, 3).all() and (quality["ci_low"] <= quality["value"]).all()
    first = metrics[metrics["generation"] == 0]
    assert first.loc[first["value"] != 0, "relative"].round(12).eq(1).all()
    assert first.loc[first["value"] == 0, "relative"].isna().all()  # undefined, never a silent number
    for scorer in ("lean", "quality", "perplexity"):
        assert (results / "figures" / f"{scorer}.png").stat().st_size > 1000
    lean = pd.read_csv(results / "tables" / "lean_classifier_sotu.csv")
    assert set(lean["split"]) == {"random_stratified", "heldout_group"}
    accumulate = pd.read_parquet(results / "chains" / "sotu-accumulate-s0" / "g2" / "train.parquet")
    assert len(accumulate) == 3 * tiny["datasets"]["sotu"]["finetune_size"]
    assert not list(results.glob("chains/*/g*/model.checkpoints"))  # removed when each fine-tune completed


def test_changing_a_scorer_parameter_reruns_only_scoring_and_summaries(study, tiny):
    edited = {**tiny, "scorers": {**tiny["scorers"], "perplexity": {**tiny["scorers"]["perplexity"], "batch_size": 7}}}
    try:
        jobs = planned_jobs(study, edited)
        assert set(jobs) <= {"score", "score_base", "metrics", "figure", "neuron_analysis", "manifest", "all"} | {"chain_metrics"}
        assert jobs["score"] == 6 and jobs["score_base"] == 1  # every text set is scored again; nothing upstream of scoring runs
    finally:
        (study / "config.yaml").write_text(yaml.safe_dump(tiny))


def test_deleting_one_generation_reruns_only_what_depends_on_it(study):
    target = study / "results" / "tiny" / "chains" / "sotu-replace-s0" / "g1" / "generated.parquet"
    kept = target.read_bytes()
    target.unlink()
    try:
        outputs = planned_outputs(study)
        chain_outputs = [o for o in outputs if "/chains/" in o]
        assert chain_outputs and all("sotu-replace-s0" in o for o in chain_outputs)
        assert not any("/g0/" in o for o in chain_outputs if not o.endswith("neurons.npz"))  # the chain's neuron job re-reads g0
        assert not any(o.endswith("/model") for o in chain_outputs if "/g1/" in o)  # g1's model is intact
    finally:
        target.write_bytes(kept)
        subprocess.run(["touch", "-r", str(target.parent / "model"), str(target)])


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda c: c["chains"]["strategies"].append("nonsense"), "config key 'chains.strategies[2]': unknown strategy 'nonsense'"),
        (lambda c: c["datasets"]["sotu"].update(labels={"Whig": "left", "Tory": "right"}), "none of its labels"),
    ],
)
def test_bad_input_stops_with_a_clear_message(tmp_path, tiny, edit, message):
    bad = yaml.safe_load(yaml.safe_dump(tiny))
    edit(bad)
    result = snakemake(tmp_path, config=bad, check=False)
    assert result.returncode != 0
    assert message in result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def test_unknown_strategy_stops_before_any_job(tmp_path, tiny):
    bad = yaml.safe_load(yaml.safe_dump(tiny))
    bad["chains"]["strategies"] = ["replace", "nonsense"]
    snakemake(tmp_path, config=bad, check=False)
    assert not (tmp_path / "results").exists()


def test_generate_killed_after_its_output_exists_is_redone_on_rerun(study):
    """SIGKILL the generate job once its output file exists (the script writes it last, so this is the
    kill that could leave a complete-looking file): Snakemake must not keep it; --rerun-incomplete redoes it."""
    import signal
    import time

    target = study / "results" / "tiny" / "chains" / "sotu-accumulate-s0" / "g2" / "generated.parquet"
    kept = target.read_bytes()
    target.unlink()
    run = subprocess.Popen(
        [*SNAKEMAKE, str(target.relative_to(study)), "--directory", str(study), "--configfile", str(study / "config.yaml")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    pattern = f"{study}/.snakemake/scripts/.*generate.py"
    while run.poll() is None and not target.exists():
        time.sleep(0.002)
    job = subprocess.run(["pgrep", "-f", pattern], capture_output=True, text=True).stdout.split()
    assert job, "the generate job had already finished when its output appeared: nothing to kill"
    for pid in job:
        subprocess.run(["kill", f"-{signal.SIGKILL.value}", pid])
    assert run.wait() != 0
    assert not target.exists()  # a killed job's output never stays behind looking complete
    snakemake(study, str(target.relative_to(study)), "--rerun-incomplete")
    assert target.read_bytes() == kept


def test_manifest_and_job_timings_describe_the_run(study, tiny):
    results = study / "results" / "tiny"
    record = json.loads((results / "manifest.json").read_text())
    benchmarks = sorted((results / "benchmarks").rglob("*.tsv"))
    timings = pd.read_csv(results / "tables" / "job_timings.csv")
    assert record["study"] == "tiny" and record["seeds"] == tiny["seeds"]
    assert (
        record["config"]["generations"] == tiny["generations"] and record["config"]["chains"]["strategies"] == tiny["chains"]["strategies"]
    )
    assert record["jobs"] == len(timings) == len(benchmarks) > 0
    assert set(timings["rule"]) == {b.relative_to(results / "benchmarks").parts[0] for b in benchmarks}
    assert (timings["rule"] == "finetune").sum() == 6 and (timings["rule"] == "generate").sum() == 6  # 2 chains x 3 generations
    assert record["seconds_by_rule"]["finetune"] == pytest.approx(timings.loc[timings["rule"] == "finetune", "seconds"].sum(), abs=0.01)
