"""The paper's conjecture (section 5, eq. 6) fitted to a study's measured bias series.

    B(t+1) = (1 - gamma_M) (1 + delta_D + delta_Q (1 - q_t) + delta_U u_t) B(t),   A_t = B(t+1) / B(t)

A_t is linear in the regressors: A_t = a + b (1 - q_t) + c u_t with a = (1 - gamma_M)(1 + delta_D),
b = (1 - gamma_M) delta_Q and c = (1 - gamma_M) delta_U. From one series only these three products are
identified (gamma_M and delta_D enter only through a), so they are what is fitted and reported: by
ordinary least squares (statsmodels), with 95% intervals, for each arm and classifier (gamma_M is a
property of the architecture), pooled over generators, ratios and seeds. The measurements:

- B(t): the bias metric `conjecture.bias` of the classifiers trained on generation t's training set
  (md: MD; meo: 1 - MEO, the mean TPR gap; di: 1 - DI); steps where B(t) = 0 are left out;
- q_t: the data quality of the samples that enter between t and t + 1 (generation t + 1's synthesize
  job), 1 - FID / the study's largest FID (1: the best quality measured, 0: the worst);
- u_t: the same samples' mean uncertainty under the filter's expert, its predictive entropy over
  log(number of classes) (0: certain, 1: uniform). Without filtering there is no score: the u term is
  left out of the fit.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

BIAS = {"md": lambda m: m["md"], "meo": lambda m: 1 - m["meo"], "di": lambda m: 1 - m["di"]}
TERMS = {"const": "a = (1 - gamma_M)(1 + delta_D)", "one_minus_q": "b = (1 - gamma_M) delta_Q", "u": "c = (1 - gamma_M) delta_U"}


def steps(metrics: pd.DataFrame, fid: pd.DataFrame, uncertainty: pd.DataFrame, bias: str, arms: list[str]) -> pd.DataFrame:
    """One row per chain x classifier x step t -> t + 1: the measured A_t = B(t+1)/B(t), 1 - q_t and u_t.

    `uncertainty`: the mean normalised entropy per chain and generation (columns chain, generation, u)."""
    rows = metrics.assign(B=BIAS[bias](metrics))[["chain", *arms, "classifier", "generation", "B"]]
    nxt = rows.assign(generation=rows["generation"] - 1).rename(columns={"B": "B_next"})
    out = rows.merge(nxt, on=["chain", *arms, "classifier", "generation"])
    quality = fid.assign(one_minus_q=fid["fid"] / fid["fid"].max(), generation=fid["generation"] - 1)[
        ["chain", "generation", "one_minus_q"]
    ]
    u = uncertainty.assign(generation=uncertainty["generation"] - 1)
    out = out.merge(quality, on=["chain", "generation"]).merge(u, on=["chain", "generation"])
    # a chain without synthetic data (p = 0) has no FID, hence no q_t: it has no step to fit
    out = out[(out["B"] > 0) & np.isfinite(out["B"]) & np.isfinite(out["B_next"]) & np.isfinite(out["one_minus_q"])]
    return out.assign(A=out["B_next"] / out["B"]).rename(columns={"generation": "t"}).reset_index(drop=True)


def _terms(part: pd.DataFrame) -> list[str]:
    """The regressors a group's data can identify: u only where the filter scored (it varies)."""
    return ["one_minus_q"] + (["u"] if part["u"].nunique() > 1 else [])


