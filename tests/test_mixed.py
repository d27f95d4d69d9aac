"""Multi-domain (mixed) clusters end to end in the library: config, clusters, generation counts,
the pool, per-domain scoring, the metrics table and the regression on every domain's properties."""

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import ROOT

from synthloop.analysis.metrics import metrics_table
from synthloop.analysis.regression import coefficient_plot, mixed_predictors, regress_mixed
from synthloop.core.config import ConfigError
from synthloop.loop import pool as pools
from synthloop.loop.pool import domain_counts
from synthloop.scorers.registry import ALL_DOMAINS, score_by_domain
from synthloop.studies import validate
from synthloop.studies.text_loop import chains as tl
from synthloop.studies.text_loop.generate import sample_domains
from synthloop.studies.text_loop.mixed import build_mixed_clusters

PRESET = ROOT / "presets" / "kovac2025-domains-mini.yaml"


@pytest.fixture
def preset():
    return yaml.safe_load(PRESET.read_text())


# -- config ------------------------------------------------------------------------------------


def test_mixed_chains_expand_over_mixed_ids_with_their_domains(preset):
    chains = tl.chains(validate(preset))
    assert len(chains) == 8  # 8 mixed clusters x 1 ratio x 1 seed, no single-domain chains
    chain = chains["mixed-m000-pool-r0.5-s0"]
    assert (chain.dataset, chain.cluster, chain.domains, chain.datasets) == ("mixed", "m000", ("speech", "twitter"), ("speech", "twitter"))


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda c: c["chains"]["mixed"].update(domains=["speech", "news"]), "config key 'chains.mixed.domains[1]': 'news' is not defined"),
        (lambda c: c["chains"].pop("clusters"), "config key 'chains.mixed': needs chains.clusters"),
        (lambda c: c["chains"].pop("mixed"), "config key 'chains.dataset': empty"),
        (lambda c: c["datasets"].update(mixed=c["datasets"]["speech"]), "config key 'datasets.mixed': the name is reserved"),
        (lambda c: c["generate"].update(mode="blocks"), "config key 'generate.mode': mixed chains"),
        (lambda c: c["chains"]["mixed"].update(domains=["speech"]), "config key 'chains.mixed.domains'"),
    ],
)
def test_bad_mixed_config_names_the_key(preset, edit, message):
    edit(preset)
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        validate(preset)


# -- mixed clusters and generation counts -------------------------------------------------------


def cluster_frames(domain, ids, size=3):
    return {
        c: pd.DataFrame({"doc_id": [f"{c}-{i}" for i in range(size)], "text": [f"{domain} {c} text {i}" for i in range(size)]}) for c in ids
    }


def test_mixed_clusters_join_one_cluster_per_domain_and_record_which():
    clusters = {"speech": cluster_frames("speech", ["c000", "c001"]), "twitter": cluster_frames("twitter", ["c000", "c001", "c002"])}
    frames, components = build_mixed_clusters(
        clusters, ["m000", "m001", "m002"], seed=7, instructions={"speech": "Say it.", "twitter": "Tweet."}
    )
    again, _ = build_mixed_clusters(clusters, ["m000", "m001", "m002"], seed=7, instructions={"speech": "Say it.", "twitter": "Tweet."})
    assert list(components.columns) == ["cluster_id", "domain", "component"] and len(components) == 3 * 2
    assert sorted(components.loc[components["domain"] == "twitter", "component"]) == ["c000", "c001", "c002"]  # used evenly
    for mixed_id, frame in frames.items():
        pd.testing.assert_frame_equal(frame, again[mixed_id])  # seeded
        used = components[components["cluster_id"] == mixed_id].set_index("domain")["component"]
        for domain in ("speech", "twitter"):
            rows = frame[frame["domain"] == domain]
            assert rows["text"].str.startswith(f"{domain} {used[domain]} ").all() and len(rows) == 3
        assert set(frame.loc[frame["domain"] == "speech", "instruction"]) == {"Say it."}


@pytest.mark.parametrize("total, minimum, expected", [(10, 0, [4, 3, 3]), (9, 0, [3, 3, 3]), (16, 32, [32, 32, 32]), (2, 0, [1, 1, 0])])
def test_domain_counts_split_evenly_with_a_floor(total, minimum, expected):
    assert list(domain_counts(total, ["a", "b", "c"], minimum).values()) == expected


