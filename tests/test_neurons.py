"""Neuron values on tiny random models, the vectorised Newey–West regressions, and the set analysis."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import torch

from synthloop.studies.text_loop import neurons

PROBES = [
    "the senate passed the budget today",
    "a short one",
    "we will cut taxes and build roads across the nation for every family",
    "health care for all",
    "the economy grew",
]


@pytest.fixture(scope="module")
def tokenizer():
    """A word-level tokenizer built here (nothing downloaded), padding on the right."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    words = sorted({w for text in PROBES for w in text.split()})
    vocab = {"<pad>": 0, "<unk>": 1, **{w: i + 2 for i, w in enumerate(words)}}
    raw = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    raw.pre_tokenizer = pre_tokenizers.Whitespace()
    return PreTrainedTokenizerFast(tokenizer_object=raw, pad_token="<pad>", unk_token="<unk>", eos_token="<pad>")


def tiny_gpt2():
    from transformers import GPT2Config, GPT2LMHeadModel

    torch.manual_seed(0)
    return GPT2LMHeadModel(GPT2Config(n_layer=2, n_embd=32, n_head=2, vocab_size=300, n_positions=64)).eval()


def tiny_llama():
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=300,
        hidden_size=32,
        intermediate_size=48,
        num_hidden_layers=3,
        num_attention_heads=2,
        num_key_value_heads=2,
        max_position_embeddings=64,
    )
    return LlamaForCausalLM(config).eval()


def manual_unit_activation(model, tokenizer, block_index: int, unit: int) -> float:
    """Unit's mean output, one text at a time (no padding), from the projection's input and its parameters."""
    block = neurons.transformer_blocks(model)[block_index]
    projection = neurons.output_projection(block)
    inputs = []
    handle = projection.register_forward_pre_hook(lambda _m, args: inputs.append(args[0][0]))
    with torch.no_grad():
        for text in PROBES:
            model(**tokenizer(text, return_tensors="pt"))
    handle.remove()
    hidden = torch.cat(inputs).detach()  # (all tokens, intermediate)
    if type(projection).__name__ == "Conv1D":  # weight (intermediate, hidden)
        column, bias = projection.weight[:, unit], projection.bias[unit]
    else:  # nn.Linear weight (hidden, intermediate)
        column, bias = projection.weight[unit], (0.0 if projection.bias is None else projection.bias[unit])
    with torch.no_grad():
        return float((hidden @ column + bias).mean())


@pytest.mark.parametrize("build, n_blocks", [(tiny_gpt2, 2), (tiny_llama, 3)])
def test_values_have_one_row_per_block_and_one_column_per_hidden_unit(build, n_blocks, tokenizer):
    values = neurons.neuron_values(build(), PROBES, tokenizer, batch_size=2)
    for kind in neurons.VALUE_KINDS:
        assert values[kind].shape == (n_blocks, 32)
        assert values[kind].dtype == np.float32
        assert np.isfinite(values[kind]).all()


@pytest.mark.parametrize("build", [tiny_gpt2, tiny_llama])
def test_activation_is_the_token_mean_of_the_unit_ignoring_padding(build, tokenizer):
    model = build()
    activation = neurons.activation_values(model, PROBES, tokenizer, batch_size=3)  # batches mix lengths: padding
    for block, unit in [(0, 5), (1, 17)]:
        assert activation[block, unit] == pytest.approx(manual_unit_activation(model, tokenizer, block, unit), abs=1e-5)


def test_probes_longer_than_the_context_are_truncated_to_it(tokenizer):
    from transformers import GPT2Config, GPT2LMHeadModel

    model = GPT2LMHeadModel(GPT2Config(n_layer=1, n_embd=16, n_head=2, vocab_size=300, n_positions=8)).eval()
    values = neurons.activation_values(model, [" ".join(PROBES)], tokenizer, max_length=256)
    assert np.isfinite(values).all()


def test_gpt2_weight_value_is_the_norm_of_the_units_conv1d_column_and_bias():
    model = tiny_gpt2()
    projection = neurons.output_projection(neurons.transformer_blocks(model)[1])
    expected = torch.sqrt((projection.weight[:, 7] ** 2).sum() + projection.bias[7] ** 2)
    assert neurons.weight_values(model)[1, 7] == pytest.approx(float(expected), rel=1e-6)


@pytest.mark.parametrize("build", [tiny_gpt2, tiny_llama])
def test_changing_one_units_parameters_changes_only_that_units_weight_value(build):
    model = build()
    before = neurons.weight_values(model)
    projection = neurons.output_projection(neurons.transformer_blocks(model)[1])
    with torch.no_grad():
        if type(projection).__name__ == "Conv1D":
            projection.weight[:, 3] *= 2
        else:
            projection.weight[3] *= 2
    changed = neurons.weight_values(model) != before
    assert changed[1, 3] and changed.sum() == 1


