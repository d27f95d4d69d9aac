"""Study 3's tables and figures (Li et al., section 4, Figures 2-5, 7b, 8, 9, 12 and 13).

Every figure over ratios or rounds shows the mean across seeds with a 95% t-interval across seeds
(no band with one seed). The ratio-0 arm (real data only) is every bias type's point at gamma = 0.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from synthloop.core.figures import colour_for, integer_ticks, save, subplots
from synthloop.core.intervals import t_half_width
from synthloop.core.vocabulary import REAL
from synthloop.studies.inheritance.plan import REAL_ONLY
from synthloop.studies.inheritance.prompts import BIAS_TYPE_NUMBER

ARM_COLUMNS = ["arm", "seed", "bias", "bias_type", "ratio", "mitigation", "round", "generator"]
ROUND_PANELS = [("profession", "accuracy"), ("salary", "mean"), ("hiring", "share"), ("hiring", "invalid_share")]


def collect(tables: list[pd.DataFrame], rows: list[dict]) -> pd.DataFrame:
    """Every arm's evaluation table with its arm's keys (`rows`, one per table, in the same order)."""
    parts = [
        table.assign(**{k: row.get(k) for k in ARM_COLUMNS}) for table, row in zip(tables, rows)
    ]  # generator: None but for scaling arms
    return pd.concat(parts, ignore_index=True)[ARM_COLUMNS + [c for c in parts[0].columns if c not in ARM_COLUMNS]]


def across_seeds(frame: pd.DataFrame, keys: list[str], level: float = 0.95) -> pd.DataFrame:
    """Mean of `value` per key over seeds, with a t-interval across seeds (NaN with one seed)."""
    out = frame.groupby(keys, dropna=False)["value"].agg(["mean", "std", "count"]).reset_index()
    half = t_half_width(out["std"], out["count"], level)
    out["low"], out["high"] = out["mean"] - half, out["mean"] + half
    return out


def panels(task: str, frame: pd.DataFrame) -> list[tuple[str, pd.Series]]:
    """(title, row selector) of each panel of a task's figure."""
    m = frame
    if task == "profession":
        return [
            (f"accuracy, {g}", (m["metric"] == "accuracy") & (m["gender"] == g))
            for g in sorted(m["gender"].dropna().unique(), reverse=True)
        ]
    if task == "salary":
        return [
            (f"mean salary ($), {g}", (m["metric"] == "mean") & (m["gender"] == g))
            for g in sorted(m["gender"].dropna().unique(), reverse=True)
        ]
    if task == "hiring":
        share = m[m["metric"] == "share"]
        groups = [
            (f"hiring share, {c} {g}", (m["metric"] == "share") & (m["culture"] == c) & (m["gender"] == g))
            for c, g in share[["culture", "gender"]].drop_duplicates().itertuples(index=False)
        ]
        return [*groups, ("invalid replies (share of all)", m["metric"] == "invalid_share")]  # shares are over the valid ones
    if task == "story":
        return [
            (
                f"negative adjectives, {c}",
                (m["metric"] == "negative_share") & (m["culture"] == c) & m["gender"].isna() & (m["dimension"] == "total"),
            )
            for c in sorted(m["culture"].dropna().unique())
        ]
    if task == "culture_tasks":
        return [
            (f"macro-F1 {r}, {c}", (m["metric"] == f"macro_f1_{r}") & (m["culture"] == c))
            for r in ("direct", "indirect")
            for c in sorted(m["culture"].dropna().unique())
            if ((m["metric"] == f"macro_f1_{r}") & (m["culture"] == c)).any()
        ]
    raise ValueError(f"unknown task {task!r}")


