"""The analysis rules' output files checked against values computed here, independently.

`regress`, `regress_mixed` and `lean_analysis` run for real (snakemake with the output as target,
`--allowed-rules <rule>`) on small input tables written by the test, so nothing upstream runs;
their results are compared with OLS fitted here with numpy and scipy (not statsmodels, which the
library uses), and with lean shares and buckets computed here with pandas. `neuron_analysis` and
`theory` are read from the session's finished tiny study (conftest.tiny_study): the neuron table
is compared with statsmodels' `hac-panel` fits on the study's neurons.npz and metrics.parquet,
and the weighted-MLE table with a reference simulation that fits each Beta with scipy's
Nelder-Mead on the same random draws.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import ROOT
from scipy import optimize, stats

from synthloop.core.vocabulary import REAL_GENERATION

pytestmark = [pytest.mark.workflow, pytest.mark.slow]

ALL = "all"  # the domain of a one-domain text set's rows in metrics.parquet


def run_rule(workdir: Path, config: dict, rule: str, *targets: str) -> None:
    """Run only `rule` (its inputs are the test's files: no rule may make them) for the targets."""
    (workdir / "config.yaml").write_text(yaml.safe_dump(config))
    command = [
        sys.executable,
        "-m",
        "snakemake",
        *targets,
        "--snakefile",
        str(ROOT / "Snakefile"),
        "--cores",
        "1",
        "--directory",
        str(workdir),
        "--configfile",
        str(workdir / "config.yaml"),
        "--allowed-rules",
        rule,
    ]
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode == 0, f"{rule} failed:\n{result.stdout[-3000:]}\n{result.stderr[-5000:]}"
    assert f"rule {rule}:" in result.stdout + result.stderr  # it ran (it was not already up to date)


def chain_rows(config: dict) -> list:
    from synthloop.studies import validate
    from synthloop.studies.text_loop.chains import chains

    return list(chains(validate(yaml.safe_load(yaml.safe_dump(config)))).values())


# -- OLS by hand ----------------------------------------------------------------------------------


def z(values) -> np.ndarray:
    values = np.asarray(values, dtype=float)
    return (values - values.mean()) / values.std()  # population SD: coefficients per SD of the rows fitted


def ols(y, columns: dict[str, np.ndarray]) -> pd.DataFrame:
    """OLS with a constant by the normal equations; t-based 95% intervals, R², adjusted R², VIFs."""
    y = np.asarray(y, dtype=float)
    names = list(columns)
    X = np.column_stack([np.ones(len(y)), *[columns[n] for n in names]])
    n, k = X.shape
    inverse = np.linalg.inv(X.T @ X)
    beta = inverse @ X.T @ y
    resid = y - X @ beta
    sigma2 = resid @ resid / (n - k)
    se = np.sqrt(np.diag(inverse) * sigma2)
    t = beta / se
    q = stats.t.ppf(0.975, n - k)
    r2 = 1 - (resid @ resid) / ((y - y.mean()) @ (y - y.mean()))
    vif = []
    for j in range(1, k):
        others = np.delete(X, j, axis=1)
        fitted = others @ np.linalg.lstsq(others, X[:, j], rcond=None)[0]
        rj2 = 1 - ((X[:, j] - fitted) ** 2).sum() / ((X[:, j] - X[:, j].mean()) ** 2).sum()
        vif.append(1 / (1 - rj2))
    return pd.DataFrame(
        {
            "term": names,
            "coef": beta[1:],
            "se": se[1:],
            "t": t[1:],
            "p": 2 * stats.t.sf(np.abs(t[1:]), n - k),
            "ci_low": beta[1:] - q * se[1:],
            "ci_high": beta[1:] + q * se[1:],
            "vif": vif,
            "r2": r2,
            "r2_adj": 1 - (1 - r2) * (n - 1) / (n - k),
            "n": n,
        }
    ).set_index("term")


def assert_fit(rows: pd.DataFrame, expected: pd.DataFrame, terms: list[str]) -> None:
    rows = rows.set_index("term")
    assert list(rows.index) == terms
    for column in ("coef", "se", "t", "p", "ci_low", "ci_high", "vif", "r2", "r2_adj", "n"):
        np.testing.assert_allclose(
            rows[column].to_numpy(float), expected.loc[terms, column].to_numpy(float), rtol=1e-6, atol=1e-9, err_msg=column
        )


# -- regress ----------------------------------------------------------------------------------------

CLUSTER_STUDY = {
    "study": "reg",
    "seeds": [0, 1],
    "generations": 2,
    "datasets": {
        name: {
            "source": "sotu",
            "years": [2009, 2026],
            "labels": {"Democratic": "left", "Republican": "right"},
            "finetune_size": 40,
            "heldout_size": 40,
            "instruction": "Write.",
        }
        for name in ("speech", "twitter")
    },
    "chains": {
        "dataset": ["speech", "twitter"],
        "strategies": ["pool"],
        "ratios": [0.5, 1.0],
        "clusters": {"n": 4, "min_size": 12, "embedder": "minilm"},
    },
    "strategies": {"pool": {"compose": "pool", "pool": {"mode": "accumulate_subsample", "n0": 8, "n": 8}}},
    "base_model": {"source": "scratch"},
    "finetune": {"epochs": 1, "batch_size": 8, "learning_rate": 1.0e-3, "max_length": 64},
    "generate": {"mode": "instruction", "new_tokens": 8, "eval_size": 8},
    "embedders": {"minilm": {"model": "minilm"}},
    "scorers": {"quality": {"kind": "quality_classifier"}, "length": {"kind": "text_length"}},
    "regression": {"last_k": 1, "predictors": ["positivity", "length_chars"]},
    "neurons": {"enabled": False},
    "theory": {"toys": []},
}
RESPONSES = [("length", "length_words"), ("quality", "quality_index")]


def metrics_rows(chain, domain: str, values: dict) -> list[dict]:
    """metrics.parquet rows of one chain: values[(scorer, metric)] = (generation 0, generation 1)."""
    return [
        {
            "chain": chain.id,
            "dataset": chain.dataset,
            "cluster": chain.cluster,
            "strategy": chain.strategy,
            "ratio": chain.ratio,
            "seed": chain.seed,
            "generation": g,
            "scorer": scorer,
            "domain": domain,
            "metric": metric,
            "value": pair[g],
            "ci_low": pair[g] - 0.1,
            "ci_high": pair[g] + 0.1,
            "n": 8,
            "missing": 0,
            "relative": pair[g] / pair[0],
        }
        for (scorer, metric), pair in values.items()
        for g in (0, 1)
    ]


def test_regress_rule_writes_the_ols_fits_of_the_seed_averaged_shifts(tmp_path):
    rng = np.random.default_rng(1)
    config = CLUSTER_STUDY
    results = tmp_path / "results" / "reg"
    properties = {}
    for dataset in ("speech", "twitter"):
        table = pd.DataFrame(
            {
                "cluster_id": [f"c{i:03d}" for i in range(4)],
                "semantic_diversity": rng.normal(size=4),
                "positivity": rng.normal(0.2, 0.1, 4),
                "length_chars": rng.normal(300, 40, 4),
            }
        )
        (results / "clusters" / dataset).mkdir(parents=True)
        table.to_parquet(results / "clusters" / dataset / "properties.parquet")
        properties[dataset] = table.set_index("cluster_id")
    rows, shifts = [], {}
    for chain in chain_rows(config):
        p = properties[chain.dataset].loc[chain.cluster]
        values = {}
        for scorer, metric in RESPONSES:
            start = rng.uniform(1, 3)
            shift = 1 + 2 * p["positivity"] - 0.001 * p["length_chars"] + 0.3 * chain.ratio + rng.normal(scale=0.05)
            values[(scorer, metric)] = (start, start * shift)
            shifts[(chain.dataset, chain.cluster, chain.ratio, chain.seed, f"{scorer}:{metric}")] = shift
        rows += metrics_rows(chain, ALL, values)
    other = metrics_rows(chain, "speech", {("length", "length_words"): (1.0, 50.0)})  # a mixed-domain row: regress_mixed's, not this rule's
    pd.DataFrame(rows + other).to_parquet(results / "metrics.parquet")

    run_rule(tmp_path, config, "regress", "results/reg/regression/coefficients.csv")
    out = pd.read_csv(results / "regression" / "coefficients.csv")

    # Seeds share their cluster's properties: one row per dataset × cluster × ratio, their shifts averaged.
    shift = (
        pd.Series(shifts)
        .rename_axis(["dataset", "cluster", "ratio", "seed", "response"])
        .groupby(["dataset", "cluster", "ratio", "response"])
        .mean()
        .unstack("response")
        .reset_index()
    )
    shift = shift.join(pd.concat(properties, names=["dataset", "cluster"])[["positivity", "length_chars"]], on=["dataset", "cluster"])
    terms = ["positivity", "length_chars"]
    responses = [f"{s}:{m}" for s, m in RESPONSES]
    expected_scopes = [f"dataset={d}, ratio={r}" for d in ("speech", "twitter") for r in (0.5, 1.0)] + ["pooled"]
    assert sorted(out["scope"].unique()) == sorted(expected_scopes)
    for scope in expected_scopes:
        if scope == "pooled":  # dataset fixed effect, synthetic ratio as a control
            data = shift
            controls = {"ratio": z(data["ratio"]), "dataset_twitter": (data["dataset"] == "twitter").astype(float).to_numpy()}
        else:
            dataset, ratio = scope.replace("dataset=", "").replace(" ratio=", "").split(",")
            data = shift[(shift["dataset"] == dataset) & (shift["ratio"] == float(ratio))]
            controls = {}
        assert len(data) == 4 * (4 if scope == "pooled" else 1)  # clusters (x datasets x ratios), seeds averaged
        for response in responses:
            expected = ols(data[response], {t: z(data[t]) for t in terms} | controls)
            assert_fit(out[(out["scope"] == scope) & (out["response"] == response)], expected, terms)

    # Table 1: the pooled fits, one column per response, 'coef' with its stars, then R² and n.
    lines = [
        line.strip().strip("|").split("|")
        for line in (results / "regression" / "table1.md").read_text().splitlines()
        if line.startswith("|")
    ]
    header, body = [c.strip() for c in lines[0]], {cells[0].strip(): [c.strip() for c in cells[1:]] for cells in lines[2:]}
    assert header[1:] == responses and list(body) == [*terms, "R²", "n"]
    pooled = out[out["scope"] == "pooled"]
    for j, response in enumerate(responses):
        fit = ols(
            shift[response],
            {t: z(shift[t]) for t in terms}
            | {"ratio": z(shift["ratio"]), "dataset_twitter": (shift["dataset"] == "twitter").astype(float).to_numpy()},
        )
        for term in terms:
            p = fit.loc[term, "p"]
            star = "***" if p < 0.001 else "**" if p < 0.01 else "*" if p < 0.05 else ""
            assert body[term][j] == f"{fit.loc[term, 'coef']:.3f}{star}"
        assert body["n"][j] == "16" and body["R²"][j] == f"{fit['r2'].iloc[0]:.2f}"
    assert len(pooled) == len(terms) * len(responses)
    assert (results / "regression" / "coefficients.png").stat().st_size > 1000


# -- regress_mixed ----------------------------------------------------------------------------------


def test_regress_mixed_rule_fits_each_domains_shift_on_every_domains_properties(tmp_path):
    rng = np.random.default_rng(2)
    config = {
        **CLUSTER_STUDY,
        "study": "mix",
        "seeds": [0],
        "chains": {
            **CLUSTER_STUDY["chains"],
            "dataset": [],
            "clusters": {"n": 3, "min_size": 12, "embedder": "minilm"},
            "mixed": {"domains": ["speech", "twitter"], "count": 5},
        },
        "regression": {"last_k": 1, "predictors": ["positivity"]},
    }
    results = tmp_path / "results" / "mix"
    properties = {}
    for domain in ("speech", "twitter"):
        table = pd.DataFrame({"cluster_id": ["c000", "c001", "c002"], "positivity": rng.normal(0.2, 0.1, 3), "length_chars": 100.0})
        (results / "clusters" / domain).mkdir(parents=True)
        table.to_parquet(results / "clusters" / domain / "properties.parquet")
        properties[domain] = table.set_index("cluster_id")["positivity"]
    # Which cluster of each domain every mixed cluster joined: the speech components differ from the twitter ones.
    joined = {"speech": ["c000", "c001", "c002", "c000", "c002"], "twitter": ["c002", "c002", "c000", "c001", "c001"]}
    components = pd.DataFrame([{"cluster_id": f"m{i:03d}", "domain": d, "component": joined[d][i]} for d in joined for i in range(5)])
    (results / "clusters" / "mixed").mkdir(parents=True)
    components.to_parquet(results / "clusters" / "mixed" / "components.parquet")
    rows, shifts = [], []
    for chain in chain_rows(config):
        i = int(chain.cluster[1:])
        x = {d: properties[d][joined[d][i]] for d in joined}
        for domain in ("speech", "twitter"):
            effect = {"speech": (3.0, -1.0), "twitter": (0.5, 2.0)}[domain]
            shift = 1 + effect[0] * x["speech"] + effect[1] * x["twitter"] + 0.2 * chain.ratio + rng.normal(scale=0.05)
            rows += metrics_rows(chain, domain, {("quality", "quality_index"): (2.0, 2.0 * shift)})
            shifts.append(
                {
                    "domain": domain,
                    "cluster": chain.cluster,
                    "ratio": chain.ratio,
                    "shift": shift,
                    "speech:positivity": x["speech"],
                    "twitter:positivity": x["twitter"],
                }
            )
    pd.DataFrame(rows).to_parquet(results / "metrics.parquet")

    run_rule(tmp_path, config, "regress_mixed", "results/mix/regression/mixed_coefficients.csv")
    out = pd.read_csv(results / "regression" / "mixed_coefficients.csv")

    shifts = pd.DataFrame(shifts)
    terms = ["speech:positivity", "twitter:positivity"]
    scopes = []
    for domain in ("speech", "twitter"):
        for ratio in (0.5, 1.0):
            data = shifts[(shifts["domain"] == domain) & (shifts["ratio"] == ratio)]
            scopes.append((domain, f"domain={domain}, ratio={ratio}", data, {}))
        data = shifts[shifts["domain"] == domain]
        scopes.append((domain, f"domain={domain}, pooled", data, {"ratio": z(data["ratio"])}))
    assert sorted(out["scope"].unique()) == sorted(s for _, s, _, _ in scopes)
    assert set(out["response"]) == {"quality:quality_index"}
    for domain, scope, data, controls in scopes:
        chosen = out[out["scope"] == scope]
        assert set(chosen["domain"]) == {domain}
        assert_fit(chosen, ols(data["shift"], {t: z(data[t]) for t in terms} | controls), terms)
    assert (results / "regression" / "mixed_coefficients.png").stat().st_size > 1000


# -- lean_analysis ----------------------------------------------------------------------------------

LEAN_STUDY = {
    **{k: v for k, v in CLUSTER_STUDY.items() if k not in ("embedders", "regression")},
    "study": "lean",
    "seeds": [0],
    "generations": 2,
    "datasets": {
        "speech": CLUSTER_STUDY["datasets"]["speech"],
        "left025": {"source": "lean_partition", "from": "speech", "left_share": 0.25, "size": 8, "lean_scorer": "lean"},
        "left075": {"source": "lean_partition", "from": "speech", "left_share": 0.75, "size": 8, "lean_scorer": "lean"},
    },
    "chains": {"dataset": ["left025", "left075"], "strategies": ["pool"], "ratios": [1.0]},
    "strategies": {"pool": {"compose": "pool", "pool": {"mode": "accumulate_subsample", "n0": 4, "n": 4}}},
    "scorers": {"lean": {"kind": "lean_classifier"}},
}
# Per set: the partition's real texts, then generations 0 and 1. Edges on purpose: exactly 50 (neither
# side), 12.5 and 87.5 (a bucket's lower edge), 100 (the last bucket), a missing lean.
LEANS = {
    "left025": [
        [10.0, 30.0, 60.0, 70.0, 80.0, 90.0, 55.0, 65.0],
        [12.5, 50.0, 49.9, 99.0, np.nan],
        [0.0, 100.0, 87.5, 50.0, 62.4, 37.5, 12.4],
    ],
    "left075": [[5.0, 15.0, 25.0, 35.0, 45.0, 40.0, 75.0, 52.0], [20.0, 20.0, 20.0, 70.0], [50.0, 50.0, 25.0, np.nan, 99.9]],
}


def test_lean_analysis_rule_writes_the_shares_and_buckets_of_the_scored_texts(tmp_path):
    results = tmp_path / "results" / "lean"
    for name, (real, *_generations) in LEANS.items():
        (results / "data" / name).mkdir(parents=True)
        pd.DataFrame({"text": [f"text {i}" for i in range(len(real))], "lean": real}).to_parquet(
            results / "data" / name / "finetune.parquet"
        )
    chains = {c.dataset: c for c in chain_rows(LEAN_STUDY)}
    for name, chain in chains.items():
        for g, values in enumerate(LEANS[name][1:]):
            folder = results / "chains" / chain.id / f"g{g}" / "scores"
            folder.mkdir(parents=True)
            pd.DataFrame({"text": ["t"] * len(values), "label": "left", "lean_score": values}).to_parquet(folder / "lean.texts.parquet")

    run_rule(tmp_path, LEAN_STUDY, "lean_analysis", "results/lean/lean/final_vs_initial.csv")
    final = pd.read_csv(results / "lean" / "final_vs_initial.csv").set_index("dataset")
    buckets = pd.read_csv(results / "lean" / "buckets.csv")

    def shares(values):
        v = pd.Series(values, dtype=float).dropna()
        left, right = (v < 50).sum(), (v > 50).sum()
        return v.mean(), left / (left + right), len(v)

    edges = [0, 12.5, 25, 37.5, 50, 62.5, 75, 87.5, 100.0001]
    assert sorted(final.index) == ["left025", "left075"]
    for name, chain in chains.items():
        row = final.loc[name]
        assert row["chain"] == chain.id and row["left_share"] == LEAN_STUDY["datasets"][name]["left_share"] and row["final_generation"] == 1
        for prefix, values in (("initial", LEANS[name][0]), ("final", LEANS[name][2])):
            mean, left, n = shares(values)
            assert row[f"{prefix}_lean"] == pytest.approx(mean, rel=1e-12)
            assert row[f"{prefix}_left_share"] == pytest.approx(left, rel=1e-12)
            assert row[f"{prefix}_n"] == n
        for generation, values in zip((REAL_GENERATION, 0, 1), LEANS[name]):
            v = pd.Series(values, dtype=float).dropna()
            counts = pd.cut(v, edges, right=False, labels=False).value_counts().reindex(range(8), fill_value=0)
            got = buckets[(buckets["chain"] == chain.id) & (buckets["generation"] == generation)].sort_values("bucket")
            assert list(got["bucket"]) == list(range(8))
            np.testing.assert_allclose(got["share"].to_numpy(), (counts / len(v)).to_numpy(), rtol=0, atol=1e-12)
            assert (got["n"] == len(v)).all()
        assert list(buckets.loc[buckets["chain"] == chain.id, "range"].iloc[:2]) == ["0-12.5", "12.5-25"]
    assert len(buckets) == 2 * 3 * 8
    for figure in ("final_vs_initial", "buckets"):
        assert (results / "lean" / f"{figure}.png").stat().st_size > 1000


# -- neuron_analysis, on the finished tiny study ---------------------------------------------------


@pytest.mark.filterwarnings("ignore::scipy.stats.ConstantInputWarning")  # tiny.yaml's lean share is the same in every version
def test_neuron_analysis_outputs_match_statsmodels_hac_panel_fits(tiny_study):
    """Every unit's first-difference regression (slope, se, normal p) against statsmodels' `hac-panel`
    fit with lags inside each chain, the correlations against scipy, and the sets, their sizes and
    overlap counted here from p < alpha."""
    from itertools import combinations

    import statsmodels.api as sm

    results = tiny_study / "results" / "tiny"
    per_neuron = pd.read_parquet(results / "neurons" / "per_neuron.parquet")
    sizes = pd.read_csv(results / "neurons" / "set_sizes.csv")
    overlap = pd.read_csv(results / "neurons" / "overlap.csv")
    metrics = pd.read_parquet(results / "metrics.parquet")
    chains = sorted(p.name for p in (results / "chains").iterdir())
    assert chains == ["sotu-accumulate-s0", "sotu-replace-s0"]
    targets = [("lean", "share_right"), ("quality", "quality_index")]  # the schema's default neurons.metrics
    alpha = 0.05
    checked = 0
    for kind in ("weight", "activation"):
        x = {c: np.stack([np.load(results / "chains" / c / f"g{g}" / "neurons.npz")[kind].ravel() for g in range(3)]) for c in chains}
        n_units = x[chains[0]].shape[1]
        assert n_units == 32  # 1 block x 32 units (tiny.yaml's base model)
        for scorer, metric in targets:
            y = {
                c: metrics[
                    (metrics["chain"] == c) & (metrics["scorer"] == scorer) & (metrics["metric"] == metric) & (metrics["domain"] == ALL)
                ]
                .set_index("generation")["value"]
                .reindex(range(3))
                .to_numpy()
                for c in chains
            }
            dy = np.concatenate([np.diff(y[c]) for c in chains])
            groups = np.repeat(np.arange(len(chains)), 2)
            rows = (
                per_neuron[(per_neuron["kind"] == kind) & (per_neuron["metric"] == f"{scorer}.{metric}")].set_index("neuron").sort_index()
            )
            assert list(rows.index) == list(range(n_units)) and (rows["block"] == 0).all() and list(rows["unit"]) == list(range(n_units))
            for j in range(n_units):
                dx = np.concatenate([np.diff(x[c][:, j]) for c in chains])
                fit = sm.OLS(dy, sm.add_constant(dx)).fit(
                    cov_type="hac-panel", cov_kwds={"groups": groups, "maxlags": 1, "use_correction": False}
                )
                row = rows.loc[j]
                assert row["beta"] == pytest.approx(fit.params[1], rel=1e-6, nan_ok=True)
                assert row["se"] == pytest.approx(fit.bse[1], rel=1e-6, nan_ok=True)
                assert row["p"] == pytest.approx(fit.pvalues[1], rel=1e-6, abs=1e-12, nan_ok=True)
                assert row["n"] == 4 and bool(row["significant"]) == (fit.pvalues[1] < alpha)
                assert row["r"] == pytest.approx(stats.pearsonr(dx, dy).statistic, abs=1e-6, nan_ok=True)
                levels = np.concatenate([x[c][:, j] for c in chains]), np.concatenate([y[c] for c in chains])
                assert row["r_level"] == pytest.approx(stats.pearsonr(*levels).statistic, abs=1e-6, nan_ok=True)
                checked += 1
            size = sizes[(sizes["kind"] == kind) & (sizes["metric"] == f"{scorer}.{metric}")].iloc[0]
            significant = int((rows["p"] < alpha).sum())
            assert (
                size["n_neurons"] == n_units
                and size["n_significant"] == significant
                and size["share"] == pytest.approx(significant / n_units)
            )
        masks = {
            f"{s}.{m}": per_neuron[(per_neuron["kind"] == kind) & (per_neuron["metric"] == f"{s}.{m}")]
            .sort_values("neuron")["p"]
            .to_numpy()
            < alpha
            for s, m in targets
        }
        for a, b in combinations(masks, 2):
            row = overlap[(overlap["kind"] == kind) & (overlap["sets"] == f"{a} & {b}")].iloc[0]
            both, either = int((masks[a] & masks[b]).sum()), int((masks[a] | masks[b]).sum())
            assert (row["n_in_all"], row["n_in_any"]) == (both, either)
            assert row["jaccard"] == pytest.approx(both / either) if either else np.isnan(row["jaccard"])
    assert checked == 2 * 2 * 32
    for figure in ("overlap.png", "correlations.png"):
        assert (results / "neurons" / figure).stat().st_size > 1000


# -- theory, on the finished tiny study -----------------------------------------------------------


def test_theory_weighted_mle_table_matches_a_reference_simulation(tiny_study):
    """tiny.yaml runs weighted_mle with n = 2000 and 3 generations (seed 0, pre-training Beta(3,2), real
    Beta(2,2)). The reference draws the same random numbers (one Generator: the real sample, then each
    weighted generation's sample, then each plain one's, from the table's fitted parameters) and fits
    each Beta itself, by Nelder-Mead on the (weighted) Beta log-likelihood."""
    table = pd.read_csv(tiny_study / "results" / "tiny" / "theory" / "weighted_mle.csv")
    n, generations = 2000, 3
    assert list(table["method"]) == ["weighted"] * generations + ["plain"] * generations
    assert list(table["generation"]) == [*range(generations)] * 2

    def fit(x, weights):
        def loss(log_ab):
            return -(weights * stats.beta.logpdf(x, *np.exp(log_ab))).sum() / weights.sum()

        return np.exp(
            optimize.minimize(loss, np.log([2.0, 2.0]), method="Nelder-Mead", options={"xatol": 1e-9, "fatol": 1e-13, "maxiter": 4000}).x
        )

    rng = np.random.default_rng(0)
    real = rng.beta(2.0, 2.0, size=n)
    for method in ("weighted", "plain"):
        x, density = real, stats.beta(3.0, 2.0).pdf
        for g in range(generations):
            row = table[(table["method"] == method) & (table["generation"] == g)].iloc[0]
            a, b = fit(x, density(x) if method == "weighted" else np.ones(n))
            assert (row["a"], row["b"]) == (pytest.approx(a, rel=2e-3), pytest.approx(b, rel=2e-3)), (method, g)
            assert row["mean"] == pytest.approx(row["a"] / (row["a"] + row["b"]), rel=1e-12)
            assert row["std"] == pytest.approx(stats.beta(row["a"], row["b"]).std(), rel=1e-9)
            density = stats.beta(row["a"], row["b"]).pdf
            x = rng.beta(row["a"], row["b"], size=n)
    # The closed form: Beta(2,2) data weighted by the Beta(3,2) density is Beta(4,3) (mean 4/7), up to sampling.
    first = table[(table["method"] == "weighted") & (table["generation"] == 0)].iloc[0]
    assert first["mean"] == pytest.approx(4 / 7, abs=0.02)
    assert (tiny_study / "results" / "tiny" / "theory" / "weighted_mle.png").stat().st_size > 1000