def test_first_generated_takes_each_domains_share():
    generated = pd.DataFrame({"doc_id": range(10), "text": list("abcdefghij"), "generation": 0, "domain": ["speech"] * 5 + ["twitter"] * 5})
    picked = pools.first_generated(generated, 5)
    assert list(picked["domain"]) == ["speech"] * 3 + ["twitter"] * 2 and list(picked["text"]) == list("abcfg")
    assert list(pools.first_generated(generated.drop(columns="domain"), 3)["text"]) == list("abc")  # one domain: a plain head
    rows = pools.synthetic_rows(picked)
    assert list(rows["domain"]) == list(picked["domain"])  # the pool keeps each text's domain for fine-tuning


def test_sample_domains_writes_each_domains_count_with_its_instruction(tiny_lm):
    from synthloop.lm.models import load_causal_lm

    model, tokenizer = load_causal_lm(str(tiny_lm))
    params = {"do_sample": True, "temperature": 1.0, "new_tokens": 6, "batch_size": 4}
    out = sample_domains(model.eval(), tokenizer, {"speech": "Speak.", "twitter": "Tweet."}, {"speech": 3, "twitter": 2}, params, 0, 1)
    assert list(out["domain"]) == ["speech"] * 3 + ["twitter"] * 2 and out["doc_id"].is_unique and (out["generation"] == 1).all()
    alone = sample_domains(model, tokenizer, {"twitter": "Tweet."}, {"twitter": 2}, params, 0, 1)
    assert list(alone["text"]) == list(out.loc[out["domain"] == "twitter", "text"])  # each domain seeded on its own


# -- scoring and the metrics table ----------------------------------------------------------------


def test_set_metrics_of_a_mixed_set_are_computed_within_each_domain(tmp_path):
    texts = pd.DataFrame(
        {
            "text": ["the cat sat", "the cat sat down", "stocks fell", "the dog ran", "bonds rose today", "cats sit"],
            "domain": ["speech", "speech", "twitter", "speech", "twitter", "twitter"],
        }
    )
    vectors = np.random.default_rng(0).normal(size=(len(texts), 8)).astype(np.float32)
    np.save(tmp_path / "e.npy", vectors)
    spec, groups = {"kind": "semantic_diversity", "k": 1}, {d: {"embeddings": str(tmp_path / "e.npy")} for d in ("speech", "twitter")}
    per_text, summary = score_by_domain(texts, spec, groups)
    assert list(per_text.index) == list(range(6)) and list(per_text["domain"]) == list(texts["domain"])
    for domain in ("speech", "twitter"):
        rows = np.flatnonzero(texts["domain"] == domain)
        np.save(tmp_path / f"{domain}.npy", vectors[rows])
        _, alone = score_by_domain(
            texts.iloc[rows].reset_index(drop=True), spec, {ALL_DOMAINS: {"embeddings": str(tmp_path / f"{domain}.npy")}}
        )
        mine = summary[summary["domain"] == domain].set_index("metric")["value"]
        assert mine.to_dict() == pytest.approx(alone.set_index("metric")["value"].to_dict())
    _, whole = score_by_domain(texts, {"kind": "self_bleu"}, {ALL_DOMAINS: {}})
    assert set(whole["domain"]) == {ALL_DOMAINS}


def test_metrics_table_keeps_domains_apart_and_reads_old_summaries():
    def summary(values, domains=None):
        frame = pd.DataFrame({"metric": "m", "value": values, "ci_low": np.nan, "ci_high": np.nan, "n": 1, "missing": 0})
        return frame if domains is None else frame.assign(domain=domains)

    keys = {"dataset": "mixed", "cluster": "m000", "strategy": "pool", "ratio": 0.5, "seed": 0, "scorer": "s"}
    table = metrics_table(
        [
            ({**keys, "chain": "x", "generation": 0}, summary([2.0, 4.0], ["speech", "twitter"])),
            ({**keys, "chain": "x", "generation": 1}, summary([3.0, 2.0], ["speech", "twitter"])),
            ({**keys, "chain": "y", "generation": 0}, summary([5.0])),
        ]
    )
    assert table.set_index(["chain", "generation", "domain"])["relative"].to_dict() == {
        ("x", 0, "speech"): 1.0,
        ("x", 0, "twitter"): 1.0,
        ("x", 1, "speech"): 1.5,
        ("x", 1, "twitter"): 0.5,
        ("y", 0, ALL_DOMAINS): 1.0,
    }