def _grid(count: int, **kwargs):
    cols = min(count, 4)
    rows = -(-count // cols)
    fig, axes = subplots(rows, cols, figsize=(3.4 * cols, 2.8 * rows), squeeze=False, **kwargs)
    for ax in axes.flat[count:]:
        ax.set_visible(False)
    return fig, list(axes.flat[:count])


def _line(ax, summary: pd.DataFrame, x: str, label: str, colour: str) -> None:
    summary = summary.sort_values(x)
    ax.plot(summary[x], summary["mean"], marker="o", label=label, color=colour)
    if summary["count"].max() > 1:
        ax.fill_between(summary[x], summary["low"], summary["high"], color=colour, alpha=0.15)


def type_label(bias_type: str) -> str:
    return f"{BIAS_TYPE_NUMBER.get(bias_type, '')} {bias_type.replace('_', ' ')}".strip()


def plot_by_ratio(metrics: pd.DataFrame, bias: str, task: str, path) -> None:
    """Figures 2-5: each group's metric against the bias ratio, one line per bias type (no mitigation, round 1)."""
    rows = metrics[(metrics["bias"] == bias) & (metrics["task"] == task) & (metrics["mitigation"] == "none") & (metrics["round"] == 1)]
    types = sorted({t for t in rows["bias_type"] if t != REAL_ONLY}, key=lambda t: BIAS_TYPE_NUMBER[t])
    chosen = panels(task, rows)
    fig, axes = _grid(max(1, len(chosen)))
    for ax, (title, selector) in zip(axes, chosen):
        part = rows[selector]
        for bias_type in types:
            line = pd.concat([part[part["bias_type"] == REAL_ONLY], part[part["bias_type"] == bias_type]])
            _line(ax, across_seeds(line, ["ratio"]), "ratio", type_label(bias_type), colour_for(bias_type, types))
        ax.set(title=title, xlabel="bias ratio γ")
    if types:
        axes[0].legend(fontsize=6)
    fig.suptitle(f"{bias} bias, {task}: mean over seeds (band: 95% t-interval across seeds)", fontsize=9)
    save(fig, path)


AVERAGED = {"hiring": "share", "story": "negative_share"}  # the metric of each type-averaged figure (Figures 4 and 5a)
AVERAGED_TITLES = {
    "share": "hiring share (of valid replies)",
    "invalid_share": "invalid hiring replies (share of all)",
    "negative_share": "negative adjectives (total over ABC dimensions)",
}


def type_average(rows: pd.DataFrame, groups: list[str]) -> pd.DataFrame:
    """Per ratio, seed and group, the mean over bias types (the ratio-0 arm is every type's point at gamma = 0)."""
    return rows.groupby(["ratio", "seed", *groups], dropna=False, as_index=False)["value"].mean()


def plot_type_average(metrics: pd.DataFrame, bias: str, task: str, path) -> None:
    """Figures 4 and 5a: each group's metric against the bias ratio, averaged over bias types (no mitigation, round 1).

    The band is a 95% t-interval across seeds of the per-seed type average. Hiring draws one line per
    culture x gender group and, beside it, the share of invalid replies (the shares are over valid ones);
    stories one line per culture (the total negative-adjective share over the three ABC dimensions).
    """
    rows = metrics[(metrics["bias"] == bias) & (metrics["task"] == task) & (metrics["mitigation"] == "none") & (metrics["round"] == 1)]
    rows = rows.assign(group=[group_label(c, g) for c, g in zip(rows["culture"], rows["gender"])])
    if task == "story":
        rows = rows[(rows["metric"] == AVERAGED[task]) & rows["gender"].isna() & (rows["dimension"] == "total")]
    panels_of = [(AVERAGED[task], rows[rows["metric"] == AVERAGED[task]])]
    if task == "hiring" and (rows["metric"] == "invalid_share").any():
        panels_of.append(("invalid_share", rows[rows["metric"] == "invalid_share"]))
    fig, axes = _grid(len(panels_of))
    for ax, (name, part) in zip(axes, panels_of):
        labels = sorted(part["group"].unique())
        averaged = type_average(part, ["group"])
        for label in labels:
            _line(ax, across_seeds(averaged[averaged["group"] == label], ["ratio"]), "ratio", label, colour_for(label, labels))
        ax.set(title=AVERAGED_TITLES[name], xlabel="bias ratio γ")
        ax.title.set_fontsize(8)
        ax.legend(fontsize=6)
    fig.suptitle(f"{bias} bias, {task} averaged over bias types: mean over seeds (band: 95% t-interval across seeds)", fontsize=9)
    save(fig, path)


def group_label(culture, gender) -> str:
    return " ".join(v for v in (culture, gender) if isinstance(v, str)) or "all"


def plot_rounds(metrics: pd.DataFrame, path) -> None:
    """Figures 5b and 12: accuracy and salary per gender, hiring share per culture x gender, over rounds."""
    rows = metrics[(metrics["bias"] == "gender") & (metrics["mitigation"] == "none")]
    rows = rows.merge(rows.loc[rows["round"] > 1, ["bias_type", "ratio"]].drop_duplicates(), on=["bias_type", "ratio"])
    rows = rows.assign(group=[group_label(c, g) for c, g in zip(rows["culture"], rows["gender"])])
    present = [(t, m) for t, m in ROUND_PANELS if ((rows["task"] == t) & (rows["metric"] == m)).any()]
    fig, axes = _grid(max(1, len(present)))
    for ax, (task, name) in zip(axes, present):
        part = rows[(rows["task"] == task) & (rows["metric"] == name)]
        labels = sorted(part["group"].unique())
        for label in labels:
            _line(ax, across_seeds(part[part["group"] == label], ["round"]), "round", label, colour_for(label, labels))
        integer_ticks(ax)
        ax.set(title=f"{task}: {name}", xlabel="round")
        ax.legend(fontsize=6)
    fig.suptitle("multi-round augmentation: mean over seeds (band: 95% t-interval across seeds)", fontsize=9)
    save(fig, path)


HEADLINES = [  # (title, task, metric, gender, culture, how to reduce over cultures)
    ("accuracy, female", "profession", "accuracy", "female", None),
    ("accuracy, male", "profession", "accuracy", "male", None),
    ("salary gap, male - female ($)", "salary", "gap_male_minus_female", None, None),
    ("hiring share, max - min group", "hiring", "share", "spread", None),
    ("hiring: invalid replies (share)", "hiring", "invalid_share", None, None),
    ("negative adjectives, mean over cultures", "story", "negative_share", None, "total"),
    ("macro-F1 direct, mean over cultures", "culture_tasks", "macro_f1_direct", None, None),
]


def headline(rows: pd.DataFrame, task: str, metric: str, gender, dimension) -> pd.DataFrame:
    """One value per arm and seed for a task's headline metric."""
    part = rows[(rows["task"] == task) & (rows["metric"] == metric)]
    if dimension:
        part = part[(part["dimension"] == dimension) & part["gender"].isna()]
    if gender == "spread":
        return part.groupby(["arm", "seed"], as_index=False)["value"].agg(lambda v: v.max() - v.min())
    if gender:
        part = part[part["gender"] == gender]
    return part.groupby(["arm", "seed"], as_index=False)["value"].mean()


def plot_mitigations(metrics: pd.DataFrame, path) -> None:
    """Figures 9 and 15-17: each mitigated arm's headline metrics next to the same arm unmitigated and the ratio-0 arm."""
    mitigated = metrics[metrics["mitigation"] != "none"]
    cases = mitigated[["bias", "bias_type", "ratio"]].drop_duplicates().itertuples(index=False)
    methods = ["none", *sorted(mitigated["mitigation"].unique())]
    present = [h for h in HEADLINES if ((metrics["task"] == h[1]) & (metrics["metric"] == h[2])).any()]
    fig, axes = _grid(max(1, len(present)))
    cases = list(cases)
    for ax, (title, task, name, gender, dimension) in zip(axes, present):
        values = headline(metrics[metrics["round"] == 1], task, name, gender, dimension).merge(
            metrics[ARM_COLUMNS].drop_duplicates(), on=["arm", "seed"]
        )
        width = 0.8 / (len(methods) + 1)
        for k, method in enumerate(["real only", *methods]):
            means, errors = [], []
            for bias, bias_type, ratio in cases:
                if method == "real only":
                    sel = values[(values["bias"] == bias) & (values["bias_type"] == REAL_ONLY)]
                else:
                    sel = values[
                        (values["bias"] == bias)
                        & (values["bias_type"] == bias_type)
                        & (values["ratio"] == ratio)
                        & (values["mitigation"] == method)
                    ]
                summary = across_seeds(sel.assign(key=0), ["key"])
                means.append(summary["mean"].iloc[0] if len(summary) else np.nan)
                errors.append((summary["high"] - summary["mean"]).iloc[0] if len(summary) and summary["count"].iloc[0] > 1 else 0.0)
            x = np.arange(len(cases)) + (k - len(methods) / 2) * width
            ax.bar(x, means, width, yerr=errors, label=method, color=colour_for(method, ["real only", *methods]))
        ax.set_xticks(np.arange(len(cases)), [f"{BIAS_TYPE_NUMBER[t]} γ={r:g}" for _, t, r in cases], fontsize=7)
        ax.set_title(title, fontsize=8)
    if present:
        axes[0].legend(fontsize=6)
    fig.suptitle("mitigations: mean over seeds (bars: 95% t-interval across seeds)", fontsize=9)
    save(fig, path)


def unbiased_gender_shares(sets: list[pd.DataFrame]) -> pd.DataFrame:
    """Figure 7b: per profession, the share of 'unbiased' augmentations about each gender (by pronouns), or neither."""
    frame = pd.concat(sets, ignore_index=True)
    frame["about"] = frame["text_gender"].fillna("undetermined")
    counts = frame.groupby(["profession", "about"]).size().unstack(fill_value=0)
    shares = counts.div(counts.sum(axis=1), axis=0)
    return (
        shares.reset_index()
        .melt(id_vars="profession", var_name="about", value_name="share")
        .assign(n=lambda d: d["profession"].map(counts.sum(axis=1)))
    )


def plot_unbiased_shares(shares: pd.DataFrame, path) -> None:
    table = shares.pivot(index="profession", columns="about", values="share").fillna(0.0)
    order = [c for c in ("female", "male", "undetermined") if c in table.columns]
    fig, ax = subplots(figsize=(6.5, 3.2))
    bottom = np.zeros(len(table))
    for about in order:
        ax.bar(table.index, table[about], bottom=bottom, label=about, color=colour_for(about, order))
        bottom += table[about].to_numpy()
    ax.set(ylabel="share of augmented biographies", title="'unbiased' augmentations: which gender they are about")
    ax.tick_params(axis="x", labelsize=7)
    ax.legend(fontsize=7)
    save(fig, path)


def plot_embeddings(points: pd.DataFrame, path) -> None:
    """Figures 8 and 13: real (red) and augmented (blue) texts in a shared PCA space, one panel per bias type.

    Drawn in 3-D where the points have three components (`analysis.embeddings.dims: 3`, as the paper draws them).
    """
    types = [t for t in points["bias_type"].unique() if t != REAL]
    axes_of = [a for a in "xyz" if a in points]
    three = len(axes_of) == 3
    fig, axes = _grid(max(1, len(types)), **({"subplot_kw": {"projection": "3d"}} if three else {}))
    real = points[points["bias_type"] == REAL]
    for ax, bias_type in zip(axes, types):
        synthetic = points[points["bias_type"] == bias_type]
        ax.scatter(*(real[a] for a in axes_of), s=8, color="tab:red", alpha=0.6, label="real")
        ax.scatter(*(synthetic[a] for a in axes_of), s=8, color="tab:blue", alpha=0.6, label="augmented")
        ax.set_title(type_label(bias_type), fontsize=8)
        if three:
            ax.tick_params(labelsize=5)
    axes[0].legend(fontsize=6)
    scope = f", {points['culture'].dropna().iloc[0]} culture" if "culture" in points and points["culture"].notna().any() else ""
    fig.suptitle(f"final-hidden-state embeddings{scope}, first {len(axes_of)} principal components", fontsize=9)
    save(fig, path)


SCALING_PANELS = [
    ("hiring", "share", "hiring share (sum over cultures)"),
    ("hiring", "invalid_share", "hiring: invalid replies"),
    ("salary", "mean", "mean salary ($)"),
]


def scaling_values(rows: pd.DataFrame, task: str, name: str) -> pd.DataFrame:
    """One value per arm, seed and gender (None for the invalid share): a gender's hiring share is summed over cultures."""
    part = rows[(rows["task"] == task) & (rows["metric"] == name)].assign(gender=lambda d: d["gender"].fillna("all"))
    reduce = "sum" if (task, name) == ("hiring", "share") else "mean"
    return part.groupby(["arm", "seed", "bias_type", "mitigation", "gender"], as_index=False)["value"].agg(reduce)


def plot_scaling(metrics: pd.DataFrame, generator: str, path) -> None:
    """Figures 6 and 14: a scaling generator's hiring and salary per gender, real only and per bias type at the scaling
    ratio, one bar per mitigation (none, then Figure 14's)."""
    rows = metrics[metrics["generator"] == generator]
    types = sorted({t for t in rows["bias_type"] if t != REAL_ONLY}, key=lambda t: BIAS_TYPE_NUMBER[t])
    methods = ["none", *sorted(m for m in rows["mitigation"].unique() if m != "none")]
    present = [p for p in SCALING_PANELS if ((rows["task"] == p[0]) & (rows["metric"] == p[1])).any()]
    groups = [(p, g) for p in present for g in sorted(scaling_values(rows, p[0], p[1])["gender"].unique(), reverse=True)]
    fig, axes = _grid(max(1, len(groups)))
    cases = [REAL_ONLY, *types]
    width = 0.8 / len(methods)
    for ax, ((task, name, title), gender) in zip(axes, groups):
        values = scaling_values(rows, task, name)
        values = values[values["gender"] == gender]
        for k, method in enumerate(methods):
            summaries = [
                across_seeds(
                    values[(values["bias_type"] == case) & (values["mitigation"] == ("none" if case == REAL_ONLY else method))].assign(
                        key=0
                    ),
                    ["key"],
                )
                for case in cases
            ]
            means = [
                s["mean"].iloc[0] if len(s) and (method == "none" or case != REAL_ONLY) else np.nan for s, case in zip(summaries, cases)
            ]
            errors = [(s["high"] - s["mean"]).iloc[0] if len(s) and s["count"].iloc[0] > 1 else 0.0 for s in summaries]
            x = np.arange(len(cases)) + (k - (len(methods) - 1) / 2) * width
            ax.bar(x, means, width, yerr=np.nan_to_num(errors), label=method, color=colour_for(method, methods))
        ax.set_xticks(np.arange(len(cases)), ["real"] + [str(BIAS_TYPE_NUMBER[t]) for t in types], fontsize=7)
        ax.set_title(f"{title}, {gender}" if gender != "all" else title, fontsize=8)
        ax.set_xlabel("bias type (real: γ = 0)", fontsize=7)
    if groups:
        axes[0].legend(fontsize=6)
    fig.suptitle(f"scaling ({generator}): mean over seeds (bars: 95% t-interval across seeds)", fontsize=9)
    save(fig, path)


def figure(name: str, metrics: pd.DataFrame, path) -> None:
    """The figure called `name` (see Plan.figures) from the collected metrics; only scaling figures draw scaling arms."""
    if name.startswith("scaling_"):
        return plot_scaling(metrics, name.removeprefix("scaling_"), path)
    if "generator" in metrics:
        metrics = metrics[metrics["generator"].isna()]
    if name == "rounds":
        return plot_rounds(metrics, path)
    if name == "mitigations":
        return plot_mitigations(metrics, path)
    if name.endswith("_by_type_average"):
        bias, task = name.removesuffix("_by_type_average").split("_", 1)
        return plot_type_average(metrics, bias, task, path)
    bias, task = name.removesuffix("_by_ratio").split("_", 1)
    return plot_by_ratio(metrics, bias, task, path)


def write_unbiased_shares(sets: list[pd.DataFrame], table_path, figure_path) -> pd.DataFrame:
    """Figure 7b and its table."""
    shares = unbiased_gender_shares(sets)
    shares.to_csv(table_path, index=False)
    plot_unbiased_shares(shares, figure_path)
    return shares
