"""Political-lean partitions of study 2 (Kovač et al.): datasets with a fixed share of left-leaning
texts, the final lean of their chains against the initial lean, and eight lean buckets over generations.

Lean is one continuous value per text on 0 (left) .. 100 (right), from the configured lean scorer
(synthloop.scorers.registry.LEAN_MEASURES): the lean classifier's expected position (100·p(right) with
left/right labels), or the judge's 0-100 score (its -1, not political, is missing). Left is below
50, right above, as in `lean_sides` below; the buckets are eight equal-width bins.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from synthloop.core import figures
from synthloop.core.config import ConfigError
from synthloop.core.seeds import stable_seed
from synthloop.scorers.registry import LEAN_MEASURES

N_BUCKETS = 8
CENTRE = 50.0
from synthloop.core.vocabulary import REAL_GENERATION as REAL  # a partition's real texts in the tables

KEYS = ["chain", "dataset", "cluster", "strategy", "ratio", "seed", "left_share"]


def lean_values(per_text: pd.DataFrame, kind: str) -> pd.Series:
    """The 0-100 lean per text from a lean scorer's per-text table; NaN where it has none."""
    column = LEAN_MEASURES[kind]
    if column not in per_text.columns:
        raise ValueError(
            f"scorer kind {kind!r} wrote no {column!r} column (columns: {list(per_text.columns)}); "
            "a lean classifier needs the labels left and right, a judge the aspect lean"
        )
    return pd.to_numeric(per_text[column], errors="coerce").reset_index(drop=True)


def draw_partition(scored: pd.DataFrame, name: str, spec: dict, seed: int) -> pd.DataFrame:
    """One partition of `spec['size']` texts, round(left_share·size) of them left of centre, from texts scored in column `lean`.

    domains.lean_partitions seeds each share separately, so a partition is the same whichever
    other partitions are configured. A shortage of one side is a config error naming the key.
    """
    try:
        return lean_partitions(scored, "lean", spec["size"], seed, shares=(spec["left_share"],), threshold=CENTRE)
    except ValueError as error:
        raise ConfigError(
            f"config key 'datasets.{name}.size': {error}; lower size or raise datasets.{spec['from']}.finetune_size"
        ) from None


def lean_buckets(values, n: int = N_BUCKETS) -> np.ndarray:
    """Bucket 0..n-1 of each 0-100 value in n equal-width bins (100 falls in the last); NaN stays NaN."""
    values = np.asarray(values, dtype=float)
    return np.where(np.isnan(values), np.nan, np.clip(np.floor(values / (100.0 / n)), 0, n - 1))


def bucket_label(bucket: int, n: int = N_BUCKETS) -> str:
    width = 100.0 / n
    return f"{bucket * width:g}-{(bucket + 1) * width:g}"


def bucket_shares(values, n: int = N_BUCKETS) -> np.ndarray:
    """Share of the texts with a lean in each bucket: sums to 1 (all NaN when no text has a lean)."""
    buckets = lean_buckets(values, n)
    buckets = buckets[~np.isnan(buckets)].astype(int)
    if len(buckets) == 0:
        return np.full(n, np.nan)
    return np.bincount(buckets, minlength=n) / len(buckets)


def left_share(values) -> float:
    """Share of texts left of centre among those on either side (lean_sides below)."""
    sides = lean_sides(pd.DataFrame({"lean": np.asarray(values, dtype=float)}), "lean", threshold=CENTRE)
    return float((sides == "left").sum() / sides.notna().sum()) if sides.notna().any() else np.nan


def bucket_table(sets: list[tuple[dict, pd.Series]], n: int = N_BUCKETS) -> pd.DataFrame:
    """One row per text set × bucket: its keys, `bucket`, `range`, `share`, `n` (texts with a lean)."""
    rows = []
    for keys, values in sets:
        counted = int(np.isfinite(np.asarray(values, dtype=float)).sum())
        for bucket, share in enumerate(bucket_shares(values, n)):
            rows.append({**keys, "bucket": bucket, "range": bucket_label(bucket, n), "share": share, "n": counted})
    return pd.DataFrame(rows)


