"""Positive controls of studies 1 and 2 (synthloop.studies.text_loop.controls): an effect planted with a known size
must be recovered within the study's own interval, and a broken link of the measurement chain (labels swapped,
the classifier's error rates ignored, the wrong cluster joined, the ratio ignored) must turn a verdict to missed."""

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import ROOT, TINY_CONFIG, jobs_in, run_snakemake, study_path, validation_error

from synthloop.analysis import regression as rg
from synthloop.estimate.jobs import counts
from synthloop.scorers.classifiers import evaluate_lean, lean_columns, train_lean
from synthloop.studies import validate
from synthloop.studies.text_loop import controls
from synthloop.studies.text_loop.clusters import PROPERTIES
from synthloop.studies.text_loop.plan import Plan

SEEDS = [0, 1, 2, 3]
DRIFT = [0.2, 0.5, 0.8]  # planted right share per generation: g1's 0.5 is blind to a label swap, g0's and g2's are not
WORDS = {"right": ["tax", "border", "freedom", "market"], "left": ["union", "climate", "care", "equal"]}


def documents(n: int, seed: int) -> pd.DataFrame:
    """Labelled texts whose words lean to their label 7 times in 10: a lean classifier with TPR, FPR away from 1, 0."""
    rng = np.random.default_rng(seed)
    labels = rng.choice(["left", "right"], n)
    texts = []
    for label in labels:
        other = "left" if label == "right" else "right"
        texts.append(" ".join(rng.choice(WORDS[label] if rng.random() < 0.7 else WORDS[other]) for _ in range(3)) + " speech")
    return pd.DataFrame({"doc_id": [f"d{seed}-{i}" for i in range(n)], "text": texts, "label": labels})


@pytest.fixture(scope="module")
def lean_run():
    """Study 1's chain of links on the planted texts: held-out rates, the classifier, control generations, metrics rows."""
    heldout, prompts = documents(600, 1), documents(200, 2)
    table = evaluate_lean(heldout["text"], heldout["label"], None, seed=0)
    model = train_lean(heldout["text"], heldout["label"], seed=0)
    rows = []
    for seed in SEEDS:
        for gen in range(len(DRIFT)):
            texts = controls.control_documents(prompts, controls.planted_share({"right_share": DRIFT}, gen), seed, gen)
            shares = lean_columns(model.predict_proba(texts["text"]), model.classes_)
            rows.append(
                {
                    "strategy": "replace",
                    "seed": seed,
                    "generation": gen,
                    "scorer": "lean",
                    "metric": "share_right",
                    "value": shares["share_right"].mean(),
                }
            )
    return pd.DataFrame(rows), controls.classifier_rates(table), prompts


def lean_table(metrics, rates, control=None):
    return controls.lean_control_table(metrics, control or {"right_share": DRIFT}, list(range(len(DRIFT))), {"lean": rates})


def test_control_documents_carry_the_planted_share(lean_run):
    _, _, prompts = lean_run
    texts = controls.control_documents(prompts, 0.7, seed=5, generation=1)
    assert len(texts) == len(prompts) and (texts["planted_label"] == "right").mean() == pytest.approx(0.7)
    assert texts.equals(controls.control_documents(prompts, 0.7, seed=5, generation=1))  # seeded
    assert not texts["text"].equals(controls.control_documents(prompts, 0.7, seed=6, generation=1)["text"])


def test_lean_control_recovers_the_planted_shares_and_drift(lean_run):
    metrics, rates, _ = lean_run
    table = lean_table(metrics, rates)
    assert rates[0] - rates[1] < 0.8  # the correction matters: the measured share is not the planted one
    assert list(table["verdict"]) == ["recovered"] * 4, table.to_string()
    assert table["planted"].tolist() == pytest.approx([0.2, 0.5, 0.8, 0.6])
    assert table["measured"].iloc[:3].to_numpy() == pytest.approx(table["expected"].iloc[:3].to_numpy(), abs=0.05)


@pytest.mark.parametrize("break_", ["labels swapped", "rates ignored", "generations swapped"])
def test_lean_control_fails_on_a_broken_link(lean_run, break_):
    metrics, rates, _ = lean_run
    if break_ == "labels swapped":  # the scorer's right is the documents' left
        metrics = metrics.assign(value=1 - metrics["value"])
    elif break_ == "rates ignored":  # measured share read as the true one
        rates = (1.0, 0.0, *rates[2:])
    else:  # each generation's share compared with another generation's plant
        metrics = metrics.assign(generation=metrics["generation"].map({0: 2, 1: 1, 2: 0}))
    assert "missed" in set(lean_table(metrics, rates)["verdict"])


CLUSTER_CONTROL = {"property": "positivity", "slope": -0.1, "noise": 0.02, "seed": 0}
RATIOS = [0.5, 1.0]


