"""Branching a chain (chains.branches): a branch shares its parent's files before generation k and follows
its own strategy from k on. Plan-level checks, validation, the figure, and a real tiny run."""

import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import ROOT, TINY_CONFIG, study_path, validation_error

from synthloop.analysis import metrics as metrics_module
from synthloop.analysis.metrics import line_labels, plot_scorer
from synthloop.analysis.summary import headline
from synthloop.core import figures
from synthloop.studies import validate
from synthloop.studies.text_loop.plan import Plan

PARENT, BRANCH = "sotu-replace-s0", "sotu-replace-g2-accumulate-s0"


def branched(generations: int = 4, at: int = 2) -> dict:
    config = yaml.safe_load(TINY_CONFIG.read_text())
    config.update(generations=generations)
    config["chains"].update(strategies=["replace"], branches=[{"from": "replace", "at": at, "strategy": "accumulate"}])
    return config


path = study_path("text_loop", "tiny")


@pytest.fixture(scope="module")
def plan():
    return Plan(validate(branched()), path, "results/tiny")


def test_the_branch_is_a_chain_with_its_own_strategy(plan):
    assert set(plan.chains) == {PARENT, BRANCH}
    branch = plan.chains[BRANCH]
    assert (branch.parent, branch.branch_at, branch.parent_id) == ("replace", 2, PARENT)
    assert plan.strategy(BRANCH)["compose"] == "accumulate" and plan.strategy(PARENT)["compose"] == "replace"
    assert branch.keys()["branch_from"] == "replace" and "branch_from" not in plan.chains[PARENT].keys()


def test_generations_before_k_are_the_parents_files(plan):
    for g in (0, 1):
        assert plan.owner(BRANCH, g) == PARENT
        assert plan.file("generated", BRANCH, g) == path("generated", chain=PARENT, gen=g)
    assert plan.prompts(BRANCH) == path("train", chain=PARENT, gen=0)
    # generation k reads the parent's k-1: its pool, what it wrote, and its model
    inputs = plan.compose_inputs(BRANCH, 2)
    assert inputs["previous_pool"] == path("pool", chain=PARENT, gen=1)
    assert inputs["previous_generated"] == path("generated", chain=PARENT, gen=1)
    assert plan.finetune_inputs(BRANCH, 2)["init"] == [path("model", chain=PARENT, gen=1)]
    assert plan.finetune_inputs(BRANCH, 2)["train"] == path("train", chain=BRANCH, gen=2)
    # scores before k are the parent's files under the branch's keys; no target names a branch file before k
    scores = {(e["chain"], e["generation"]): e["path"] for e in plan.score_entries() if e["scorer"] == "quality"}
    assert scores[(BRANCH, 1)] == scores[(PARENT, 1)] and scores[(BRANCH, 2)] != scores[(PARENT, 2)]
    targets = "\n".join(plan.targets())
    assert f"chains/{BRANCH}/g0/" not in targets and f"chains/{BRANCH}/g1/" not in targets and f"chains/{BRANCH}/g2/" in targets


def test_after_k_the_branch_follows_itself(plan):
    inputs = plan.compose_inputs(BRANCH, 3)
    assert inputs["previous_pool"] == path("pool", chain=BRANCH, gen=2)
    assert plan.finetune_inputs(BRANCH, 3)["init"] == [path("model", chain=BRANCH, gen=2)]
    assert plan.generated_texts().count(path("generated", chain=BRANCH, gen=3)) == 1
    assert all(v["chain"] != BRANCH for v in plan.neuron_versions())  # its shared versions are not counted twice


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda c: c["chains"]["branches"][0].update(at=0), "chains.branches[0].at"),
        (lambda c: c["chains"]["branches"][0].update(at=4), "allowed: 1 .. 3"),
        (lambda c: c["chains"]["branches"][0].update({"from": "accumulate"}), "chains.branches[0].from"),
        (lambda c: c["chains"]["branches"][0].update(strategy="nope"), "chains.branches[0].strategy"),
        (lambda c: c["chains"]["branches"][0].update(strategy="replace"), "keeps its parent's strategy"),
        (lambda c: c["chains"]["branches"][0].update(extra=1), "extra"),
    ],
)
def test_bad_branches_are_named(edit, message):
    assert message in validation_error(branched(), edit)


def test_pool_and_non_pool_strategies_do_not_mix():
    def edit(config):
        config["strategies"]["pooled"] = {"compose": "pool", "pool": {"n0": 8, "n": 8}}
        config["chains"]["branches"][0]["strategy"] = "pooled"

    assert "both be pool strategies or neither" in validation_error(branched(), edit)