def lean_sets(entries: list[dict], real_leans: dict[str, pd.Series], texts: list[pd.DataFrame]) -> list[tuple[dict, pd.Series]]:
    """(keys, per-text lean) for every chain on a partition: its real texts (generation REAL), then each
    generation's scored texts. `texts` holds every entry's per-generation score tables, entry by entry."""
    per_entry = len(texts) // max(len(entries), 1)
    sets = []
    for i, entry in enumerate(entries):
        keys = {k: v for k, v in entry.items() if k != "kind"}
        sets.append(({**keys, "generation": REAL}, real_leans[entry["dataset"]]))
        own = texts[i * per_entry : (i + 1) * per_entry]
        sets += [({**keys, "generation": g}, lean_values(frame, entry["kind"])) for g, frame in enumerate(own)]
    return sets


def final_vs_initial(sets: list[tuple[dict, pd.Series]]) -> pd.DataFrame:
    """Per chain: mean lean and left share of its real texts (generation REAL) and of its last generation.

    `sets` are (keys with `chain` and `generation`, lean values), as for bucket_table.
    """
    rows = {}
    for keys, values in sets:
        values = np.asarray(values, dtype=float)
        row = rows.setdefault(keys["chain"], {k: keys.get(k) for k in KEYS} | {"final_generation": REAL})
        measured = {
            "lean": float(np.nanmean(values)) if np.isfinite(values).any() else np.nan,
            "left": left_share(values),
            "n": int(np.isfinite(values).sum()),
        }
        if keys["generation"] == REAL:
            row.update(initial_lean=measured["lean"], initial_left_share=measured["left"], initial_n=measured["n"])
        elif keys["generation"] >= row["final_generation"]:
            row.update(
                final_generation=keys["generation"], final_lean=measured["lean"], final_left_share=measured["left"], final_n=measured["n"]
            )
    columns = KEYS + ["initial_lean", "initial_left_share", "initial_n", "final_generation", "final_lean", "final_left_share", "final_n"]
    table = pd.DataFrame(list(rows.values())).reindex(columns=columns)
    return table.sort_values(["strategy", "ratio", "left_share", "seed"], na_position="first").reset_index(drop=True)


def _line_label(table: pd.DataFrame) -> pd.Series:
    return table["strategy"] + table["ratio"].map(lambda r: "" if pd.isna(r) else f" r={r:g}")


def plot_final_vs_initial(table: pd.DataFrame, path) -> None:
    """Final against initial lean (mean 0-100 score; share left of centre), one line per strategy and ratio, with y = x."""
    table = table.assign(line=_line_label(table))
    means = table.groupby(["line", "left_share"], as_index=False)[
        ["initial_lean", "final_lean", "initial_left_share", "final_left_share"]
    ].mean()
    names = sorted(means["line"].unique())
    fig, axes = figures.subplots(1, 2, figsize=(9.5, 4.2))
    for ax, measure, top in ((axes[0], "lean", 100.0), (axes[1], "left_share", 1.0)):
        ax.plot([0, top], [0, top], color="grey", linestyle="--", linewidth=1, label="y = x")
        for line, rows in means.groupby("line"):
            rows = rows.sort_values(f"initial_{measure}")
            ax.plot(rows[f"initial_{measure}"], rows[f"final_{measure}"], marker="o", color=figures.colour_for(line, names), label=line)
        ax.set(xlim=(-0.03 * top, 1.03 * top), ylim=(-0.03 * top, 1.03 * top), aspect="equal")
    axes[0].set(title="mean lean (0 left, 100 right)", xlabel="real texts (initial)", ylabel="last generation (final)")
    axes[1].set(title="share of left-leaning texts", xlabel="real texts (initial)", ylabel="last generation (final)")
    axes[1].legend(frameon=False, fontsize=8)
    figures.save(fig, path)


