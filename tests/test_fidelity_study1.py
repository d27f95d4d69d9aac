"""Study 1 (Wang et al.) as published: the full preset's generations and setups, the center-only setup, the neuron
analysis and the base model's row; the default says where it is not the paper."""

import yaml
from conftest import ROOT, study_path

from synthloop.core.config import read_yaml
from synthloop.studies import validate
from synthloop.studies.text_loop.plan import Plan

path = study_path("text_loop", "s")


def test_full_preset_has_eleven_generations_per_setup(tmp_path):
    config = read_yaml(ROOT / "presets" / "wang2024-bias-amplification.yaml")
    articles = tmp_path / "articles.csv"
    articles.write_text("title,body,label\n" + "".join(f"t{i},body {i},{lab}\n" for i, lab in enumerate(["Left", "Center", "Right"] * 600)))
    config["datasets"]["articles"]["path"] = str(articles)  # the published articles are not redistributed
    plan = Plan(validate(config), path, "results/s")
    assert plan.generations == list(range(11))  # G0 .. G10 (Wang et al.: 11 models per setup)


def test_default_does_not_call_its_block_sizes_published():
    text = (ROOT / "config.yaml").read_text()
    generate = yaml.safe_load(text)["generate"]
    comment = text[text.index("\ngenerate:") : text.index("block_tokens")]
    if (generate["block_tokens"], generate["new_tokens"]) != (64, 64):
        assert "as published" not in comment and "64" in comment and "EOS" in comment and "space" in comment


def test_neuron_correlations_in_levels_pool_every_version():
    import numpy as np
    from scipy import stats

    from synthloop.studies.text_loop import neurons

    rng = np.random.default_rng(0)
    y = [rng.normal(size=11) for _ in range(6)]  # 6 setups x 11 generations = 66 versions
    x = [rng.normal(size=(11, 1, 5)) for _ in range(6)]
    got = neurons.pearson_levels_by_neuron(y, x)["r_level"].to_numpy()
    pooled_y, pooled_x = np.concatenate(y), np.concatenate([a.reshape(11, -1) for a in x])
    expected = [stats.pearsonr(pooled_x[:, j], pooled_y).statistic for j in range(5)]
    np.testing.assert_allclose(got, expected)
    assert len(pooled_y) == 66


# -- the center-only setup, in the same study ---------------------------------------------------------------------


def full_preset(tmp_path, center=2000):
    """The full preset on a stand-in articles file: 600 left, 600 right and `center` center articles."""
    config = read_yaml(ROOT / "presets" / "wang2024-bias-amplification.yaml")
    labels = ["Left", "Right"] * 600 + ["Center"] * center
    articles = tmp_path / "articles.csv"
    articles.write_text("title,body,label\n" + "".join(f"t{i},body {i},{lab}\n" for i, lab in enumerate(labels)))
    config["datasets"]["articles"]["path"] = str(articles)  # the published articles are not redistributed
    return validate(config), articles


def test_full_preset_runs_all_six_setups_in_one_study(tmp_path):
    config, _ = full_preset(tmp_path)
    plan = Plan(config, path, "results/s")
    setups = sorted((c.dataset, c.strategy) for c in plan.chains.values())
    assert setups == sorted(
        [("articles", s) for s in ("replace", "preserve", "accumulate", "overfit")] + [("center", "replace"), ("center", "preserve")]
    )  # Wang et al.: 4 main + 2 alternative setups
    assert plan.real_docs("center-replace-s0") == path("finetune_docs", dataset="center")  # the center chains start from their own set
    assert plan.scorer_assets({"kind": "lean_classifier"}, "center") == {
        "lean_model": path("lean_model", dataset="articles")
    }  # the source's scorers


