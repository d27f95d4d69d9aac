"""The image loop's results: metrics per chain x generation x classifier, FID per generation, figures.

Subgroups meet predictions only here, joined from the real test table by image id (each bias arm's
own test table): the training and prediction jobs never see them. A study with arms has a column
per arm axis (`bias`, `weights`) in every table, and its figures draw one line per arm and generator. Figures show the mean over seeds with a 95% t-interval across
seeds (no band with one seed).
"""

from __future__ import annotations

import pandas as pd

from synthloop.core import figures
from synthloop.core.intervals import t_half_width
from synthloop.scorers.fairness import accuracy, fairness_metrics

LABELS = {"accuracy": "accuracy", "meo": "MEO (eq. 2)", "di": "DI (eq. 3)", "md": "MD (eq. 4)", "fid": "FID"}
# The range a metric can take: the bands (a t-interval, wide with few seeds) are clipped to it.
BOUNDS = {"accuracy": (0, 1), "meo": (0, 1), "di": (None, 1), "md": (0, 1), "fid": (0, None), "acc_k": (0, 1)}


ARM_AXES = ("bias", "weights")


def _tests(test) -> dict:
    """Test tables by bias arm: one table (no bias axis) is every chain's."""
    return test if isinstance(test, dict) else {None: test}


def metrics(predictions: list[pd.DataFrame], keys: list[dict], test, fairness: dict) -> pd.DataFrame:
    """One row per chain x generation x classifier: accuracy and, with subgroups, MEO, DI, MD, Acc(k).

    `test`: the real test table, or {bias arm: its test table} in a study with a bias axis."""
    tests = _tests(test)
    subgroups = {arm: t.set_index("image_id")["subgroup"] for arm, t in tests.items()} if fairness["enabled"] else None
    rows = []
    for table, key in zip(predictions, keys):
        for classifier, part in table.groupby("classifier", sort=False):
            y, p = part["label"].to_numpy(), part["prediction"].to_numpy()
            if subgroups is None:
                values = {"accuracy": accuracy(y, p)}
            else:
                groups = subgroups[key.get("bias")].loc[part["image_id"]].to_numpy()
                values = fairness_metrics(y, p, groups, fairness["pooling"])
            rows.append({**key, "classifier": classifier, **values})
    return pd.DataFrame(rows)


def fid_table(summaries: list[dict], keys: list[dict], features: str) -> pd.DataFrame:
    """One row per chain x generation >= 1: FID of that generation's samples (on `features`, named in its column) and what the FIFO held."""
    values = ["fid", "sampled", "kept", "queue_rows", "train_rows"]
    arms = [a for a in ARM_AXES if any(a in key for key in keys)]
    columns = ["chain", *arms, "generator", "ratio", "seed", "generation", *values, "features"]
    return pd.DataFrame([{**key, **{k: s[k] for k in values}, "features": features} for s, key in zip(summaries, keys)], columns=columns)


def arms_in(table: pd.DataFrame) -> list[str]:
    return [a for a in ARM_AXES if a in table.columns]


def fid_by_generation(fid: pd.DataFrame) -> pd.DataFrame:
    """The paper's Table 1: mean FID over seeds, one row per arm, generator (and ratio), one column per generation;
    its `features` column says which network's features the values are on."""
    wide = fid.groupby([*arms_in(fid), "generator", "ratio", "features", "generation"])["fid"].mean().unstack("generation")
    wide.columns = [f"g{c}" for c in wide.columns]
    return wide.reset_index()


def across_seeds(rows: pd.DataFrame, by: list[str], value: str, level: float = 0.95) -> pd.DataFrame:
    """Mean over seeds per group, with a t interval across seeds (NaN bounds with one seed)."""
    out = rows.groupby(by)[value].agg(mean="mean", sd="std", n="count").reset_index()
    half = t_half_width(out["sd"], out["n"], level)
    out["low"], out["high"] = out["mean"] - half, out["mean"] + half
    return out


def _line(rows: pd.DataFrame) -> pd.Series:
    several = rows["ratio"].nunique() > 1
    line = rows["generator"] + (rows["ratio"].map(lambda r: f" p={r:g}") if several else "")
    for axis in reversed(arms_in(rows)):
        line = rows[axis].astype(str) + " " + line
    return line


def _draw(ax, summary: pd.DataFrame, x: str, names: list[str], bounds=(None, None)) -> None:
    for line, part in summary.groupby("line"):
        colour = figures.colour_for(line, names)
        ax.plot(part[x], part["mean"], marker="o", ms=3, color=colour, label=line)
        if part["n"].max() > 1:
            ax.fill_between(part[x], part["low"].clip(*bounds), part["high"].clip(*bounds), color=colour, alpha=0.2)


def _seed_note(rows: pd.DataFrame) -> str:
    n = rows["seed"].nunique()
    return (
        f"mean over {n} seeds; band: 95% t-interval across seeds, clipped to the metric's range"
        if n > 1
        else "one seed: no interval across seeds"
    )


