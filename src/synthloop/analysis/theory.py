"""The toy models behind the studies' explanations, small enough to simulate exactly.

- Weighted MLE (Wang et al.'s theory of bias amplification): a model pre-trained on one
  distribution fine-tunes on another; if its fit weighs the data by its own density, the
  estimate drifts toward the pre-training distribution and sharpens, generation by generation.
- The histogram toy (Kovač et al., appendix C.3): a histogram model whose learning favours
  multiples of 2; whether that prior overlaps the true distribution decides whether diversity
  loss peaks at intermediate synthetic ratios (their Figure 12).
- Gaussian collapse (Shumailov et al.): refitting a Gaussian to its own samples loses variance.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

from synthloop.core import figures

EPS = 1e-12

# -- weighted MLE of a Beta (study 1) -------------------------------------------------------------


def beta_summary(a: float, b: float) -> dict:
    return {"a": a, "b": b, "mean": a / (a + b), "std": float(np.sqrt(a * b / ((a + b) ** 2 * (a + b + 1))))}


def fit_beta_weighted(x: np.ndarray, weights: np.ndarray) -> tuple[float, float]:
    """argmax over (a, b) of Σ w_i log Beta(x_i; a, b), searched in log space.

    The objective only needs the weighted means of log x and log(1 − x); the start is the
    weighted method-of-moments fit, which is already close.
    """
    x = np.clip(x, EPS, 1 - EPS)
    w = weights / weights.sum()
    log_x, log_1mx = w @ np.log(x), w @ np.log1p(-x)
    mean = w @ x
    var = w @ (x - mean) ** 2
    common = mean * (1 - mean) / var - 1
    start = np.log([mean * common, (1 - mean) * common])

    def negative_loglik(log_ab):
        a, b = np.exp(log_ab)
        value = special.betaln(a, b) - (a - 1) * log_x - (b - 1) * log_1mx
        gradient = np.array([special.digamma(a) - special.digamma(a + b) - log_x, special.digamma(b) - special.digamma(a + b) - log_1mx])
        return value, gradient * np.array([a, b])

    result = optimize.minimize(negative_loglik, start, jac=True, method="L-BFGS-B")
    a, b = np.exp(result.x)
    return float(a), float(b)


def fit_beta_plain(x: np.ndarray) -> tuple[float, float]:
    a, b, _, _ = stats.beta.fit(np.clip(x, EPS, 1 - EPS), floc=0, fscale=1)
    return float(a), float(b)


def weighted_mle_drift(pretrain=(3.0, 2.0), real=(2.0, 2.0), n: int = 100_000, generations: int = 10, seed: int = 0) -> pd.DataFrame:
    """Generation g fits a Beta to its data, then the next data set is sampled from that fit.

    Generation 0's data are real; the weighted fit weighs each point by the pre-trained density
    Beta(pretrain) at generation 0, then by the previous generation's fitted density. Weighted
    MLE converges to the density ∝ data × weight, so Beta(2,2) × Beta(3,2) gives Beta(4,3) and
    each later generation roughly doubles (a − 1, b − 1): the mean tends to the pre-training
    mean 3/5 and the spread shrinks. Plain MLE is the control: it stays at Beta(real).
    One Generator drives both methods; each method starts from the same real sample.
    """
    rng = np.random.default_rng(seed)
    real_sample = rng.beta(*real, size=n)
    rows = []
    for method in ("weighted", "plain"):
        x, prior = real_sample, stats.beta(*pretrain)
        for generation in range(generations):
            if method == "weighted":
                a, b = fit_beta_weighted(x, prior.pdf(x))
            else:
                a, b = fit_beta_plain(x)
            rows.append({"method": method, "generation": generation, **beta_summary(a, b)})
            prior = stats.beta(a, b)
            x = rng.beta(a, b, size=n)
    return pd.DataFrame(rows, columns=["method", "generation", "a", "b", "mean", "std"])


def plot_weighted_mle(table: pd.DataFrame, path, pretrain=(3.0, 2.0), real=(2.0, 2.0)) -> None:
    """Mean and std of the fit per generation, with the pre-training and real means for reference."""
    fig, axes = figures.subplots(1, 2, figsize=(9, 3.6))
    for method, rows in table.groupby("method"):
        axes[0].plot(rows["generation"], rows["mean"], marker="o", label=f"{method} MLE")
        axes[1].plot(rows["generation"], rows["std"], marker="o", label=f"{method} MLE")
    axes[0].axhline(pretrain[0] / sum(pretrain), ls="--", c="gray", label="pre-training mean")
    axes[0].axhline(real[0] / sum(real), ls=":", c="gray", label="real-data mean")
    axes[0].set(xlabel="generation", ylabel="mean of fitted Beta")
    axes[1].set(xlabel="generation", ylabel="std of fitted Beta", yscale="log")
    axes[0].legend(frameon=False, fontsize=8)
    for ax in axes:
        figures.integer_ticks(ax)
    figures.save(fig, path)


# -- Kovač et al.'s histogram toy (study 2, appendix C.3) ----------------------------------------

SYNTHETIC_RATIOS = (1 / 16, 1 / 8, 1 / 4, 3 / 8, 1 / 2, 5 / 8, 3 / 4, 7 / 8, 1.0)


def true_distribution(n: int, overlap: bool) -> np.ndarray:
    """Uniform over the integers 0..n (appendix C.3: [0, N]); without overlap, over the odd ones only
    (the truth then holds none of the multiples of 2 that the learner's prior favours)."""
    values = np.arange(n + 1)
    support = np.ones(n + 1, bool) if overlap else values % 2 == 1
    return support / support.sum()


def even_prior(n: int, factor: float) -> np.ndarray:
    """The bias vector: `factor` on multiples of 2, 1 elsewhere (factor 1: an unbiased learner)."""
    return np.where(np.arange(n + 1) % 2 == 0, factor, 1.0)


def fit_histogram(counts: np.ndarray, prior: np.ndarray, smoothing: float) -> np.ndarray:
    """Learning: the training points' histogram multiplied by the bias vector, plus a pseudo-count
    `smoothing` on every value, normalised. The appendix does not say how a model comes to emit a
    value its data lacks; without a pseudo-count a truth over odd values would leave the biased
    and unbiased learners identical, so the smallest such mechanism is added (an assumption)."""
    weights = counts * prior + smoothing
    return weights / weights.sum(axis=-1, keepdims=True)


def entropy(p: np.ndarray) -> np.ndarray:
    """Shannon entropy (nats) along the last axis; the model's diversity."""
    return stats.entropy(p, axis=-1)


def histogram_chain_entropies(
    truth: np.ndarray,
    prior: np.ndarray,
    ratio: float,
    n: int,
    generations: int,
    runs: int,
    smoothing: float,
    accumulate: bool,
    rng: np.random.Generator,
) -> np.ndarray:
    """(generations, runs) entropies of each step's model, all runs at once (appendix C.3).

    Step 0: n points from the truth, the model is their (biased) histogram. Every later step:
    round(r·n) points drawn from the model and n − round(r·n) from the truth. Without
    accumulation the next model is fitted to those n points alone; with accumulation they join
    every earlier step's points (step 0's included) and the model is fitted to all of them.
    """
    truth = np.broadcast_to(truth, (runs, len(truth)))
    counts = rng.multinomial(n, truth)
    model = fit_histogram(counts, prior, smoothing)
    n_synthetic = int(round(n * ratio))
    entropies = [entropy(model)]
    for _ in range(1, generations):
        new = rng.multinomial(n_synthetic, model) + rng.multinomial(n - n_synthetic, truth)
        counts = counts + new if accumulate else new
        model = fit_histogram(counts, prior, smoothing)
        entropies.append(entropy(model))
    return np.array(entropies)


def histogram_toy(
    n: int = 100,
    prior_factor: float = 100.0,
    smoothing: float = 0.3,
    ratios=SYNTHETIC_RATIOS,
    generations: int = 20,
    runs: int = 50,
    last: int = 5,
    seed: int = 0,
) -> pd.DataFrame:
    """Diversity loss per simulation for every truth (overlaps the prior or not) × learner (biased or
    not) × pool (accumulate or replace) × ratio: one row each, `runs` simulations per cell
    (appendix C.3: 50 simulations, 20 steps).

    Diversity loss = entropy of step 0's model − mean entropy of the last `last` steps (the
    study's shift compares the last five generations with generation 0); positive = lost.

    The appendix's mechanism: a strongly biased learner weighs the few points aligned with its
    prior (its own even-valued samples) far above real points. At low r the real points
    still dominate; from a moderate r on the learner keeps essentially only its r·n own points,
    so it refits a small sample of itself every step and collapses fastest at intermediate r;
    at r = 1 it refits n of its points, a larger sample, and drifts more slowly. The result
    the paper reports: only the biased learner on a truth that avoids its prior loses the most
    diversity at intermediate ratios (Figure 12); the other three cells lose more the higher r.
    """
    rng = np.random.default_rng(seed)
    frames = []
    for overlap in (True, False):
        truth = true_distribution(n, overlap)
        for factor in (1.0, prior_factor):
            prior = even_prior(n, factor)
            for accumulate in (True, False):
                for ratio in ratios:
                    h = histogram_chain_entropies(truth, prior, ratio, n, generations, runs, smoothing, accumulate, rng)
                    final = h[-last:].mean(axis=0)
                    frames.append(
                        pd.DataFrame(
                            {
                                "truth": "overlaps prior" if overlap else "avoids prior",
                                "learner": "biased" if factor != 1 else "unbiased",
                                "prior_factor": factor,
                                "pool": "accumulate" if accumulate else "replace",
                                "ratio": ratio,
                                "run": np.arange(runs),
                                "entropy_initial": h[0],
                                "entropy_final": final,
                                "diversity_loss": h[0] - final,
                            }
                        )
                    )
    return pd.concat(frames, ignore_index=True)


CONDITION = ["truth", "learner", "pool"]


def diversity_loss_by_ratio(runs: pd.DataFrame) -> pd.DataFrame:
    """Mean diversity loss over runs with its standard error, per condition and ratio."""
    return runs.groupby(CONDITION + ["ratio"], sort=False)["diversity_loss"].agg(loss="mean", se="sem").reset_index()


def curve_shape(losses, tolerance: float = 0.1) -> str:
    """'peak' (the paper's U: the largest diversity loss at an intermediate ratio) if an interior
    ratio's loss exceeds both end points by more than `tolerance`; 'increasing' / 'decreasing'
    if no step goes the other way by more than it; else 'other'."""
    losses = np.asarray(losses, dtype=float)
    if losses[1:-1].max() > max(losses[0], losses[-1]) + tolerance:
        return "peak"
    steps = np.diff(losses)
    if (steps > -tolerance).all():
        return "increasing"
    if (steps < tolerance).all():
        return "decreasing"
    return "other"


def histogram_toy_shapes(summary: pd.DataFrame, tolerance: float = 0.1) -> pd.DataFrame:
    return summary.groupby(CONDITION, sort=False)["loss"].apply(lambda s: curve_shape(s, tolerance)).rename("shape").reset_index()


def plot_histogram_toy(summary: pd.DataFrame, path) -> None:
    """Diversity loss vs synthetic ratio: one panel per pool, one line per truth × learner, ± 1 s.e."""
    pools = list(summary["pool"].unique())
    fig, axes = figures.subplots(1, len(pools), figsize=(5 * len(pools), 3.8), squeeze=False, sharey=True)
    for ax, pool in zip(axes[0], pools):
        for (truth, learner), rows in summary[summary["pool"] == pool].groupby(["truth", "learner"], sort=False):
            ax.errorbar(rows["ratio"], rows["loss"], yerr=rows["se"], marker="o", capsize=2, label=f"{learner}, truth {truth}")
        ax.axhline(0, c="gray", lw=0.5)
        ax.set(title=f"pool: {pool}", xlabel="synthetic ratio r", xscale="log", ylabel="diversity loss (nats)")
    axes[0][0].legend(frameon=False, fontsize=8)
    figures.save(fig, path)


# -- Gaussian collapse (Shumailov et al.) ---------------------------------------------------------


def gaussian_collapse(
    n: int = 20, generations: int = 100, runs: int = 200, mean: float = 0.0, std: float = 1.0, ddof: int = 0, seed: int = 0
) -> pd.DataFrame:
    """Each generation fits mean and variance to n samples of the previous fit, all runs at once.

    ddof=0 is the maximum-likelihood fit: its variance shrinks by (n − 1)/n per generation in
    expectation. With ddof=1 the expected variance is kept but every run still collapses to
    zero almost surely (the median falls), which is Shumailov et al.'s point.
    """
    rng = np.random.default_rng(seed)
    mu, sigma = np.full(runs, mean), np.full(runs, std)
    rows = []
    for generation in range(generations):
        sample = rng.normal(mu[:, None], sigma[:, None], size=(runs, n))
        mu, sigma = sample.mean(axis=1), sample.std(axis=1, ddof=ddof)
        rows.append(pd.DataFrame({"generation": generation, "run": np.arange(runs), "mean": mu, "variance": sigma**2}))
    return pd.concat(rows, ignore_index=True)


def gaussian_collapse_summary(runs: pd.DataFrame) -> pd.DataFrame:
    return runs.groupby("generation")["variance"].agg(mean_variance="mean", median_variance="median").reset_index()


def plot_gaussian_collapse(runs: pd.DataFrame, path) -> None:
    summary = gaussian_collapse_summary(runs)
    fig, ax = figures.subplots(figsize=(5, 3.6))
    ax.plot(summary["generation"], summary["mean_variance"], label="mean over runs")
    ax.plot(summary["generation"], summary["median_variance"], label="median over runs")
    ax.set(xlabel="generation", ylabel="fitted variance", yscale="log")
    ax.legend(frameon=False)
    figures.integer_ticks(ax)
    figures.save(fig, path)


# -- the workflow's entry point ---------------------------------------------------------------------

TOYS = {
    "weighted_mle": (
        weighted_mle_drift,
        lambda table, path, params: plot_weighted_mle(table, path, params.get("pretrain", (3.0, 2.0)), params.get("real", (2.0, 2.0))),
    ),
    "histogram_prior": (histogram_toy, lambda runs, path, params: plot_histogram_toy(diversity_loss_by_ratio(runs), path)),
    "gaussian_collapse": (gaussian_collapse, lambda runs, path, params: plot_gaussian_collapse(runs, path)),
}


def run_toy(name: str, params: dict, table_path, figure_path) -> pd.DataFrame:
    """Simulate one toy with its config parameters (defaults in code), write its table (CSV) and figure."""
    simulate, plot = TOYS[name]
    table = simulate(**params)
    table.to_csv(table_path, index=False)
    plot(table, figure_path, params)
    return table
