"""The study's tidy metrics table and its figures."""

from __future__ import annotations

import numpy as np
import pandas as pd

from synthloop.core import figures
from synthloop.core.intervals import t_half_width
from synthloop.scorers.registry import ALL_DOMAINS  # one-domain chains; mixed chains have a row per domain

KEYS = ["chain", "dataset", "cluster", "strategy", "ratio", "seed", "generation", "scorer", "domain", "metric"]
from synthloop.core.vocabulary import BASE_GENERATION as BASE  # the base model before any fine-tuning (Wang et al.'s Figure 2)


def version_label(generation: int) -> str:
    """'base' for the base model before any fine-tuning, else 'g<n>'."""
    return "base" if generation == BASE else f"g{int(generation)}"


def metrics_table(summaries: list[tuple[dict, pd.DataFrame]]) -> pd.DataFrame:
    """One row per chain × generation × scorer × domain × metric, with `relative` = value / value at g0.

    Summaries without a `domain` column (written before mixed chains existed) are one-domain sets.
    The base model's row, when scored, has generation -1 (BASE) and `version` 'base'; the others 'g0', 'g1', ….
    """
    frames = [summary.assign(**keys) for keys, summary in summaries]
    table = pd.concat(frames, ignore_index=True)
    table["domain"] = table["domain"].fillna(ALL_DOMAINS) if "domain" in table else ALL_DOMAINS
    index = ["chain", "scorer", "domain", "metric"]
    first = table[table["generation"] == 0].set_index(index)["value"]
    base = table.set_index(index).index.map(first.to_dict())
    table["relative"] = table["value"] / pd.Series(base, index=table.index)
    table["version"] = table["generation"].map(version_label)
    columns = KEYS + [c for c in table.columns if c not in KEYS]
    return table[columns].sort_values(["chain", "generation", "scorer", "metric"]).reset_index(drop=True)


def line_labels(rows: pd.DataFrame) -> pd.Series:
    """A figure line per strategy and ratio (the same label, hence colour, in every figure of a study);
    a branched chain's line names its parent strategy and branch point: 'replace→accumulate@g3'.
    Chains on several whole datasets (study 1's balanced and center-only setups, lean partitions) are
    different setups, never averaged together: their lines are prefixed 'dataset: '. Cluster chains
    (study 2) keep one line per strategy and ratio, averaged over clusters."""
    strategy = rows["strategy"].astype(str)
    if "branch_from" in rows:
        branched = rows["branch_from"].notna()
        at = rows["branch_at"].map(lambda k: "" if pd.isna(k) else f"@g{int(k)}")
        strategy = strategy.where(~branched, rows["branch_from"].astype(str) + "→" + strategy + at)
    if "dataset" in rows and rows["dataset"].nunique() > 1 and ("cluster" not in rows or rows["cluster"].isna().all()):
        strategy = rows["dataset"].astype(str) + ": " + strategy
    return strategy + rows["ratio"].map(lambda r: "" if pd.isna(r) else f" r={r:g}")


def from_branch_points(rows: pd.DataFrame) -> pd.DataFrame:
    """A branch's rows from its branch point on: the last generation it shares with its parent (k-1), then its own.
    Before that its line would lie on its parent's."""
    if "branch_at" not in rows:
        return rows
    return rows[rows["branch_at"].isna() | (rows["generation"] >= rows["branch_at"] - 1)]