def plot_metric(table: pd.DataFrame, metric: str, path) -> None:
    """A metric over generations: one panel per classifier, one line per generator (and ratio)."""
    table = table.assign(line=_line(table))
    names = sorted(table["line"].unique())
    classifiers = list(dict.fromkeys(table["classifier"]))
    fig, axes = figures.subplots(1, len(classifiers), figsize=(3.2 * len(classifiers), 3.0), squeeze=False, sharey=True)
    for ax, classifier in zip(axes[0], classifiers):
        _draw(
            ax,
            across_seeds(table[table["classifier"] == classifier], ["line", "generation"], metric),
            "generation",
            names,
            BOUNDS.get(metric, (None, None)),
        )
        ax.set_title(classifier, fontsize=9)
        ax.set_xlabel("generation")
        figures.integer_ticks(ax)
    axes[0][0].set_ylabel(LABELS.get(metric, metric))
    axes[0][-1].legend(fontsize=7)
    fig.suptitle(f"{LABELS.get(metric, metric)} on the real test set\n{_seed_note(table)}", fontsize=9)
    figures.save(fig, path)


def plot_fid(fid: pd.DataFrame, path) -> None:
    """FID between real and generated features over generations, one line per generator (and ratio)."""
    fid = fid.assign(line=_line(fid))
    names = sorted(fid["line"].unique())
    fig, ax = figures.subplots(figsize=(5.5, 3.4))
    _draw(ax, across_seeds(fid, ["line", "generation"], "fid"), "generation", names, BOUNDS["fid"])
    ax.set_xlabel("generation (generator trained on g-1's set)")
    ax.set_ylabel(f"{LABELS['fid']} on {fid['features'].iloc[0]}" if len(fid) else LABELS["fid"], fontsize=7)
    figures.integer_ticks(ax)
    ax.legend(fontsize=7)
    ax.set_title(f"FID of each generation's samples\n{_seed_note(fid)}", fontsize=8)
    figures.save(fig, path)


def plot_acc_k(table: pd.DataFrame, generator: str, path) -> None:
    """Acc(k) over generations for one arm's generator ('biased-dcgan', or 'dcgan' without arms): one panel per
    classifier, one line per rank k (k = 1: worst subgroup)."""
    arm_id = table[arms_in(table)].astype(str).agg("-".join, axis=1) + "-" if arms_in(table) else ""
    table = table[arm_id + table["generator"] == generator]
    ks = sorted((c for c in table.columns if c.startswith("acc_")), key=lambda c: int(c.split("_")[1]))
    names = [f"Acc({k.split('_')[1]})" for k in ks]
    several = table["ratio"].nunique() > 1
    classifiers = list(dict.fromkeys(table["classifier"]))
    fig, axes = figures.subplots(1, len(classifiers), figsize=(3.2 * len(classifiers), 3.0), squeeze=False, sharey=True)
    for ax, classifier in zip(axes[0], classifiers):
        part = table[table["classifier"] == classifier]
        for k, name in zip(ks, names):
            summary = across_seeds(part, ["ratio", "generation"], k)
            summary["line"] = name + (summary["ratio"].map(lambda r: f" p={r:g}") if several else "")
            _draw(ax, summary, "generation", sorted(set(summary["line"]) | set(names)), BOUNDS["acc_k"])
        ax.set_title(classifier, fontsize=9)
        ax.set_xlabel("generation")
        figures.integer_ticks(ax)
    axes[0][0].set_ylabel("Acc(k) (eq. 5)")
    axes[0][-1].legend(fontsize=7)
    fig.suptitle(
        f"{generator}: Acc(k), the k-th lowest subgroup accuracy per class, averaged over classes\n{_seed_note(table)}", fontsize=9
    )
    figures.save(fig, path)


def collect(
    predictions: list[pd.DataFrame], keys: list[dict], test, fairness: dict, summaries: list[dict], summary_keys: list[dict], features: str
):
    """The study's tables: metrics per classifier, FID per generation (on `features`), and FID in the paper's Table 1 layout."""
    fid = fid_table(summaries, summary_keys, features)
    return metrics(predictions, keys, test, fairness), fid, fid_by_generation(fid)


def plot_all(names: list[str], table: pd.DataFrame, fid: pd.DataFrame, paths: dict) -> None:
    """Draw the plan's figures, each to its path."""
    for name in names:
        plot(name, table, fid, paths[name])


def plot(figure: str, table: pd.DataFrame, fid: pd.DataFrame, path) -> None:
    """Draw one of the plan's figures by name: a metric, 'fid', or 'acc_k_<generator>'."""
    if figure == "fid":
        plot_fid(fid, path)
    elif figure.startswith("acc_k_"):
        plot_acc_k(table, figure[len("acc_k_") :], path)
    else:
        plot_metric(table, figure, path)
