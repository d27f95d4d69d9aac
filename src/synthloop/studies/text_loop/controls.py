"""Positive controls of studies 1 and 2: runs with an effect of known size, which the study's own
measurement must recover within its 95% interval.

Study 1 (lean): generation backend `control` writes real, labelled documents of the chain's
generation-0 set instead of model text, drawn (seeded by the job) so that a share p of them is
right-leaning; p may change from generation to generation (a planted drift). The study's lean
scorer then measures each generation. Its expected measured share is p·TPR + (1−p)·FPR, with the
classifier's rates from its own held-out split (the lean classifier table), so the recovered share
is (measured − FPR) / (TPR − FPR), and the planted p must lie inside its interval across seeds.

Study 2 (cluster regression): a chain metric whose value at each generation is planted so that a
cluster's relative shift is 1 + slope(ratio)·z(property) + noise, for the real clusters'
properties. The study's own regression (analysis.regression.regress_clusters) must recover the
slope's sign and size (a coefficient per SD of the property) within its interval, per ratio.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from synthloop.analysis.claims import MIN_SEEDS
from synthloop.core.config import ConfigError
from synthloop.core.intervals import t_half_width
from synthloop.core.seeds import stable_seed

# n: seeds (study 1, the interval is across seeds) or clusters × ratios in the fit (study 2, the regression's interval)
CONTROL_COLUMNS = ["control", "scope", "planted", "expected", "measured", "recovered", "low", "high", "n", "verdict"]


def recovery_verdict(planted: float, low: float, high: float, n: int, minimum: int = MIN_SEEDS) -> str:
    """recovered: the planted value lies in the 95% interval; missed: outside it; inconclusive with fewer than `minimum` values."""
    if n < minimum or np.isnan(low) or np.isnan(high):
        return "inconclusive"
    return "recovered" if low <= planted <= high else "missed"


def check(config: dict) -> None:
    """A control's settings, before any job starts: each error names its key."""
    generate = config["generate"]
    if (generate.get("backend") == "control") != ("control" in generate):
        raise ConfigError(
            "config keys 'generate.backend' and 'generate.control': backend control needs a generate.control block, and only it reads one"
        )
    if "control" in generate:
        if generate["mode"] != "blocks":
            raise ConfigError(
                f"config key 'generate.backend': control writes real documents in place of block continuations; generate.mode is {generate['mode']!r}, not blocks"
            )
        if not isinstance(config["chains"].get("dataset"), str):
            raise ConfigError(f"config key 'chains.dataset': a lean control runs on one dataset, not {config['chains'].get('dataset')!r}")
        share = generate["control"]["right_share"]
        if isinstance(share, list) and len(share) != config["generations"]:
            raise ConfigError(
                f"config key 'generate.control.right_share': {len(share)} shares for {config['generations']} generations; give one per generation or a single number"
            )
        if config["chains"].get("score_base") is not False:
            raise ConfigError(
                "config key 'chains.score_base': a lean control has no base model text to score; set chains.score_base: false"
            )
    control = config.get("regression", {}).get("control")
    if control:
        from synthloop.studies.text_loop.clusters import PROPERTIES

        predictors = config["regression"].get("predictors") or list(PROPERTIES)
        if control["property"] not in predictors:
            raise ConfigError(
                f"config key 'regression.control.property': {control['property']!r} is not among the regression's predictors {predictors}"
            )
        if not config["chains"].get("clusters"):
            raise ConfigError(
                "config key 'regression.control': a cluster control needs clusters (chains.clusters) whose properties it plants on"
            )


# -- study 1: a planted right share -------------------------------------------------------------


def planted_share(control: dict, generation: int) -> float:
    """The right share planted at `generation`: one number for every generation, or one per generation
    (the base model's row, generation −1, is planted as generation 0)."""
    share = control["right_share"]
    return float(share[max(generation, 0)] if isinstance(share, list) else share)


