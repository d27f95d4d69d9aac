"""Which data properties predict the shift of recursive chains (study 2, Table 1 and Figure 4).

The response is a chain's relative shift: the mean of a metric over the last k generations
divided by its value at generation 0 (published: generations 15–19 of 20). It is regressed by
OLS on the cluster's standardised properties, so coefficients compare across predictors (the
change in shift per standard deviation of a property).

Pooled models (several datasets in one regression) add dataset fixed effects (dummies, not
reported) and the synthetic ratio as a continuous control, as the published pooled analysis
does: datasets differ in their baseline shift, and the question is whether a property
predicts the shift *within* a dataset. Predictors are standardised over the rows of each
regression (per dataset × ratio, or over the pooled rows).
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from synthloop.core import figures

NON_KEYS = ("generation", "version", "value", "ci_low", "ci_high", "n", "missing", "relative")  # version: the label of generation
RESULT_COLUMNS = ["scope", "response", "term", "coef", "se", "t", "p", "ci_low", "ci_high", "vif", "r2", "r2_adj", "n"]


# -- the response ------------------------------------------------------------------------------


def relative_shift(metrics: pd.DataFrame, last_k: int, by: list[str] | None = None) -> pd.DataFrame:
    """Per chain and metric: initial (generation 0), final (mean of the table's last k generations), shift = final / initial.

    The last k generations are those of the whole table, so a chain that stopped early gets
    NaN (and `final_generations` < k) instead of silently averaging earlier generations.
    """
    by = by or [c for c in metrics.columns if c not in NON_KEYS]
    last = np.sort(metrics["generation"].unique())[-last_k:]
    initial = metrics[metrics["generation"] == 0].groupby(by, dropna=False)["value"].mean().rename("initial")
    tail = metrics[metrics["generation"].isin(last)].groupby(by, dropna=False)["value"]
    out = pd.concat([initial, tail.mean().rename("final"), tail.count().rename("final_generations")], axis=1).reset_index()
    out["final_generations"] = out["final_generations"].fillna(0).astype(int)
    out.loc[out["final_generations"] < len(last), "final"] = np.nan
    out["shift"] = out["final"] / out["initial"]
    return out


def select_responses(metrics: pd.DataFrame, responses: list[dict] | None = None) -> pd.DataFrame:
    """The metrics table restricted to the configured responses ({scorer, metric}; default all), metrics named 'scorer:metric'."""
    if responses:
        metrics = metrics.merge(pd.DataFrame(responses), on=["scorer", "metric"])
    return metrics.assign(metric=metrics["scorer"] + ":" + metrics["metric"]).drop(columns=["relative"], errors="ignore")


def chain_shifts(metrics: pd.DataFrame, settings: dict) -> pd.DataFrame:
    """Each chain's relative shift per configured response (`regression.responses`, `last_k`), keyed by cluster_id."""
    shifts = relative_shift(select_responses(metrics, settings.get("responses")), int(settings.get("last_k", 5)))
    return shifts.rename(columns={"cluster": "cluster_id"})


def design_table(
    shifts: pd.DataFrame, properties: pd.DataFrame, index: list[str], on: str = "cluster_id", metric: str = "metric"
) -> pd.DataFrame:
    """One row per chain: its shifts as columns (one per metric) next to its cluster's properties."""
    wide = shifts.pivot_table(index=index, columns=metric, values="shift", aggfunc="mean").reset_index()
    wide.columns.name = None
    return wide.merge(properties, on=on, how="left", validate="many_to_one")


def check_predictors(properties: pd.DataFrame, predictors: list[str]) -> list[str]:
    """The configured predictors, each of which the properties table must hold: a missing one is an error
    naming it, never silently dropped (a regression without it answers a different question)."""
    missing = [p for p in predictors if p not in properties.columns or properties[p].isna().all()]
    if missing:
        raise ValueError(
            f"regression predictor(s) {missing} missing from the cluster properties (columns: {sorted(properties.columns)}); "
            "configure the scorer that computes them (quality: a quality_classifier or an llm_judge with aspect quality) "
            "or leave them out of regression.predictors"
        )
    return list(predictors)


def seed_means(data: pd.DataFrame, keys: list[str], responses: list[str]) -> pd.DataFrame:
    """One row per cluster × ratio (the `keys`): the seeds' shifts averaged.

    Seeds of one cluster and ratio share the cluster's properties; as separate rows they would
    count as independent clusters and overstate the p-values. `n` then counts clusters × ratios.
    """
    properties = [c for c in data.columns if c not in (*responses, *keys, "chain", "seed")]
    grouped = data.groupby(keys, dropna=False, sort=True)
    return pd.concat([grouped[list(responses)].mean(), grouped[properties].first(), grouped.size().rename("seeds")], axis=1).reset_index()


# -- the regression ----------------------------------------------------------------------------


def zscores(frame: pd.DataFrame) -> pd.DataFrame:
    spread = frame.std(ddof=0)
    return (frame - frame.mean()) / spread.where(spread > 0, 1.0)


def design_matrix(data: pd.DataFrame, predictors: list[str], controls=(), fixed_effects=()) -> pd.DataFrame:
    """Constant, standardised predictors, then controls and fixed-effect dummies that vary in these rows."""
    import statsmodels.api as sm

    parts = [zscores(data[list(predictors)].astype(float))]
    parts += [zscores(data[[c]].astype(float)) for c in controls if data[c].nunique() > 1]
    parts += [pd.get_dummies(data[f].astype(str), prefix=f, drop_first=True, dtype=float) for f in fixed_effects if data[f].nunique() > 1]
    return sm.add_constant(pd.concat(parts, axis=1), has_constant="add")


def vifs(exog: pd.DataFrame, terms: list[str]) -> list[float]:
    from statsmodels.stats.outliers_influence import variance_inflation_factor

    values = exog.to_numpy(dtype=float)
    with np.errstate(divide="ignore"):
        return [float(variance_inflation_factor(values, exog.columns.get_loc(term))) for term in terms]


def regress_shift(data: pd.DataFrame, response: str, predictors: list[str], controls=(), fixed_effects=(), scope: str = "") -> pd.DataFrame:
    """OLS of `response` on standardised predictors: one row per predictor (coef, se, t, p, 95% CI, VIF) with the fit's R², adjusted R² and n."""
    import statsmodels.api as sm

    rows = data.replace([np.inf, -np.inf], np.nan).dropna(
        subset=[response, *predictors]
    )  # a metric at 0 in generation 0 has no relative shift
    if len(rows) <= len(predictors) + 1:
        raise ValueError(
            f"{scope or 'regression'}: {len(rows)} complete rows for {len(predictors)} predictors of {response!r}; need more chains"
        )
    exog = design_matrix(rows, predictors, controls, fixed_effects)
    fit = sm.OLS(rows[response].astype(float), exog).fit()
    ci = fit.conf_int(0.05)
    out = pd.DataFrame(
        {
            "scope": scope,
            "response": response,
            "term": list(predictors),
            "coef": fit.params[predictors].to_numpy(),
            "se": fit.bse[predictors].to_numpy(),
            "t": fit.tvalues[predictors].to_numpy(),
            "p": fit.pvalues[predictors].to_numpy(),
            "ci_low": ci.loc[predictors, 0].to_numpy(),
            "ci_high": ci.loc[predictors, 1].to_numpy(),
            "vif": vifs(exog, list(predictors)),
            "r2": fit.rsquared,
            "r2_adj": fit.rsquared_adj,
            "n": int(fit.nobs),
        }
    )
    return out[RESULT_COLUMNS]


def scope_name(keys: tuple, values: tuple) -> str:
    return ", ".join(f"{k}={v}" for k, v in zip(keys, values))


def regress_all(
    data: pd.DataFrame,
    responses: list[str],
    predictors: list[str],
    by=("dataset", "ratio"),
    pooled_by=(),
    fixed_effects=("dataset",),
    controls=("ratio",),
) -> pd.DataFrame:
    """Every response regressed per group of `by` (e.g. dataset × ratio) and pooled (per `pooled_by`, with fixed effects and controls)."""
    results = []
    for values, rows in data.groupby(list(by), sort=True):
        if len(rows) <= len(predictors) + 1:  # e.g. a miniature with 4 clusters: only the pooled fit is identified
            logging.getLogger(__name__).warning(
                "%s: %d chains for %d predictors, skipped", scope_name(by, values), len(rows), len(predictors)
            )
            continue
        results += [regress_shift(rows, r, predictors, scope=scope_name(by, values)) for r in responses]
    pooled_groups = data.groupby(list(pooled_by), sort=True) if pooled_by else [((), data)]
    for values, rows in pooled_groups:
        scope = "pooled" + (f" ({scope_name(pooled_by, values)})" if pooled_by else "")
        results += [
            regress_shift(rows, r, predictors, [c for c in controls if c in rows], [f for f in fixed_effects if f in rows], scope)
            for r in responses
        ]
    return pd.concat(results, ignore_index=True)


def regress_clusters(metrics: pd.DataFrame, properties: pd.DataFrame, settings: dict, predictors: list[str]) -> pd.DataFrame:
    """Study 2's single-domain regressions from the metrics table and the clusters' properties (one row per
    dataset × cluster_id): each chain's relative shift, seeds averaged (settings['seed_rows'] = 'mean')
    or kept as rows ('separate'), regressed per dataset × ratio and pooled."""
    predictors = check_predictors(properties, predictors)
    shifts = chain_shifts(metrics, settings)
    data = design_table(
        shifts,
        properties[["dataset", "cluster_id", *predictors]],
        ["chain", "dataset", "cluster_id", "strategy", "ratio", "seed"],
        on=["dataset", "cluster_id"],
    )
    responses = sorted(shifts["metric"].unique())
    if settings["seed_rows"] == "mean":
        data = seed_means(data, ["dataset", "cluster_id", "strategy", "ratio"], responses)
    return regress_all(data, responses, predictors)


# -- multi-domain (mixed) clusters -------------------------------------------------------------


def mixed_predictors(components: pd.DataFrame, properties: pd.DataFrame, predictors: list[str]) -> pd.DataFrame:
    """One row per mixed cluster (cluster_id) with each component cluster's properties as '<domain>:<property>' columns.

    `components` (cluster_id, domain, component) says which cluster of each domain a mixed cluster
    joined; `properties` holds one row per (dataset, cluster_id). Every domain's columns enter
    each domain's regression, so a domain's shift may depend on the other domains' data
    (published: three domains × six properties = 18 predictors).
    """
    table = properties.rename(columns={"dataset": "domain", "cluster_id": "component"})[["domain", "component", *predictors]]
    merged = components.merge(table, on=["domain", "component"], how="left", validate="many_to_one")
    missing = merged[merged[list(predictors)].isna().all(axis=1)]
    if len(missing):
        raise ValueError(f"no properties for component cluster(s) {sorted(zip(missing['domain'], missing['component']))}")
    wide = merged.pivot(index="cluster_id", columns="domain", values=list(predictors))
    wide.columns = [f"{domain}:{prop}" for prop, domain in wide.columns]
    domains = list(dict.fromkeys(components["domain"]))
    return wide[[f"{d}:{p}" for d in domains for p in predictors]].reset_index()


def regress_mixed_clusters(
    metrics: pd.DataFrame, properties: pd.DataFrame, components: pd.DataFrame, settings: dict, predictors: list[str]
) -> pd.DataFrame:
    """Study 2's multi-domain regressions: each domain's shift on every domain's properties (seeds averaged as in regress_clusters)."""
    table = mixed_predictors(components, properties, check_predictors(properties, predictors))
    shifts = chain_shifts(metrics, settings)
    data = design_table(shifts, table, ["chain", "cluster_id", "strategy", "ratio", "seed", "domain"])
    responses = sorted(shifts["metric"].unique())
    if settings["seed_rows"] == "mean":
        data = seed_means(data, ["cluster_id", "strategy", "ratio", "domain"], responses)
    return regress_mixed(data, responses, [c for c in table.columns if c != "cluster_id"])


def regress_mixed(data: pd.DataFrame, responses: list[str], predictors: list[str]) -> pd.DataFrame:
    """Each response domain's shifts on every domain's predictors: per domain × ratio, and pooled per domain (ratio as control).

    `data` has one row per mixed chain × response domain (column `domain`); scopes read e.g.
    'domain=speech, pooled'.
    """
    frames = []
    for domain, rows in data.groupby("domain", sort=False):
        results = regress_all(rows, responses, predictors, by=("ratio",), fixed_effects=(), controls=("ratio",))
        frames.append(results.assign(domain=domain, scope=f"domain={domain}, " + results["scope"]))
    return pd.concat(frames, ignore_index=True)[["domain", *RESULT_COLUMNS]]


# -- Table 1 -----------------------------------------------------------------------------------


def stars(p: float) -> str:
    return "***" if p < 0.001 else "**" if p < 0.01 else "*" if p < 0.05 else ""


def table1(
    results: pd.DataFrame,
    responses: list[str] | None = None,
    predictors: list[str] | None = None,
    labels: dict | None = None,
    digits: int = 3,
) -> pd.DataFrame:
    """The published Table 1: predictors as rows, responses as columns, 'coef***' cells, then R² and n rows.

    `results` must hold one regression per response (filter on `scope` first).
    """
    if results.duplicated(["response", "term"]).any():
        raise ValueError(
            f"table1 needs one regression per response; filter `results` on scope first (scopes: {sorted(results['scope'].unique())})"
        )
    responses = responses or list(dict.fromkeys(results["response"]))
    predictors = predictors or list(dict.fromkeys(results["term"]))
    cells = results.assign(cell=[f"{c:.{digits}f}{stars(p)}" for c, p in zip(results["coef"], results["p"])])
    table = cells.pivot(index="term", columns="response", values="cell").reindex(index=predictors, columns=responses)
    fit = results.groupby("response")[["r2", "n"]].first().reindex(responses)
    table.loc["R²"] = [f"{v:.2f}" for v in fit["r2"]]
    table.loc["n"] = [str(int(v)) for v in fit["n"]]
    labels = labels or {}
    table = table.rename(index=labels, columns=labels)
    table.index.name, table.columns.name = "predictor", None
    return table


def write_markdown(
    table: pd.DataFrame, path, note: str = "Cells: OLS coefficient per SD of the predictor; * p<0.05, ** p<0.01, *** p<0.001."
) -> None:
    Path(path).write_text(table.to_markdown() + f"\n\n{note}\n")


def write_csv(table: pd.DataFrame, path) -> None:
    table.to_csv(path)


# -- Figure 4 ----------------------------------------------------------------------------------


def coefficient_plot(
    results: pd.DataFrame, path, panel: str = "response", labels: dict | None = None, title: str = "", row: str | None = None
) -> None:
    """One panel per response (or domain), one row of panels per value of `row` (e.g. the response when
    panels are domains): each predictor's coefficient with its 95% CI; filled markers where p < 0.05."""
    labels = labels or {}
    panels = list(dict.fromkeys(results[panel]))
    rows_of = list(dict.fromkeys(results[row])) if row else [None]
    terms = list(dict.fromkeys(results["term"]))
    fig, axes = figures.subplots(
        len(rows_of), len(panels), figsize=(3.6 * len(panels) + 1.5, (0.35 * len(terms) + 1.4) * len(rows_of)), sharey=True, squeeze=False
    )
    y = np.arange(len(terms))[::-1]
    for line, key in zip(axes, rows_of):
        for ax, name in zip(line, panels):
            chosen = (results[panel] == name) & ((results[row] == key) if row else True)
            rows = results[chosen].set_index("term").reindex(terms)
            significant = (rows["p"] < 0.05).to_numpy()
            ax.errorbar(
                rows["coef"], y, xerr=[rows["coef"] - rows["ci_low"], rows["ci_high"] - rows["coef"]], fmt="none", ecolor="0.4", capsize=2
            )
            ax.scatter(rows["coef"][significant], y[significant], color="C3", zorder=3, label="p < 0.05")
            ax.scatter(rows["coef"][~significant], y[~significant], facecolor="white", edgecolor="0.3", zorder=3, label="n.s.")
            ax.axvline(0, color="0.6", lw=0.8, ls="--")
            heading = labels.get(name, name) if key is None else f"{labels.get(key, key)} | {labels.get(name, name)}"
            ax.set(title=heading, xlabel="coefficient (per SD)")
        line[0].set_yticks(y, [labels.get(t, t) for t in terms])
    axes[0][-1].legend(frameon=False, loc="lower right", fontsize="small")
    if title:
        fig.suptitle(title)
    figures.save(fig, path)