@pytest.fixture(scope="module")
def cluster_properties():
    rng = np.random.default_rng(0)
    return pd.DataFrame({"dataset": "sotu", "cluster_id": [f"c{i:02d}" for i in range(14)], **{p: rng.normal(size=14) for p in PROPERTIES}})


REGRESSION = {"last_k": 2, "seed_rows": "mean", "responses": [], "predictors": None, "control": CLUSTER_CONTROL}


def test_cluster_control_recovers_sign_and_size_per_ratio(cluster_properties):
    table = controls.cluster_control(cluster_properties, REGRESSION, RATIOS, SEEDS[:3], [0, 1, 2])
    assert table["planted"].tolist() == pytest.approx([-0.05, -0.1])
    assert list(table["verdict"]) == ["recovered", "recovered"], table.to_string()
    assert (table["high"] < 0).all()  # the sign too: each interval lies below 0


@pytest.mark.parametrize("break_", ["wrong cluster joined", "ratio ignored"])
def test_cluster_control_fails_on_a_broken_link(cluster_properties, break_):
    metrics = controls.planted_cluster_metrics(cluster_properties, CLUSTER_CONTROL, RATIOS, SEEDS[:3], [0, 1, 2])
    properties = cluster_properties
    if break_ == "wrong cluster joined":  # each chain read next to another cluster's properties
        properties = properties.assign(cluster_id=np.roll(properties["cluster_id"].to_numpy(), 1))
    else:  # every ratio's chains in one scope
        metrics = metrics.assign(ratio=1.0)
    settings = {**REGRESSION, "responses": [{"scorer": "control", "metric": "planted"}]}
    results = rg.regress_clusters(metrics, properties, settings, list(PROPERTIES))
    assert "missed" in set(controls.cluster_control_table(results, CLUSTER_CONTROL, RATIOS)["verdict"])


@pytest.fixture(scope="module")
def tiny():
    return yaml.safe_load(TINY_CONFIG.read_text())


@pytest.mark.parametrize(
    ("edit", "key"),
    [
        (lambda c: c["generate"].update(backend="control", control={"right_share": 1.5}), "generate.control.right_share"),
        (lambda c: c["generate"].update(backend="control", control={"right_share": 0.5}), "chains.score_base"),
        (lambda c: c["generate"].update(backend="control", control={"right_share": [0.2, 0.5]}), "generate.control.right_share"),
        (lambda c: c["generate"].update(backend="control"), "generate.control"),
        (lambda c: c["generate"].update(control={"right_share": 0.5}), "generate.backend"),
        (lambda c: c.update(regression={"control": {"property": "positivity", "slope": 0.1}}), "regression.control"),
    ],
)
def test_bad_control_settings_name_their_key(tiny, edit, key):
    assert key in validation_error(tiny, edit)


def test_control_tables_are_targets_of_a_control_study(tiny, tmp_path):
    """A dry run: the lean control joins the workflow with each trained lean measure's own table as input (the n-gram
    classifier's and the embedding regression's, trained by its own rule), and the estimate counts the same jobs."""
    config = {**tiny, "generate": {**tiny["generate"], "backend": "control", "control": {"right_share": [0.2, 0.5, 0.8]}}}
    config["chains"] = {**tiny["chains"], "score_base": False}
    config["scorers"] = {**tiny["scorers"], "lean_meaning": {"kind": "lean_embedding", "embedder": "minilm"}}
    config["embedders"] = {"minilm": {"model": "minilm", "batch_size": 64, "max_seq_length": 128}}
    result = run_snakemake(tmp_path, config, "-n", "--quiet", "rules")
    assert "lean_control" in result.stdout, result.stdout[-2000:]
    stats = result.stdout.split("Job stats:")[-1]
    planned = {m.group(1): int(m.group(2)) for m in re.finditer(r"^(\w+)\s+(\d+)$", stats, flags=re.M) if m.group(1) != "total"}
    assert planned["train_lean_embedding"] == planned["train_lean_classifier"] == 1
    assert counts(validate(config)) == planned
    plan = Plan(validate(config), study_path("text_loop", "tiny"), "results/tiny")
    assert plan.lean_control_scorers() == ["lean", "lean_meaning"]
    assert [Path(t).name for t in plan.lean_control_tables()] == ["lean_classifier_sotu.csv", "lean_embedding_sotu.minilm.csv"]
    chain = next(iter(plan.chains))
    assert plan.control_labels(chain) == plan.real_docs(chain)  # the generate job reads the labels its prompts lack
    assert (ROOT / "rules" / "text_loop" / "controls.smk").exists()
    assert "cluster_control" not in jobs_in(result.stdout)