def test_center_only_generation0_trains_on_every_center_article(tmp_path):
    """1,518 center articles drawn from all of the file's center articles, not the 506 of the balanced set."""
    from synthloop.data.documents import balanced_split, load_documents
    from synthloop.loop.strategies import generation_training_set
    from synthloop.studies.text_loop.subsets import draw_label_subset

    config, _ = full_preset(tmp_path)
    documents = load_documents(config["datasets"]["articles"], "articles")
    balanced, _ = balanced_split(documents, 1518, None, 0)
    center = draw_label_subset(documents, "center", config["datasets"]["center"], seed=1)
    assert len(center) == 1518 and set(center["label"]) == {"center"} and center["doc_id"].is_unique
    assert len(set(center["doc_id"]) - set(balanced["doc_id"])) >= 1518 - 506  # not a third of the balanced set
    strategy = config["strategies"]["replace"]
    train, _ = generation_training_set(strategy, 0, center, None, None, None, 0, 0)
    assert len(train) == 1518 and (train["origin"] == "real").all()


def test_label_subset_size_is_checked_and_absent_means_all():
    import pandas as pd
    import pytest

    from synthloop.core.config import ConfigError
    from synthloop.studies.text_loop.subsets import draw_label_subset

    docs = pd.DataFrame(
        {"doc_id": list("abcdef"), "text": list("abcdef"), "label": ["center", "left", "center", "right", "center", "left"]}
    )
    assert draw_label_subset(docs, "c", {"from": "x", "keep_labels": ["center"]}, 0)["doc_id"].tolist() == ["a", "c", "e"]
    assert draw_label_subset(docs, "c", {"from": "x", "keep_labels": ["center"], "size": 2}, 0)["label"].eq("center").sum() == 2
    with pytest.raises(ConfigError, match=r"datasets.c.size': 4 documents wanted, but dataset 'x' has only 3"):
        draw_label_subset(docs, "c", {"from": "x", "keep_labels": ["center"], "size": 4}, 0)


# -- the neuron analysis pools every setup's versions ---------------------------------------------------------------


def test_neuron_analysis_pools_the_66_versions_of_six_setups_on_one_probe_set(tmp_path):
    config, _ = full_preset(tmp_path)
    plan = Plan(config, path, "results/s")
    versions = plan.neuron_versions()
    assert len(versions) == 66 and len({v["chain"] for v in versions}) == 6  # 6 setups x 11 generations
    assert {plan.neuron_probes(v["chain"]) for v in versions} == {plan.neuron_probes("articles-replace-s0")}  # activations comparable


def test_levels_correlations_pool_every_setup_in_the_analysis():
    """analyse_neurons' r_level is the pooled Pearson r over every version of every chain (Figure 4)."""
    import numpy as np
    import pandas as pd
    from scipy import stats

    from synthloop.studies.text_loop.neurons import analyse_neurons

    rng = np.random.default_rng(1)
    chains = [f"c{i}" for i in range(6)]
    values = {c: {"weight": rng.normal(size=(11, 1, 3)), "activation": rng.normal(size=(11, 1, 3))} for c in chains}
    generations = {c: list(range(11)) for c in chains}
    metrics = pd.DataFrame(
        [
            {"chain": c, "generation": g, "scorer": "lean", "metric": "share_right", "value": rng.normal()}
            for c in chains
            for g in [-1, *range(11)]
        ]
    )  # a base row (-1) is not a version
    per_neuron = analyse_neurons(values, generations, metrics, [{"scorer": "lean", "metric": "share_right"}]).per_neuron
    y = metrics[metrics["generation"] >= 0].sort_values(["chain", "generation"])["value"].to_numpy()
    x = np.concatenate([values[c]["weight"].reshape(11, -1) for c in chains])
    got = per_neuron[per_neuron["kind"] == "weight"].sort_values("neuron")["r_level"].to_numpy()
    np.testing.assert_allclose(got, [stats.pearsonr(x[:, j], y).statistic for j in range(3)])
    assert len(y) == 66


# -- the base model before fine-tuning, scored like every generation (Figure 2) ---------------------------------------