def control_documents(prompts: pd.DataFrame, right_share: float, seed: int, generation: int) -> pd.DataFrame:
    """round(p·n) right-labelled and n − round(p·n) other documents of `prompts` (n = len(prompts)), in a seeded order.

    Each side is drawn without replacement while it has enough documents, with replacement beyond;
    `planted_label` keeps each row's true label for audit (scorers read only the text).
    """
    if "label" not in prompts:
        raise ValueError(f"generate.backend control needs labelled prompts; columns: {list(prompts.columns)}")
    n = len(prompts)
    k = round(right_share * n)
    rng = np.random.default_rng(stable_seed(seed, "control", generation))
    right, other = np.flatnonzero(prompts["label"].to_numpy() == "right"), np.flatnonzero(prompts["label"].to_numpy() != "right")
    if (k and not len(right)) or (n - k and not len(other)):
        raise ValueError(
            f"generate.control.right_share {right_share} needs both right and other documents; the prompts have {len(right)} right, {len(other)} other"
        )
    picks = np.concatenate([rng.choice(right, k, replace=k > len(right)), rng.choice(other, n - k, replace=n - k > len(other))])
    picks = picks[rng.permutation(n)]
    chosen = prompts.iloc[picks]
    return pd.DataFrame(
        {
            "doc_id": [f"g{generation}-control-{i:05d}" for i in range(n)],
            "text": chosen["text"].to_numpy(),
            "generation": generation,
            "planted_label": chosen["label"].to_numpy(),
        }
    )


def classifier_rates(table: pd.DataFrame) -> tuple[float, float, int, int]:
    """TPR, FPR for `right` and the test documents of each side, from the lean classifier table's random stratified split."""
    row = table[table["split"] == "random_stratified"].iloc[0]
    return float(row["tpr_right"]), float(row["fpr_right"]), int(row["n_right"]), int(row["n_other"])


def corrected_interval(per_seed, rates: tuple[float, float, int, int], absolute: bool) -> tuple[float, float, float, int]:
    """Mean and 95% interval of the recovered share (`absolute`) or change of share, (measured − FPR) / (TPR − FPR) per seed.

    The interval counts the seeds' spread and the sampling error of the estimated TPR and FPR (binomial,
    by the delta method): a control run with many seeds would otherwise be held to rates known only to a
    few hundred test documents.
    """
    tpr, fpr, n_right, n_other = rates
    gap = tpr - fpr
    values = (np.asarray(per_seed, dtype=float) - (fpr if absolute else 0.0)) / gap
    values = values[~np.isnan(values)]
    n = len(values)
    if n < 2:
        return (float(values.mean()) if n else np.nan), np.nan, np.nan, n
    mean = float(values.mean())
    var_rates = (mean / gap) ** 2 * tpr * (1 - tpr) / n_right + ((mean - float(absolute)) / gap) ** 2 * fpr * (1 - fpr) / n_other
    half = float(t_half_width(np.sqrt(values.var(ddof=1) + n * var_rates), n))  # t x sqrt(var / n + var_rates)
    return mean, mean - half, mean + half, n


def lean_control_table(
    metrics: pd.DataFrame, control: dict, generations: list[int], rates: dict[str, tuple[float, float, int, int]]
) -> pd.DataFrame:
    """Planted, expected and recovered right share per scorer × strategy × generation, and the planted change (last − first).

    `metrics` is the study's metrics table; `rates` maps each lean scorer to classifier_rates(). The
    recovered share corrects the measured one for the classifier's errors (corrected_interval).
    """
    rows = []
    shares = metrics[metrics["metric"] == "share_right"]
    for scorer, scorer_rates in rates.items():
        tpr, fpr = scorer_rates[:2]
        for strategy, data in shares[shares["scorer"] == scorer].groupby("strategy", sort=True):
            per_seed = data.pivot_table(index="seed", columns="generation", values="value", aggfunc="mean")
            first, last = generations[0], generations[-1]
            cases = [(f"g{g}", planted_share(control, g), per_seed[g], True) for g in generations]
            cases.append(
                (
                    f"g{last} - g{first}",
                    planted_share(control, last) - planted_share(control, first),
                    per_seed[last] - per_seed[first],
                    False,
                )
            )
            for name, planted, measured, absolute in cases:
                mean, low, high, seeds = corrected_interval(measured, scorer_rates, absolute)
                rows.append(
                    {
                        "control": "right share",
                        "scope": f"{scorer}, {strategy}, {name}",
                        "planted": planted,
                        "expected": planted * (tpr - fpr) + (fpr if absolute else 0.0),
                        "measured": float(np.nanmean(measured)),
                        "recovered": mean,
                        "low": low,
                        "high": high,
                        "n": seeds,
                        "verdict": recovery_verdict(planted, low, high, seeds),
                    }
                )
    return pd.DataFrame(rows, columns=CONTROL_COLUMNS)