def fit(data: pd.DataFrame, arms: list[str], level: float = 0.95) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(coefficients: one row per group x term with estimate and interval; A_t: one row per group x t with the measured
    mean, the fitted A_t at that step's mean regressors and its interval). Groups are arm x classifier."""
    import statsmodels.api as sm

    coefficients, amplification = [], []
    alpha = 1 - level
    for key, part in data.groupby([*arms, "classifier"], sort=False):
        key = dict(zip([*arms, "classifier"], key if isinstance(key, tuple) else (key,)))
        terms = _terms(part)
        if len(part) <= len(terms) + 1:
            continue  # too few steps to estimate the coefficients with an interval
        model = sm.OLS(part["A"].to_numpy(), sm.add_constant(part[terms].to_numpy(), has_constant="add")).fit()
        interval = model.conf_int(alpha)
        for i, term in enumerate(["const", *terms]):
            coefficients.append(
                {
                    **key,
                    "term": term,
                    "meaning": TERMS[term],
                    "estimate": model.params[i],
                    "low": interval[i, 0],
                    "high": interval[i, 1],
                    "p_value": model.pvalues[i],
                    "n": len(part),
                    "r2": model.rsquared,
                }
            )
        per_t = part.groupby("t").agg(measured=("A", "mean"), n=("A", "count"), **{f"mean_{term}": (term, "mean") for term in terms})
        x = sm.add_constant(per_t[[f"mean_{term}" for term in terms]].to_numpy(), has_constant="add")
        frame = model.get_prediction(x).summary_frame(alpha)
        for (t, row), (_, pred) in zip(per_t.iterrows(), frame.iterrows()):
            amplification.append(
                {
                    **key,
                    "t": int(t),
                    "measured": row["measured"],
                    "n": int(row["n"]),
                    "A": pred["mean"],
                    "low": pred["mean_ci_lower"],
                    "high": pred["mean_ci_upper"],
                }
            )
    return pd.DataFrame(coefficients), pd.DataFrame(amplification)


def plot(amplification: pd.DataFrame, arms: list[str], bias: str, path) -> None:
    """A_t per step, one panel per classifier, one line per arm: fitted (band: 95% interval of the mean) and measured."""
    from synthloop.core import figures

    classifiers = list(dict.fromkeys(amplification["classifier"])) if len(amplification) else ["(no fit)"]
    fig, axes = figures.subplots(1, len(classifiers), figsize=(3.2 * len(classifiers), 3.0), squeeze=False, sharey=True)
    line = (
        amplification[arms].astype(str).agg(" ".join, axis=1)
        if arms and len(amplification)
        else pd.Series("fit", index=amplification.index)
    )
    names = sorted(set(line))
    for ax, classifier in zip(axes[0], classifiers):
        for name in names:
            part = amplification[(amplification["classifier"] == classifier) & (line == name)]
            colour = figures.colour_for(name, names)
            ax.plot(part["t"], part["A"], color=colour, label=f"{name}: fitted")
            ax.fill_between(part["t"], part["low"], part["high"], color=colour, alpha=0.2)
            ax.plot(part["t"], part["measured"], "o", ms=3, color=colour, label=f"{name}: measured")
        ax.axhline(1.0, color="grey", lw=0.8, ls="--")
        ax.set_title(classifier, fontsize=9)
        ax.set_xlabel("step t -> t+1")
        figures.integer_ticks(ax)
    axes[0][0].set_ylabel(f"A_t = B(t+1)/B(t), B = {bias}")
    axes[0][-1].legend(fontsize=6)
    fig.suptitle(
        "Eq. 6's amplification factor: A_t > 1, the bias grows; fitted by OLS on 1 - q_t (FID) and u_t (filter entropy)", fontsize=8
    )
    figures.save(fig, path)


def fit_study(
    metrics: pd.DataFrame, fid: pd.DataFrame, generated: list[pd.DataFrame], keys: list[dict], arms: list[str], bias: str, figure
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The conjecture job: u_t from each generation's scored samples (`generated`: their entropy and label columns, in the
    order of `keys`), the fit, its figure."""
    classes = max(int(g["label"].max()) + 1 for g in generated if len(g))
    u = pd.DataFrame(
        [
            {"chain": k["chain"], "generation": k["generation"], "u": float(g["entropy"].mean()) / np.log(classes) if len(g) else np.nan}
            for g, k in zip(generated, keys)
        ]
    )
    coefficients, amplification = fit(steps(metrics, fid, u, bias, arms), arms)
    plot(amplification, arms, bias, figure)
    return coefficients, amplification
