"""Slices: the full study-2 design as 18 workflows of 1,000 chains each, then the study-wide analyses.

Unit tests on the full preset (which chains a slice holds, what it targets, bad slices named); one real
run of a tiny study in two slices and the analysis step, checked against what each step made.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml
from conftest import ROOT, TINY_CONFIG, study_path

from synthloop.core.config import ConfigError
from synthloop.studies import validate
from synthloop.studies.text_loop import slices
from synthloop.studies.text_loop.plan import Plan

PRESET = ROOT / "presets" / "kovac2025-recursive-loops.yaml"


def preset(**changes) -> dict:
    config = yaml.safe_load(PRESET.read_text())
    config.update(changes)
    return validate(config)


def plan(config: dict) -> Plan:
    return Plan(config, study_path("text_loop", "x"), "results/x")


def test_the_full_preset_splits_into_18_disjoint_slices_of_1000_chains():
    config = preset()
    every = set(plan(config).chains)
    assert len(every) == 3 * 200 * 6 * 5
    found = slices.slices(config)
    assert [(s["dataset"], s["ratio"]) for s, _ in found] == [
        (d, r) for d in ("twitter", "news", "reviews") for r in config["chains"]["ratios"]
    ]
    union = set()
    for selection, count in found:
        chains = set(plan(preset(slice=selection)).chains)
        # independently of in_slice: a chain id reads <dataset>-<cluster>-pool-r<ratio>-s<seed>
        assert chains == {c for c in every if c.startswith(f"{selection['dataset']}-") and f"-r{selection['ratio']:g}-" in c}
        assert count == len(chains) == 1000 and not chains & union
        union |= chains
    assert union == every


def test_a_slice_targets_its_chains_texts_and_metrics_tables_only():
    selection = {"dataset": "news", "ratio": 0.125, "seed": 3}
    sliced = plan(preset(slice=selection))
    assert len(sliced.chains) == 200 and all(c.seed == 3 and c.ratio == 0.125 and c.dataset == "news" for c in sliced.chains.values())
    targets = sliced.targets()
    assert len(targets) == 200 * 20 + 200  # generated texts per chain and generation + one metrics table per chain
    path = study_path("text_loop", "x")
    assert sorted(t for t in targets if t.endswith("/metrics.parquet")) == sorted(path("chain_metrics", chain=c) for c in sliced.chains)
    assert not [t for t in targets if not t.endswith(("/generated.parquet", "/metrics.parquet"))]
    # a chain's metrics table reads every score of that chain (6 scorers x 20 generations) and no other chain's
    chain = next(iter(sliced.chains))
    entries = sliced.chain_score_entries(chain)
    assert len(entries) == 6 * 20 and {e["chain"] for e in entries} == {chain}
    assert [e for e in sliced.score_entries() if e["chain"] == chain] == entries
    assert path("metrics") in plan(preset()).targets() and path("metrics") not in targets
    assert sliced.datasets() == ["news"]  # only its dataset is prepared and clustered


@pytest.mark.parametrize(
    ("selection", "message"),
    [
        ({"dataset": "reddit"}, "config key 'slice.dataset': 'reddit' selects no chain; allowed: ['news', 'reviews', 'twitter']"),
        ({"ratio": 0.3}, "config key 'slice.ratio': 0.3 selects no chain; allowed: [0.0625, 0.125, 0.25, 0.5, 0.75, 1.0]"),
        ({"seed": 9}, "config key 'slice.seed': 9 selects no chain; allowed: [0, 1, 2, 3, 4]"),
    ],
)
def test_a_slice_that_selects_nothing_is_refused_naming_the_key(selection, message):
    with pytest.raises(ConfigError) as error:
        preset(slice=selection)
    assert str(error.value) == message


def test_unknown_slice_keys_are_refused_by_the_schema():
    with pytest.raises(ConfigError, match="slice"):
        preset(slice={"cluster": "c001"})


def test_list_prints_every_slice_with_its_job_count():
    out = subprocess.run(
        [sys.executable, "-m", "synthloop.studies.text_loop.slices", "list", str(PRESET)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    ).stdout.splitlines()
    assert out[0] == "kovac2025-recursive-loops: 18000 chains x 20 generations in 18 slices by dataset, ratio"
    assert out[1].split()[:5] == ["twitter-r0.0625", "1000", "chains", "81000", "chain"]  # 4 per generation + its metrics table
    assert len(out) == 19 and sum(int(line.split()[1]) for line in out[1:]) == 18000


def count_runs(workdir: Path, rule: str) -> int:
    return len(list((workdir / "results" / "tiny-sliced" / "benchmarks" / rule).rglob("*.tsv")))


@pytest.mark.workflow
@pytest.mark.slow
def test_slices_then_analysis_run_the_study_once(tmp_path):
    """Two slices by seed (one chain each), then --analysis: each step makes only its own jobs, and the
    analysis reads both slices' scores without re-running or planning any chain job."""
    config = yaml.safe_load(TINY_CONFIG.read_text())
    config.update(
        study="tiny-sliced",
        seeds=[0, 1],
        generations=1,
        scorers={"length": {"kind": "text_length"}},
        neurons={"enabled": False},
        theory={"toys": []},
    )
    config["chains"]["strategies"] = ["replace"]
    configfile = tmp_path / "study.yaml"
    configfile.write_text(yaml.safe_dump(config))
    workdir = tmp_path / "run"
    command = [
        sys.executable,
        "-m",
        "synthloop.studies.text_loop.slices",
        "run",
        str(configfile),
        "--by",
        "seed",
        "--dir",
        str(tmp_path / "slices"),
    ]
    snakemake = ["--", "--cores", "2", "--directory", str(workdir)]

    def run(*args):
        result = subprocess.run([*command, *args, *snakemake], capture_output=True, text=True, cwd=ROOT, timeout=900)
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        return result

    run("--slice", "s0")
    chains = workdir / "results" / "tiny-sliced" / "chains"
    assert sorted(p.name for p in chains.iterdir()) == ["sotu-replace-s0"]
    assert count_runs(workdir, "generate") == 1 and count_runs(workdir, "metrics") == 0
    run()  # every slice: s0 is done, so only s1's jobs run
    assert sorted(p.name for p in chains.iterdir()) == ["sotu-replace-s0", "sotu-replace-s1"]
    assert count_runs(workdir, "generate") == 2 and count_runs(workdir, "finetune") == 2 and count_runs(workdir, "train_base_model") == 1
    result = run("--analysis")
    assert count_runs(workdir, "generate") == 2 and count_runs(workdir, "score") == 2  # nothing of a chain ran again
    assert count_runs(workdir, "chain_metrics") == 2 and count_runs(workdir, "metrics") == 1  # made by the slices, read by the analysis
    metrics = pd.read_parquet(workdir / "results" / "tiny-sliced" / "metrics.parquet")
    metrics = metrics[metrics["generation"] >= 0]  # (generation -1 is the base model's row where it is scored)
    assert sorted(set(zip(metrics["seed"], metrics["generation"]))) == [(0, 0), (1, 0)]
    planned = result.stdout + result.stderr
    assert "rule metrics:" in planned and not [r for r in slices.CHAIN_RULES if f"rule {r}:" in planned]  # chain jobs not even planned