# -- study 2: a planted shift per cluster ---------------------------------------------------------


def planted_cluster_metrics(
    properties: pd.DataFrame, control: dict, ratios: list[float], seeds: list[int], generations: list[int]
) -> pd.DataFrame:
    """A metrics table (the regress rule's input) whose metric `control:planted` shifts by 1 + slope·z(property) + N(0, noise).

    One chain per dataset × cluster × ratio × seed; the value is 1 at generation 0 and the planted
    shift at every later generation, so the study's relative shift (last k generations over
    generation 0) is the planted one. z is the property standardised over the dataset's clusters,
    as the regression standardises it; the slope is control['slope'] times the ratio (a ratio the
    analysis ignored would blur the slopes of different ratios into one).
    """
    rows = []
    prop = control["property"]
    for dataset, clusters in properties.groupby("dataset", sort=True):
        values = clusters[prop].astype(float)
        z = ((values - values.mean()) / values.std(ddof=0)).to_numpy()
        for ratio in ratios:
            for seed in seeds:
                rng = np.random.default_rng(stable_seed(control["seed"], "planted-shift", dataset, ratio, seed))
                shifts = 1.0 + control["slope"] * ratio * z + rng.normal(0.0, control["noise"], len(z))
                for cluster, shift in zip(clusters["cluster_id"], shifts):
                    keys = {
                        "chain": f"{dataset}-{cluster}-r{ratio}-s{seed}",
                        "dataset": dataset,
                        "cluster": cluster,
                        "strategy": "control",
                        "ratio": ratio,
                        "seed": seed,
                        "domain": "all",
                        "scorer": "control",
                        "metric": "planted",
                    }
                    rows += [{**keys, "generation": g, "value": 1.0 if g == 0 else float(shift)} for g in generations]
    return pd.DataFrame(rows)


def cluster_control_table(results: pd.DataFrame, control: dict, ratios: list[float]) -> pd.DataFrame:
    """Planted and recovered slope per dataset × ratio scope of the study's regression (its coefficient and 95% interval)."""
    rows = []
    planted = results[(results["term"] == control["property"]) & (results["response"] == "control:planted")]
    for _, row in planted.iterrows():
        ratio = next((r for r in ratios if f"ratio={r}" in row["scope"].split(", ")), None)
        if ratio is None:
            continue  # the pooled fit mixes ratios: its slope is no single planted value
        slope = control["slope"] * ratio
        rows.append(
            {
                "control": f"shift per SD of {control['property']}",
                "scope": row["scope"],
                "planted": slope,
                "expected": slope,
                "measured": row["coef"],
                "recovered": row["coef"],
                "low": row["ci_low"],
                "high": row["ci_high"],
                "n": int(row["n"]),
                "verdict": recovery_verdict(slope, row["ci_low"], row["ci_high"], int(row["n"]), minimum=3),
            }
        )
    return pd.DataFrame(rows, columns=CONTROL_COLUMNS)


def cluster_control(
    properties: pd.DataFrame, regression: dict, ratios: list[float], seeds: list[int], generations: list[int]
) -> pd.DataFrame:
    """The cluster control end to end: the planted metrics, the study's own regress_clusters with its configured
    settings and predictors (responses: the planted metric only), and the planted-against-recovered table."""
    from synthloop.analysis.regression import regress_clusters
    from synthloop.studies.text_loop.clusters import PROPERTIES

    control = regression["control"]
    metrics = planted_cluster_metrics(properties, control, ratios, seeds, generations)
    settings = {**regression, "responses": [{"scorer": "control", "metric": "planted"}]}
    results = regress_clusters(metrics, properties, settings, regression["predictors"] or list(PROPERTIES))
    return cluster_control_table(results, control, ratios)
