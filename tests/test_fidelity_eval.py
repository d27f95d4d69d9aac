"""Every generation is scored on exactly eval_size texts (Kovač et al. §3.3: 250),
drawn reproducibly, whatever n·r the pool needed."""

import pandas as pd
from conftest import ROOT, study_path

from synthloop.core.config import read_yaml
from synthloop.scorers.text_metrics import evaluation_sample
from synthloop.studies import validate
from synthloop.studies.text_loop.plan import Plan


def test_sample_has_exactly_size_texts_and_is_reproducible():
    texts = pd.DataFrame({"doc_id": [str(i) for i in range(3000)], "text": [f"t{i}" for i in range(3000)]})
    first, again, other = evaluation_sample(texts, 250, 7), evaluation_sample(texts, 250, 7), evaluation_sample(texts, 250, 8)
    assert len(first) == 250 and first["doc_id"].is_unique
    assert first["doc_id"].tolist() == again["doc_id"].tolist() != other["doc_id"].tolist()
    assert set(first["doc_id"]) <= set(texts["doc_id"])
    assert len(evaluation_sample(texts.head(100), 250, 7)) == 100 and len(evaluation_sample(texts, None, 7)) == 3000


def test_mixed_sets_sample_each_domain():
    texts = pd.DataFrame({"doc_id": [str(i) for i in range(900)], "text": "x", "domain": ["a"] * 600 + ["b"] * 300})
    assert evaluation_sample(texts, 250, 0)["domain"].value_counts().to_dict() == {"a": 250, "b": 250}


def test_plan_scores_eval_size_however_many_texts_the_pool_needs():
    config = read_yaml(ROOT / "presets" / "kovac2025-recursive-loops.yaml")
    config["trust_remote_code"] = True  # the preset's stella embedder asks for it; validation refuses it otherwise
    config = validate(config)
    plan = Plan(config, study_path("text_loop", "x"), "results/x")
    by_ratio = {}
    for chain_id, chain in plan.chains.items():
        by_ratio.setdefault(chain.ratio, chain_id)
    # r = 1 writes 4,000 texts for the pool, r = 1/16 writes 250: both are scored on 250
    assert plan.generation_count(by_ratio[1.0]) == 4000 and plan.generation_count(by_ratio[0.0625]) == 250
    assert {plan.eval_sample(c, 3)["size"] for c in by_ratio.values()} == {250}
    assert plan.eval_sample(by_ratio[1.0], 3) == plan.eval_sample(by_ratio[1.0], 3) != plan.eval_sample(by_ratio[1.0], 4)