def tiny_plan(**chains):
    from conftest import TINY_CONFIG

    config = read_yaml(TINY_CONFIG)
    config["chains"].update(chains)
    return Plan(validate(config), path, "results/s")


def test_every_chain_has_a_base_row_from_one_scored_base_generation():
    plan = tiny_plan()
    base = [e for e in plan.score_entries() if e["generation"] == -1]
    assert {(e["chain"], e["scorer"]) for e in base} == {(c, s) for c in plan.chains for s in plan.scorers}
    assert {e["path"] for e in base} == {path("base_score", dataset="sotu", scorer=s) for s in plan.scorers}  # one base set per dataset
    assert path("base_generated", dataset="sotu") in plan.targets()
    assert plan.base_prompts("sotu") == plan.prompts("sotu-replace-s0")  # the base continues generation 0's prompts
    assert plan.base_source() == plan.init_model("sotu-replace-s0", 0)  # the model generation 0 fine-tunes
    assert not tiny_plan(score_base=False).base_datasets()


def test_metrics_table_labels_the_base_row_and_the_figure_plots_it(monkeypatch):
    import pandas as pd

    from synthloop.analysis import metrics
    from synthloop.core import figures

    rows = []
    for gen, share in [(-1, 0.47), (0, 0.54), (1, 0.6)]:
        summary = pd.DataFrame(
            {
                "metric": ["share_right", "share_left"],
                "value": [share, 1 - share],
                "ci_low": [share - 0.05, 0.4],
                "ci_high": [share + 0.05, 0.6],
                "n": 10,
            }
        )
        rows.append(
            (
                {
                    "chain": "a-replace-s0",
                    "dataset": "a",
                    "cluster": None,
                    "strategy": "replace",
                    "ratio": None,
                    "seed": 0,
                    "generation": gen,
                    "scorer": "lean",
                },
                summary,
            )
        )
    table = metrics.metrics_table(rows)
    base = table[table["version"] == "base"]
    assert set(base["generation"]) == {-1} and base.set_index("metric").loc["share_right", "value"] == 0.47
    assert table.loc[table["generation"] == 1, "version"].eq("g1").all()
    saved = {}
    monkeypatch.setattr(figures, "save", lambda fig, path: saved.update(fig=fig))
    metrics.plot_scorer(table, "lean", "unused.png")
    labels = [t.get_text() for t in saved["fig"].axes[0].get_xticklabels()]
    assert labels[0] == "base" and "0" in labels


def test_generation0_keeps_titles_so_every_generation_prompts_with_them():
    """Block generation reads its prompts from generation 0's training set: the title must survive it
    (the published design continues each article's title, then each block of its body)."""
    import pandas as pd

    from synthloop.loop.compose import real_set

    docs = pd.DataFrame({"doc_id": ["a", "b"], "text": ["body a", "body b"], "label": ["left", "right"], "title": ["Title A", "Title B"]})
    assert real_set(docs)["title"].tolist() == ["Title A", "Title B"]
    assert "title" not in real_set(docs.drop(columns="title"))


def test_figure_lines_keep_the_center_only_setup_apart_from_the_balanced_one():
    import pandas as pd

    from synthloop.analysis.metrics import line_labels

    rows = pd.DataFrame(
        {
            "dataset": ["articles", "center", "articles"],
            "cluster": [None, None, None],
            "strategy": ["replace"] * 2 + ["preserve"],
            "ratio": [None] * 3,
        }
    )
    assert line_labels(rows).tolist() == ["articles: replace", "center: replace", "articles: preserve"]
    assert line_labels(rows[rows["dataset"] == "articles"]).tolist() == ["replace", "preserve"]
    clustered = rows.assign(cluster=["c000", "c001", "c000"])
    assert line_labels(clustered).tolist() == ["replace", "replace", "preserve"]  # study 2: averaged over clusters