def _metrics() -> pd.DataFrame:
    """Parent quality 3, 2, 1, 0 over g0..g3; the branch shares g0, g1 and then stays at 2."""
    rows = []
    for g, v in enumerate([3.0, 2.0, 1.0, 0.0]):
        rows.append(
            {
                "chain": PARENT,
                "strategy": "replace",
                "ratio": np.nan,
                "seed": 0,
                "generation": g,
                "scorer": "quality",
                "domain": "all",
                "metric": "quality_index",
                "value": v,
                "ci_low": v - 0.1,
                "ci_high": v + 0.1,
            }
        )
    for g, v in enumerate([3.0, 2.0, 2.0, 2.0]):
        rows.append(
            {
                "chain": BRANCH,
                "strategy": "accumulate",
                "ratio": np.nan,
                "seed": 0,
                "generation": g,
                "scorer": "quality",
                "domain": "all",
                "metric": "quality_index",
                "value": v,
                "ci_low": v - 0.1,
                "ci_high": v + 0.1,
                "branch_from": "replace",
                "branch_at": 2,
            }
        )
    return pd.DataFrame(rows)


def test_the_figure_starts_a_branch_at_its_branch_point(tmp_path, monkeypatch):
    seen = {}
    monkeypatch.setattr(figures, "save", lambda fig, path: seen.update(fig=fig))
    plot_scorer(_metrics(), "quality", tmp_path / "q.png")
    ax = seen["fig"].axes[0]
    lines = {line.get_label(): line for line in ax.get_lines() if not line.get_label().startswith("_")}
    assert set(lines) == {"replace", "replace→accumulate@g2"}
    assert list(lines["replace→accumulate@g2"].get_xdata()) == [1, 2, 3]  # from g1, the last shared generation
    assert list(lines["replace"].get_xdata()) == [0, 1, 2, 3]
    assert metrics_module.from_branch_points(_metrics())["generation"].tolist() == [0, 1, 2, 3, 1, 2, 3]
    assert line_labels(_metrics()).iloc[-1] == "replace→accumulate@g2"
    heads = headline(_metrics()).set_index("line")
    assert heads.loc["replace→accumulate@g2", ["first_generation", "first", "last"]].tolist() == [1, 2.0, 2.0]


# -- a real tiny run: the branch's shared generations are never made again ---------------------------


@pytest.mark.workflow
@pytest.mark.slow
def test_a_real_branch_reuses_the_parents_files(tmp_path):
    config = branched(generations=3, at=2)
    config["neurons"] = {"enabled": False}
    config["theory"] = {"toys": []}
    configfile = tmp_path / "config.yaml"
    configfile.write_text(yaml.safe_dump(config))
    results = tmp_path / "results" / "tiny" / "chains"
    targets = [f"results/tiny/chains/{BRANCH}/g2/generated.parquet"]  # relative to --directory
    command = [sys.executable, "-m", "snakemake", "--snakefile", str(ROOT / "Snakefile"), "--cores", "2", "--directory", str(tmp_path)]
    options = ["--configfile", str(configfile)]  # last: --configfile takes every path after it
    run = subprocess.run([*command, *targets, *options], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-4000:]
    ran = re.findall(r"^\s+wildcards: (.*chain=[^,\n]+.*gen=\d+)", run.stderr + run.stdout, flags=re.M)
    jobs = {(m.group(1), int(m.group(2))) for w in ran if (m := re.search(r"chain=([^,]+), gen=(\d+)", w))}
    assert jobs == {(PARENT, 0), (PARENT, 1), (BRANCH, 2)}  # compose/fine-tune/generate never ran for the branch before k
    assert not (results / BRANCH / "g0").exists() and not (results / BRANCH / "g1").exists()
    # generation k follows accumulate: the parent's g1 training set plus what g1 wrote (replace would keep only the latter)
    parent_train = pd.read_parquet(results / PARENT / "g1" / "train.parquet")
    parent_generated = pd.read_parquet(results / PARENT / "g1" / "generated.parquet")
    branch_train = pd.read_parquet(results / BRANCH / "g2" / "train.parquet")
    assert len(branch_train) == len(parent_train) + len(parent_generated)
    assert sorted(branch_train["text"]) == sorted([*parent_train["text"], *parent_generated["text"]])
    assert set(branch_train["source_generation"]) == {0, 1}
    # and a dry run of the same target after the run has nothing to do
    again = subprocess.run([*command, "--dry-run", *targets, *options], capture_output=True, text=True)
    assert "Nothing to be done" in again.stdout + again.stderr, again.stdout[-2000:]


def test_branches_are_refused_where_tables_would_merge_them():
    def clusters(config):
        config["chains"]["clusters"] = {"n": 2, "min_size": 4}

    assert "not supported with chains.clusters" in validation_error(branched(), clusters)
