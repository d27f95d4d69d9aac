"""The study's tidy metrics table and its figures."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from synthloop.scorers.registry import ALL_DOMAINS  # noqa: E402  (one-domain chains; mixed chains have a row per domain)

KEYS = ["chain", "dataset", "cluster", "strategy", "ratio", "seed", "generation", "scorer", "domain", "metric"]


def metrics_table(summaries: list[tuple[dict, pd.DataFrame]]) -> pd.DataFrame:
    """One row per chain × generation × scorer × domain × metric, with `relative` = value / value at g0.

    Summaries without a `domain` column (written before mixed chains existed) are one-domain sets.
    """
    frames = [summary.assign(**keys) for keys, summary in summaries]
    table = pd.concat(frames, ignore_index=True)
    table["domain"] = table["domain"].fillna(ALL_DOMAINS) if "domain" in table else ALL_DOMAINS
    index = ["chain", "scorer", "domain", "metric"]
    first = table[table["generation"] == 0].set_index(index)["value"]
    base = table.set_index(index).index.map(first.to_dict())
    table["relative"] = table["value"] / pd.Series(base, index=table.index)
    columns = KEYS + [c for c in table.columns if c not in KEYS]
    return table[columns].sort_values(["chain", "generation", "scorer", "metric"]).reset_index(drop=True)


def _per_strategy(table: pd.DataFrame, scorer: str, metric: str) -> pd.DataFrame:
    """Mean over seeds (and clusters) per strategy, ratio, domain of mixed chains and generation; CI bounds averaged for the band."""
    rows = table[(table["scorer"] == scorer) & (table["metric"] == metric)]
    ratio = rows["ratio"].map(lambda r: "" if pd.isna(r) else f" r={r:g}")
    domain = rows["domain"].map(lambda d: "" if d == ALL_DOMAINS else f" ({d})") if "domain" in rows else ""
    rows = rows.assign(strategy=rows["strategy"] + ratio + domain)
    return rows.groupby(["strategy", "generation"], as_index=False)[["value", "ci_low", "ci_high"]].mean()


def plot_scorer(table: pd.DataFrame, scorer: str, path) -> None:
    """One panel per metric, one line per strategy, with the 95% CI band.

    For a lean scorer the panels are the shares of each label (the published Figure 2);
    for the quality classifier, the quality index with its CI (the published Figure 3).
    """
    metrics = sorted(table.loc[table["scorer"] == scorer, "metric"].unique())
    shares = [m for m in metrics if m.startswith("share_")]
    metrics = shares or metrics
    fig, axes = plt.subplots(1, len(metrics), figsize=(4.5 * len(metrics), 3.6), squeeze=False)
    for ax, metric in zip(axes[0], metrics):
        for strategy, rows in _per_strategy(table, scorer, metric).groupby("strategy"):
            ax.plot(rows["generation"], rows["value"], marker="o", label=strategy)
            ax.fill_between(rows["generation"], rows["ci_low"], rows["ci_high"], alpha=0.15)
        title = f"share labelled '{metric.removeprefix('share_')}'" if shares else metric
        ax.set(title=title, xlabel="generation")
        if shares:
            ax.set_ylim(0, 1)
    axes[0][0].set_ylabel(scorer)
    axes[0][-1].legend(frameon=False)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