def across_seeds(rows: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Mean over seeds per line, domain and generation, with a t interval across seeds.

    Clusters of one seed are averaged first, so each seed counts once. With one seed there is no
    spread across seeds: the band is the texts' own CI (ci_low/ci_high), and `band` says which.
    """
    by_seed = rows.groupby(["line", "domain", "generation", "seed"], as_index=False)[["value", "ci_low", "ci_high"]].mean()
    groups = by_seed.groupby(["line", "domain", "generation"])
    out = groups.agg(
        value=("value", "mean"), sd=("value", "std"), n=("value", "size"), text_low=("ci_low", "mean"), text_high=("ci_high", "mean")
    ).reset_index()
    half = t_half_width(out["sd"], out["n"], level)
    several = out["n"] > 1
    out["ci_low"] = np.where(several, out["value"] - half, out["text_low"])
    out["ci_high"] = np.where(several, out["value"] + half, out["text_high"])
    out["band"] = np.where(several, "seeds", "texts")
    return out.drop(columns=["sd", "text_low", "text_high"])


def plot_scorer(table: pd.DataFrame, scorer: str, path) -> None:
    """One panel per metric, one line per strategy (and ratio): the mean over seeds with a 95% band.

    The band is across seeds when there are several, else the texts' own CI; the figure says which.
    For a lean scorer the panels are the shares of each label (the published Figures 3a, 6 and 7; the base model
    before fine-tuning, when scored, is the square at 'base': the published Figure 2);
    for the quality classifier, the quality index with its CI (the published Figure 3).
    Mixed chains draw one line per domain (line style) in the strategy's colour. A branched chain's line
    starts at its branch point (the last generation shared with its parent, marked ◆).
    """
    table = from_branch_points(table).assign(line=line_labels(table))
    names = sorted(table["line"].unique())
    rows = table[table["scorer"] == scorer]
    branch_lines = set(rows.loc[rows["branch_at"].notna(), "line"]) if "branch_at" in rows else set()
    metrics = sorted(rows["metric"].unique())
    shares = [m for m in metrics if m.startswith("share_")]
    metrics = shares or metrics
    styles = dict(zip(sorted(rows["domain"].unique()), ["-", "--", ":", "-."] * 8))
    fig, axes = figures.subplots(1, len(metrics), figsize=(4.5 * len(metrics), 3.8), squeeze=False)
    bands = set()
    for ax, metric in zip(axes[0], metrics):
        summary = across_seeds(rows[rows["metric"] == metric])
        bands |= {f"{b} (n={n})" if b == "seeds" else b for b, n in zip(summary["band"], summary["n"])}
        for (line, domain), both in summary.groupby(["line", "domain"]):
            colour = figures.colour_for(line, names)
            label = line if domain == ALL_DOMAINS else f"{line} ({domain})"
            part, base = both[both["generation"] != BASE], both[both["generation"] == BASE]
            ax.plot(part["generation"], part["value"], marker="o", color=colour, linestyle=styles[domain], label=label)
            ax.fill_between(part["generation"], part["ci_low"], part["ci_high"], color=colour, alpha=0.15)
            if len(base) and len(part):  # the base model before fine-tuning: a square, joined to g0 by a dotted line
                start = part.sort_values("generation").iloc[0]
                ax.plot([BASE, start["generation"]], [base["value"].iloc[0], start["value"]], color=colour, linestyle=":")
                ax.errorbar(
                    [BASE],
                    base["value"],
                    yerr=[base["value"] - base["ci_low"], base["ci_high"] - base["value"]],
                    marker="s",
                    color=colour,
                    capsize=3,
                )
            if line in branch_lines:
                first = part.sort_values("generation").iloc[0]
                ax.plot([first["generation"]], [first["value"]], marker="D", markersize=9, color=colour, markeredgecolor="black")
        title = f"share labelled '{metric.removeprefix('share_')}'" if shares else metric
        ax.set(title=title, xlabel="generation")
        figures.integer_ticks(ax)
        if (summary["generation"] == BASE).any():
            ticks = [t for t in ax.get_xticks() if t >= 0 and t <= summary["generation"].max() and float(t).is_integer()]
            ax.set_xticks([BASE, *ticks], ["base", *(str(int(t)) for t in ticks)])
        if shares:
            ax.set_ylim(-0.03, 1.03)  # lines at 0 or 1 (a tiny run) stay visible, not half hidden by the frame
    axes[0][0].set_ylabel(scorer)
    axes[0][-1].legend(frameon=False, fontsize=8)
    fig.suptitle(f"{scorer}: mean over seeds; band: 95% interval across {', '.join(sorted(bands))}", fontsize=9)
    figures.save(fig, path)