def test_peft_models_are_unwrapped_and_lora_deltas_counted(tokenizer):
    from peft import LoraConfig, get_peft_model

    model = get_peft_model(tiny_llama(), LoraConfig(r=2, lora_alpha=4, target_modules=["down_proj"], init_lora_weights=False))
    values = neurons.neuron_values(model, PROBES, tokenizer)
    assert not np.allclose(values["weight"], neurons.weight_values(tiny_llama()))  # same base weights, so the delta counts
    merged = model.merge_and_unload()
    assert values["weight"] == pytest.approx(neurons.weight_values(merged), rel=1e-5)
    assert values["activation"] == pytest.approx(neurons.activation_values(merged, PROBES, tokenizer), abs=1e-5)


# -- regressions ------------------------------------------------------------------------------------


def random_walks(rng, chains: int, versions: int, width: int | None = None):
    shape = (versions,) if width is None else (versions, width)
    return [np.cumsum(rng.normal(size=shape), axis=0) for _ in range(chains)]


def test_one_chain_matches_statsmodels_hac_exactly():
    rng = np.random.default_rng(1)
    y, x = random_walks(rng, 1, 66), random_walks(rng, 1, 66, 5)
    result = neurons.hac_first_difference_regressions(y[0], x[0], maxlags=1)
    dy, dx = np.diff(y[0]), np.diff(x[0], axis=0)
    for j in range(5):
        fit = sm.OLS(dy, sm.add_constant(dx[:, j])).fit(cov_type="HAC", cov_kwds={"maxlags": 1})
        assert result.loc[j, "beta"] == pytest.approx(fit.params[1], abs=1e-10)
        assert result.loc[j, "se"] == pytest.approx(fit.bse[1], abs=1e-8)
        assert result.loc[j, "p"] == pytest.approx(fit.pvalues[1], abs=1e-8)


@pytest.mark.parametrize("maxlags", [1, 3])
def test_several_chains_match_statsmodels_hac_panel_and_never_difference_across_chains(maxlags):
    rng = np.random.default_rng(2)
    y, x = random_walks(rng, 4, 11), random_walks(rng, 4, 11, 3)
    result = neurons.hac_first_difference_regressions(y, x, maxlags=maxlags)
    dy = np.concatenate([np.diff(s) for s in y])  # 4 chains x 10 differences: nothing spans a boundary
    dx = np.concatenate([np.diff(s, axis=0) for s in x])
    groups = np.repeat(np.arange(4), 10)
    assert (result["n"] == 40).all()
    for j in range(3):
        fit = sm.OLS(dy, sm.add_constant(dx[:, j])).fit(
            cov_type="hac-panel", cov_kwds={"maxlags": maxlags, "groups": groups, "use_correction": False}
        )
        assert result.loc[j, "se"] == pytest.approx(fit.bse[1], abs=1e-8)
        assert result.loc[j, "p"] == pytest.approx(fit.pvalues[1], abs=1e-8)


def planted_panel(seed: int, null: int = 4000, planted: int = 20, chains: int = 6, versions: int = 11):
    """Metric random walks per chain; planted neurons move with Δy plus noise, null neurons do not."""
    rng = np.random.default_rng(seed)
    y = random_walks(rng, chains, versions)
    x = []
    for series in y:
        dy = np.diff(series)[:, None]
        steps = np.concatenate([dy + 0.5 * rng.normal(size=(versions - 1, planted)), rng.normal(size=(versions - 1, null))], axis=1)
        x.append(np.vstack([rng.normal(size=(1, planted + null)), steps]).cumsum(axis=0))
    return y, x


def test_planted_neurons_are_found_and_nulls_hold_the_nominal_rate():
    y, x = planted_panel(seed=3)
    p = neurons.hac_first_difference_regressions(y, x)["p"].to_numpy()
    assert (p[:20] < 0.05).all()
    # statsmodels' HAC convention (no small-sample correction, normal p) runs a little above 5% at n = 60
    assert 0.02 < (p[20:] < 0.05).mean() < 0.09


@pytest.mark.slow
def test_9216_neurons_over_66_versions_in_one_call_match_statsmodels_column_by_column():
    """The published size (9,216 units, 6 chains x 11 versions) in one vectorised call; no wall-clock bound (shared CI machines)."""
    rng = np.random.default_rng(4)
    y, x = random_walks(rng, 6, 11), random_walks(rng, 6, 11, 9216)
    result = neurons.hac_first_difference_regressions(y, x)
    assert len(result) == 9216 and (result["n"] == 60).all()
    dy = np.concatenate([np.diff(s) for s in y])
    dx = np.concatenate([np.diff(s, axis=0) for s in x])
    groups = np.repeat(np.arange(6), 10)
    for j in (0, 4607, 9215):
        fit = sm.OLS(dy, sm.add_constant(dx[:, j])).fit(
            cov_type="hac-panel", cov_kwds={"maxlags": 1, "groups": groups, "use_correction": False}
        )
        assert result.loc[j, "p"] == pytest.approx(fit.pvalues[1], abs=1e-8)


