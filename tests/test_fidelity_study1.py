"""Issue 12 items 9 and 13: study 1's full preset runs G0..G10; the default says where it is not the paper."""

import yaml
from conftest import ROOT

from synthloop.core.config import read_yaml
from synthloop.studies import validate
from synthloop.studies.text_loop.plan import Plan


def test_full_preset_has_eleven_generations_per_setup(tmp_path):
    config = read_yaml(ROOT / "presets" / "wang2024-bias-amplification.yaml")
    articles = tmp_path / "articles.csv"
    articles.write_text("title,body,label\n" + "".join(f"t{i},body {i},{lab}\n" for i, lab in enumerate(["Left", "Center", "Right"] * 600)))
    config["datasets"]["articles"]["path"] = str(articles)  # the published articles are not redistributed
    plan = Plan(validate(config), lambda name, **wc: name, "results")
    assert plan.generations == list(range(11))  # G0 .. G10 (Wang et al.: 11 models per setup)


def test_default_does_not_call_its_block_sizes_published():
    text = (ROOT / "config.yaml").read_text()
    generate = yaml.safe_load(text)["generate"]
    comment = text[text.index("\ngenerate:"):text.index("block_tokens")]
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