# -- the regression -----------------------------------------------------------------------------


def test_mixed_predictors_are_every_components_properties_prefixed_by_domain():
    components = pd.DataFrame(
        {"cluster_id": ["m000", "m000", "m001", "m001"], "domain": ["speech", "twitter"] * 2, "component": ["c001", "c000", "c000", "c001"]}
    )
    properties = pd.DataFrame(
        {
            "dataset": ["speech", "speech", "twitter", "twitter"],
            "cluster_id": ["c000", "c001"] * 2,
            "positivity": [0.1, 0.2, 0.3, 0.4],
            "self_bleu": [1.0, 2.0, 3.0, 4.0],
        }
    )
    table = mixed_predictors(components, properties, ["positivity", "self_bleu"])
    assert list(table.columns) == ["cluster_id", "speech:positivity", "speech:self_bleu", "twitter:positivity", "twitter:self_bleu"]
    assert table.set_index("cluster_id").loc["m000"].tolist() == [0.2, 2.0, 0.3, 3.0]
    with pytest.raises(ValueError, match=r"no properties for component cluster\(s\) \[\('twitter', 'c009'\)\]"):
        mixed_predictors(components.replace({"component": {"c000": "c009"}}).iloc[1:2], properties, ["positivity"])


def test_regress_mixed_recovers_a_cross_domain_effect_per_response_domain(tmp_path):
    rng = np.random.default_rng(0)
    n = 60
    x = rng.normal(size=(n, 2))
    rows = []
    for domain, effect in (("speech", (0.0, 0.8)), ("twitter", (0.5, 0.0))):  # speech's shift depends on twitter's cluster
        shift = 1 + x @ np.array(effect) + rng.normal(scale=0.1, size=n)
        rows.append(
            pd.DataFrame(
                {
                    "cluster_id": range(n),
                    "ratio": [0.5, 1.0] * (n // 2),
                    "domain": domain,
                    "r:m": shift,
                    "speech:p": x[:, 0],
                    "twitter:p": x[:, 1],
                }
            )
        )
    results = regress_mixed(pd.concat(rows), ["r:m"], ["speech:p", "twitter:p"])
    pooled = results[results["scope"].str.endswith("pooled")].set_index(["domain", "term"])
    assert set(results["scope"]) == {f"domain={d}, {s}" for d in ("speech", "twitter") for s in ("pooled", "ratio=0.5", "ratio=1.0")}
    assert pooled.loc[("speech", "twitter:p"), "p"] < 0.001 and pooled.loc[("speech", "speech:p"), "p"] > 0.01
    assert pooled.loc[("twitter", "speech:p"), "p"] < 0.001
    assert {"coef", "se", "p", "r2", "vif"} <= set(results.columns)
    coefficient_plot(pooled.reset_index(), tmp_path / "f.png", panel="domain", row="response")
    assert (tmp_path / "f.png").stat().st_size > 1000


# -- the workflow -------------------------------------------------------------------------------


def test_domains_preset_plans_mixed_chains_only(tmp_path, preset):
    from test_workflow import planned_jobs

    jobs = planned_jobs(tmp_path, preset)
    chain_generations = 8 * 1 * 3  # mixed clusters x ratios x generations
    assert jobs["compose_training_set"] == jobs["finetune"] == jobs["generate"] == jobs["score"] == chain_generations
    assert jobs["clusters"] == jobs["prepare_dataset"] == jobs["train_quality_classifier"] == 2  # one per domain
    assert jobs["mixed_clusters"] == jobs["regress_mixed"] == jobs["metrics"] == 1
    assert jobs["regress"] == jobs["neuron_values"] == 0  # no single-domain cluster chains; no neuron analysis
    assert jobs["chain_metrics"] == 8  # one metrics table per chain
    assert jobs.get("generate_base", 0) == jobs.get("score_base", 0) == 0  # instruction mode scores no base row by default
    assert sum(jobs.values()) == 122


def test_an_infinite_shift_is_left_out_not_fatal():
    rng = np.random.default_rng(1)
    data = pd.DataFrame({"cluster_id": range(20), "ratio": 1.0, "domain": "twitter", "speech:p": rng.normal(size=20)})
    data["r:m"] = 1 + data["speech:p"]
    data.loc[0, "r:m"] = np.inf  # positivity 0 at generation 0
    assert regress_mixed(data, ["r:m"], ["speech:p"])["n"].eq(19).all()
