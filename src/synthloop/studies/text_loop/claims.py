"""Wang et al.'s (study 1) and Kovač et al.'s (study 2) headline findings, tested on a text-loop study's tables.

Study 1 (section 4, Figures 3 and 5), every change paired by seed, from generation 0 to the study's last:

1. under `replace` the right share rises (section 4.1; the authors' per-article outputs: 54.4% -> 59.2%, peak 67.5%
   at G6), once per lean measure, so that a second measure can confirm or contradict the first one's reading of
   degenerate text;
2. under `replace` the quality index falls (section 4.2; 2.32 -> 1.67);
3. under `preserve` and `accumulate` the last generation's quality index is above `replace`'s (section 4.3, at
   G10: 2.26 and 2.24 against 1.67);
4. under `preserve` and `accumulate` the lean still drifts, once per lean measure ("bias amplification persists
   independently of model collapse"): in the published outputs the right share falls (to 41.9% and 42.7%) while
   the centre share rises; with two labels, the right share's fall is the drift tested.

Study 2 (sections 4.2 and 4.3), on the responses configured under `regression.responses`:

5. the relative shift falls further at the largest synthetic ratio than at the smallest: per seed, the mean over
   clusters of the shift's difference between the two ratios;
6. in the pooled regression of each response on the six standardised cluster properties (the ratio as a
   control, one regression per seed), lexical diversity's coefficient is negative and semantic diversity's and
   quality's are positive (Table 1's caption).

    python -m synthloop.studies.text_loop.claims results/<study> [--markdown]
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from synthloop.analysis.claims import COLUMNS, claim_row, command_line
from synthloop.analysis.regression import chain_shifts, design_table, regress_shift
from synthloop.scorers.registry import ALL_DOMAINS
from synthloop.studies.text_loop.clusters import PROPERTIES

LEAN_METRIC = "share_right"
QUALITY_METRIC = "quality_index"
CLOSE_TO_REAL = ("preserve", "accumulate")  # the published collapse mitigations
COEFFICIENT_SIGNS = {"lexical_diversity": "decrease", "semantic_diversity": "increase", "quality": "increase"}


def chain_values(metrics: pd.DataFrame, metric: str) -> tuple[pd.DataFrame, int]:
    """Per strategy, scorer and seed: the metric at generation 0 (`first`) and at the last one (`last`), the base row left out."""
    rows = metrics[(metrics["metric"] == metric) & (metrics["generation"] >= 0) & (metrics["domain"] == ALL_DOMAINS)]
    last = int(rows["generation"].max())
    wide = rows[rows["generation"].isin([0, last])].pivot_table(
        index=["strategy", "scorer", "seed"], columns="generation", values="value", aggfunc="mean"
    )
    return wide.rename(columns={0: "first", last: "last"}).reset_index(), last


def amplification_rows(metrics: pd.DataFrame) -> list[dict]:
    rows = []
    lean, last = chain_values(metrics, LEAN_METRIC)
    for (strategy, scorer), part in lean.groupby(["strategy", "scorer"]):
        if strategy == "replace":
            claim, expect = "the right share rises under replace (section 4.1; published 54.4% -> 59.2%, peak 67.5% at G6)", "increase"
        elif strategy in CLOSE_TO_REAL:
            claim, expect = (
                f"the lean still drifts under {strategy} (section 4.3; published: the right share falls to 41.9% / 42.7%)",
                "decrease",
            )
        else:
            continue
        rows.append(claim_row(claim, f"{strategy}, {scorer}, G0 -> G{last}", part["last"] - part["first"], expect))
    if not (metrics["metric"] == QUALITY_METRIC).any():
        return rows
    quality, last = chain_values(metrics, QUALITY_METRIC)
    for scorer, part in quality.groupby("scorer"):
        wide = part.pivot_table(index="seed", columns="strategy", values=["first", "last"])
        if "replace" not in wide["last"]:
            continue
        drop = wide["last"]["replace"] - wide["first"]["replace"]
        rows.append(
            claim_row(
                "the quality index falls under replace (section 4.2; published 2.32 -> 1.67)",
                f"replace, {scorer}, G0 -> G{last}",
                drop,
                "decrease",
            )
        )
        for strategy in [s for s in CLOSE_TO_REAL if s in wide["last"]]:
            claim = f"the quality index holds under {strategy}: above replace's at the last generation (section 4.3; published 2.26 / 2.24 against 1.67)"
            rows.append(
                claim_row(
                    claim, f"{strategy} minus replace, {scorer}, G{last}", wide["last"][strategy] - wide["last"]["replace"], "increase"
                )
            )
    return rows


def ratio_rows(shifts: pd.DataFrame) -> list[dict]:
    ratios = sorted(shifts["ratio"].astype(float).unique())
    if len(ratios) < 2:
        return []
    rows = []
    low, high = ratios[0], ratios[-1]
    for response, part in shifts.groupby("metric"):
        by_ratio = part.assign(ratio=part["ratio"].astype(float)).pivot_table(index="seed", columns="ratio", values="shift", aggfunc="mean")
        claim = "the relative loss grows with the synthetic ratio (section 4.2)"
        rows.append(claim_row(claim, f"{response}: ratio {high:g} minus ratio {low:g}", by_ratio[high] - by_ratio[low], "decrease"))
    return rows


def coefficient_rows(shifts: pd.DataFrame, properties: pd.DataFrame, predictors: list[str]) -> list[dict]:
    data = design_table(
        shifts,
        properties[["dataset", "cluster_id", *predictors]],
        ["chain", "dataset", "cluster_id", "ratio", "seed"],
        on=["dataset", "cluster_id"],
    ).assign(ratio=lambda d: d["ratio"].astype(float))
    rows = []
    for response in sorted(shifts["metric"].unique()):
        fits = pd.concat(
            [
                regress_shift(part, response, predictors, controls=["ratio"], scope=f"seed {seed}").assign(seed=seed)
                for seed, part in data.groupby("seed")
            ]
        )
        for term, expect in COEFFICIENT_SIGNS.items():
            if term in predictors:
                per_seed = fits.loc[fits["term"] == term, "coef"]
                claim = f"{term.replace('_', ' ')} {'mitigates' if expect == 'increase' else 'amplifies'} the shift (section 4.3, Table 1)"
                rows.append(claim_row(claim, f"{response}, pooled over ratios, per SD", per_seed, expect))
    return rows


def claims(metrics: pd.DataFrame, properties: pd.DataFrame | None = None, regression: dict | None = None) -> pd.DataFrame:
    """Study 1's rows where the chains have a lean scorer, study 2's where they ran on clusters (coefficients with `properties`)."""
    rows = amplification_rows(metrics) if (metrics["metric"] == LEAN_METRIC).any() else []
    clustered = metrics[metrics["cluster"].notna() & (metrics["domain"] == ALL_DOMAINS)]
    if len(clustered):
        regression = regression or {}
        shifts = chain_shifts(clustered, regression)
        rows += ratio_rows(shifts)
        if properties is not None:
            rows += coefficient_rows(shifts, properties, regression.get("predictors") or list(PROPERTIES))
    return pd.DataFrame(rows, columns=COLUMNS)


def claims_of_results(results: Path, config: dict | None = None) -> pd.DataFrame:
    """The table of a results directory: its metrics, its clusters' properties and the regression settings of
    `config` (default: the run's, from its manifest)."""
    import json

    files = sorted(results.glob("clusters/*/properties.parquet"))
    properties = pd.concat([pd.read_parquet(f).assign(dataset=f.parent.name) for f in files], ignore_index=True) if files else None
    config = config or json.loads((results / "manifest.json").read_text())["config"]
    return claims(pd.read_parquet(results / "metrics.parquet"), properties, config.get("regression"))


if __name__ == "__main__":
    command_line(claims, __doc__, "results/<study> of a text-loop study", of_results=claims_of_results)