def test_pearson_by_neuron_matches_numpy():
    y, x = planted_panel(seed=5, null=10, planted=2)
    r = neurons.pearson_by_neuron(y, x)["r"].to_numpy()
    dy = np.concatenate([np.diff(s) for s in y])
    dx = np.concatenate([np.diff(s, axis=0) for s in x])
    assert r == pytest.approx([np.corrcoef(dy, dx[:, j])[0, 1] for j in range(12)], abs=1e-12)


# -- the analysis and its figures --------------------------------------------------------------------


def toy_study(seed: int = 6):
    """Two chains x 9 generations, 2 blocks x 8 units: units 0-3 follow the lean share, 2-5 the quality index."""
    rng = np.random.default_rng(seed)
    generations = list(range(9))
    values, rows = {}, []
    for chain in ("a", "b"):
        lean, quality = np.cumsum(rng.normal(size=9)), np.cumsum(rng.normal(size=9))
        noise = lambda: rng.normal(size=(9, 16)).cumsum(axis=0)  # noqa: E731
        weight = noise()
        weight[:, 0:2] = lean[:, None] + 0.05 * rng.normal(size=(9, 2))
        weight[:, 2:4] = (lean + quality)[:, None] + 0.05 * rng.normal(size=(9, 2))
        weight[:, 4:6] = quality[:, None] + 0.05 * rng.normal(size=(9, 2))
        values[chain] = {"weight": weight.reshape(9, 2, 8), "activation": noise().reshape(9, 2, 8)}
        for metric, series in (("share_right", lean), ("quality_index", quality)):
            scorer = "lean" if metric == "share_right" else "quality"
            rows += [{"chain": chain, "generation": g, "scorer": scorer, "metric": metric, "value": v} for g, v in zip(generations, series)]
    return values, {"a": generations, "b": generations}, pd.DataFrame(rows)


TARGETS = [{"scorer": "lean", "metric": "share_right"}, {"scorer": "quality", "metric": "quality_index"}]


def test_analysis_finds_the_planted_sets_and_their_overlap(tmp_path):
    values, generations, metrics = toy_study()
    analysis = neurons.analyse_neurons(values, generations, metrics, TARGETS)
    weight = analysis.per_neuron[analysis.per_neuron["kind"] == "weight"]
    lean = set(weight.loc[weight["significant"] & (weight["metric"] == "lean.share_right"), "neuron"])
    quality = set(weight.loc[weight["significant"] & (weight["metric"] == "quality.quality_index"), "neuron"])
    assert {0, 1, 2, 3} <= lean and {2, 3, 4, 5} <= quality
    assert set(weight["block"]) == {0, 1} and weight["unit"].max() == 7
    sizes = analysis.set_sizes.set_index(["kind", "metric"])
    assert sizes.loc[("weight", "lean.share_right"), "n_significant"] == len(lean)
    overlap = analysis.overlap.set_index("kind").loc["weight"]
    assert overlap["n_in_all"] == len(lean & quality) and overlap["n_in_any"] == len(lean | quality)
    assert weight.loc[weight["neuron"].isin([0, 1]) & (weight["metric"] == "lean.share_right"), "r"].min() > 0.95

    neurons.plot_set_overlap(analysis.per_neuron, tmp_path / "venn.png")
    neurons.plot_correlation_histograms(analysis.per_neuron, tmp_path / "hist.png")
    assert (tmp_path / "venn.png").stat().st_size > 0 and (tmp_path / "hist.png").stat().st_size > 0


def test_a_missing_generation_in_the_metrics_is_an_error():
    values, generations, metrics = toy_study()
    metrics = metrics[~((metrics["chain"] == "a") & (metrics["generation"] == 4))]
    with pytest.raises(ValueError, match="chain 'a' is missing at generations \\[4\\]"):
        neurons.analyse_neurons(values, generations, metrics, TARGETS)


def test_probe_texts_are_a_fixed_subset_of_the_real_documents():
    texts = [f"document {i}" for i in range(50)] + ["", None]
    first = neurons.probe_texts(texts, 10, seed=7)
    assert first == neurons.probe_texts(texts, 10, seed=7) and len(set(first)) == 10
    assert set(first) <= set(texts[:50])
    assert len(neurons.probe_texts(texts, 500, seed=7)) == 50


def test_load_versions_stacks_each_chain_in_generation_order(tmp_path):
    versions = []
    for chain in ("b", "a"):
        for generation in (2, 0, 1):
            path = tmp_path / f"{chain}{generation}.npz"
            np.savez(path, weight=np.full((2, 4), generation, np.float32), activation=np.zeros((2, 4), np.float32))
            versions.append({"chain": chain, "generation": generation, "path": str(path)})
    values, generations = neurons.load_versions(
        [{k: v[k] for k in ("chain", "generation")} for v in versions], [v["path"] for v in versions]
    )
    assert generations == {"a": [0, 1, 2], "b": [0, 1, 2]}
    assert values["a"]["weight"].shape == (3, 2, 4) and (values["a"]["weight"][:, 0, 0] == [0, 1, 2]).all()