def plot_bucket_shares(table: pd.DataFrame, path) -> None:
    """Stacked shares of the lean buckets over generations (real texts first), one panel per partition × strategy/ratio."""
    table = table.assign(line=_line_label(table))
    means = table.groupby(["line", "left_share", "generation", "bucket"], as_index=False)["share"].mean()
    lines, shares = sorted(means["line"].unique()), sorted(means["left_share"].unique())
    n = int(means["bucket"].max()) + 1
    colours = figures.colormap("coolwarm")(np.linspace(0, 1, n))
    fig, axes = figures.subplots(
        len(lines), len(shares), figsize=(2.6 * len(shares) + 1.6, 2.4 * len(lines) + 0.6), squeeze=False, sharey=True
    )
    for row, line in enumerate(lines):
        for col, share in enumerate(shares):
            ax = axes[row][col]
            wide = means[(means["line"] == line) & (means["left_share"] == share)].pivot(
                index="generation", columns="bucket", values="share"
            )
            wide = wide.reindex(columns=range(n)).fillna(0)
            ax.stackplot(wide.index, wide.T.to_numpy(), colors=colours, labels=[bucket_label(b, n) for b in range(n)])
            ax.set_xticks(wide.index, ["real" if g == REAL else f"g{g}" for g in wide.index], fontsize=7)
            ax.set(ylim=(0, 1), title=f"{100 * share:g}% left" + (f"\n{line}" if len(lines) > 1 else ""))
    axes[0][0].set_ylabel("share of texts")
    axes[0][-1].legend(
        title="lean (0 left, 100 right)", frameon=False, fontsize=7, bbox_to_anchor=(1.02, 1), loc="upper left", reverse=True
    )
    figures.save(fig, path)


# -- drawing the partitions ----------------------------------------------------------------------

LEAN_SHARES = (0.0, 0.25, 0.5, 0.75, 1.0)


def lean_sides(documents: pd.DataFrame, lean_column: str, left_values=None, threshold: float = 50.0, left_below: bool = True) -> pd.Series:
    """'left', 'right' or None per text.

    Categorical column: `left_values` are left, every other value right. Numeric score (e.g. a
    judge's 0–100 lean): left below `threshold` (above when left_below=False), right on the
    other side; exactly at the threshold (centre), negative (the judge's −1 = not political)
    or missing is neither.
    """
    values = documents[lean_column]
    if left_values is not None:
        return pd.Series(np.where(values.isin(list(left_values)), "left", "right"), index=documents.index).where(values.notna(), None)
    score = pd.to_numeric(values, errors="coerce")
    left = score < threshold if left_below else score > threshold
    right = score > threshold if left_below else score < threshold
    side = np.select([left & (score >= 0), right & (score >= 0)], ["left", "right"], default="")
    return pd.Series(side, index=documents.index).replace("", None)


def partition_name(share: float) -> str:
    return f"left{int(round(100 * share)):03d}"


def lean_partitions(documents: pd.DataFrame, lean_column: str, size: int, seed: int, shares=LEAN_SHARES, **side_options) -> pd.DataFrame:
    """Datasets of `size` texts with round(share·size) left-leaning texts and the rest right-leaning, one per share.

    Rows carry `partition` (e.g. 'left025'), `left_share` and `side`; each partition is drawn
    without replacement with its own seed, so adding a share leaves the others unchanged.
    """
    sides = lean_sides(documents, lean_column, **side_options)
    pools = {side: documents[sides == side] for side in ("left", "right")}
    frames = []
    for share in shares:
        wanted = {"left": int(round(share * size)), "right": size - int(round(share * size))}
        rng = np.random.default_rng(stable_seed(seed, "lean", partition_name(share)))
        for side, count in wanted.items():
            if count > len(pools[side]):
                raise ValueError(
                    f"partition {partition_name(share)} needs {count} {side}-leaning texts of column {lean_column!r}; only {len(pools[side])} exist (size={size})"
                )
            picked = pools[side].iloc[np.sort(rng.choice(len(pools[side]), count, replace=False))]
            frames.append(picked.assign(partition=partition_name(share), left_share=share, side=side))
    return pd.concat(frames, ignore_index=True)
