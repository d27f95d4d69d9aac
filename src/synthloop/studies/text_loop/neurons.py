"""Mechanistic analysis of study 1: which feed-forward output units move with bias and quality.

A "neuron" is one output unit of a transformer block's feed-forward sublayer (for GPT-2,
768 per block × 12 blocks = 9,216). Each model version gives every neuron two values: a
weight value (the L2 norm of the unit's parameters in the output projection, bias
included) and an activation value (its mean output on a fixed probe set, before the
residual add). Across the versions of each chain, the first difference of a metric is
regressed on the first difference of each neuron's value with Newey–West standard errors;
neurons with p < alpha form the set of that metric.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib.patches import Circle
from scipy import stats

from synthloop.core import figures

VALUE_KINDS = ("weight", "activation")
BLOCK_PATHS = ("transformer.h", "model.layers", "gpt_neox.layers", "model.decoder.layers", "transformer.blocks")
OUTPUT_PROJECTIONS = ("c_proj", "down_proj", "dense_4h_to_h", "fc_out", "fc2", "w2")


# -- locating the feed-forward output units -----------------------------------------------------


def unwrap(model):
    """The transformers model under a peft wrapper (LoRA layers stay in place)."""
    return model.get_base_model() if hasattr(model, "get_base_model") else model


def _get_path(obj, dotted: str):
    for name in dotted.split("."):
        obj = getattr(obj, name, None)
        if obj is None:
            return None
    return obj


def transformer_blocks(model) -> list:
    """The stack of blocks, found by the attribute paths of the common decoder families."""
    model = unwrap(model)
    for dotted in BLOCK_PATHS:
        blocks = _get_path(model, dotted)
        if blocks is not None:
            return list(blocks)
    raise ValueError(f"no transformer blocks found in {type(model).__name__}; looked for {BLOCK_PATHS}")


def output_projection(block):
    """The layer of the block's MLP that writes its output units into the residual stream."""
    mlp = block.mlp
    for name in OUTPUT_PROJECTIONS:
        if hasattr(mlp, name):
            return getattr(mlp, name)
    raise ValueError(f"no output projection in {type(mlp).__name__}; looked for {OUTPUT_PROJECTIONS}")


def _effective_linear(projection):
    """(weight, bias) as the model applies them; LoRA deltas of active adapters are added."""
    base = getattr(projection, "base_layer", projection)
    weight = base.weight.detach().float()
    if base is not projection:  # a peft LoRA layer: W + sum of the active adapters' B A · scaling
        for adapter in projection.active_adapters:
            if adapter in getattr(projection, "lora_A", {}):
                weight = weight + projection.get_delta_weight(adapter).detach().float()
    bias = None if base.bias is None else base.bias.detach().float()
    return base, weight, bias


def unit_weights(projection) -> np.ndarray:
    """Per output unit: the L2 norm of its incoming weights and its bias taken together.

    GPT-2's Conv1D stores its weight as (in, out), so a unit's weights are a column;
    nn.Linear stores (out, in), so they are a row. A missing bias counts as zero.
    """
    import torch

    base, weight, bias = _effective_linear(projection)
    per_unit = weight.T if type(base).__name__ == "Conv1D" else weight  # (out, in)
    if bias is not None:
        per_unit = torch.cat([per_unit, bias[:, None]], dim=1)
    return torch.linalg.vector_norm(per_unit, dim=1).cpu().numpy()


def weight_values(model) -> np.ndarray:
    """(n_blocks, hidden) weight values, one row per block."""
    return np.stack([unit_weights(output_projection(block)) for block in transformer_blocks(model)]).astype(np.float32)


def activation_values(model, probe_texts, tokenizer, batch_size: int = 16, max_length: int = 256) -> np.ndarray:
    """(n_blocks, hidden) mean MLP output per unit over every non-padding probe token.

    Hooks the MLP module itself, so the values are the sublayer's output before the residual add.
    Texts are truncated to `max_length` tokens and never beyond the model's context.
    """
    import torch  # here, not at the top: the analysis job reads values files and never needs torch

    from synthloop.lm.batches import padded_batches
    from synthloop.lm.models import context_length

    blocks = transformer_blocks(model)
    max_length = min(max_length, context_length(model))
    device = next(model.parameters()).device
    sums = torch.zeros(len(blocks), unwrap(model).config.hidden_size, dtype=torch.float64, device=device)
    mask_holder = {}

    def accumulate(index):
        def hook(_module, _inputs, output):
            output = output[0] if isinstance(output, tuple) else output
            mask = mask_holder["mask"].to(torch.float64)[..., None]
            sums[index] += (output.double() * mask).sum(dim=(0, 1))

        return hook

    handles = [block.mlp.register_forward_hook(accumulate(i)) for i, block in enumerate(blocks)]
    tokens = 0
    encoded = tokenizer(list(probe_texts), truncation=True, max_length=max_length)["input_ids"]
    try:
        model.eval()
        with torch.inference_mode():
            for _rows, ids, mask in padded_batches(encoded, batch_size, tokenizer.pad_token_id, device=device):
                mask_holder["mask"] = mask
                tokens += int(mask.sum())
                model(input_ids=ids, attention_mask=mask)
    finally:
        for handle in handles:
            handle.remove()
    return (sums / tokens).float().cpu().numpy()


def probe_texts(texts, size: int, seed: int) -> list[str]:
    """A fixed random subset of real documents; the same seed gives every version the same probes."""
    texts = [t for t in texts if isinstance(t, str) and t.strip()]
    rng = np.random.default_rng(seed)
    chosen = np.sort(rng.choice(len(texts), min(size, len(texts)), replace=False))
    return [texts[i] for i in chosen]


def neuron_values(model, probe_texts, tokenizer, batch_size: int = 16, max_length: int = 256) -> dict[str, np.ndarray]:
    """Both values of every neuron of one model version, as float32 arrays (n_blocks, hidden)."""
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    tokenizer.padding_side = "right"  # left padding would shift GPT-2's absolute positions
    return {
        "weight": weight_values(model),
        "activation": activation_values(model, list(probe_texts), tokenizer, batch_size, max_length),
    }


# -- first-difference regressions with Newey–West standard errors --------------------------------


def first_differences(series) -> tuple[np.ndarray, np.ndarray]:
    """Differences taken inside each chain, stacked, and the chain index of every row.

    `series` is one array per chain (versions ordered by generation, first axis), or a
    single array for one chain. No difference ever spans two chains.
    """
    if isinstance(series, np.ndarray):
        series = [series]
    diffs = [np.diff(np.asarray(s, dtype=float), axis=0) for s in series]
    groups = np.concatenate([np.full(len(d), i) for i, d in enumerate(diffs)])
    return np.concatenate(diffs), groups


def bartlett_weights(maxlags: int) -> np.ndarray:
    """Kernel weights for lags 0..maxlags, as statsmodels' `weights_bartlett`."""
    return 1 - np.arange(maxlags + 1) / (maxlags + 1)


def hac_slope_regressions(dy: np.ndarray, dx: np.ndarray, groups: np.ndarray | None = None, maxlags: int = 1) -> pd.DataFrame:
    """OLS of dy on [1, dx_j] for every column j at once, with Newey–West (Bartlett) errors.

    Matches statsmodels exactly: with one group, `OLS.fit(cov_type="HAC", cov_kwds={"maxlags": L})`;
    with several, `cov_type="hac-panel"` with `groups` and `use_correction=False`: lag products
    only inside a group, because a chain's first version does not follow another chain's last.
    (Plain HAC on the stacked rows would pair them across the boundary; "hac-groupsum",
    Driscoll–Kraay, sums scores over chains at the same generation, which assumes chains share
    shocks and needs many generations.) statsmodels' HAC default is no small-sample correction
    and normal p-values, kept so that one chain reproduces the published analysis; at ~60
    differences it rejects true nulls about 7% of the time at 5%. Rows must be stacked by group.

    The slope's variance is h S hᵀ with h the slope row of (XᵀX)⁻¹; writing v_t = e_t (h0 + h1 x_t)
    it is Σ v_t² + 2 Σ_l w_l Σ_t v_t v_{t−l}, which broadcasts over neurons.
    """
    dy = np.asarray(dy, dtype=float)
    dx = np.asarray(dx, dtype=float).reshape(len(dy), -1)
    groups = np.zeros(len(dy), dtype=int) if groups is None else np.asarray(groups)
    n = len(dy)
    with np.errstate(divide="ignore", invalid="ignore"):
        x_mean = dx.mean(axis=0)
        x_centred = dx - x_mean
        sxx = (x_centred**2).sum(axis=0)
        beta = (x_centred * (dy - dy.mean())[:, None]).sum(axis=0) / sxx
        alpha = dy.mean() - beta * x_mean
        resid = dy[:, None] - alpha - beta * dx
        # slope row of (X'X)^-1 for X = [1, x]: (-sum x, n) / (n sxx)
        h0, h1 = -dx.sum(axis=0) / (n * sxx), 1 / sxx
        v = resid * (h0 + h1 * dx)
        variance = (v**2).sum(axis=0)
        for lag, weight in enumerate(bartlett_weights(maxlags)[1:], start=1):
            same_chain = (groups[lag:] == groups[:-lag])[:, None]
            variance += 2 * weight * (v[lag:] * v[:-lag] * same_chain).sum(axis=0)
        se = np.sqrt(variance)
        t = beta / se
    p = 2 * stats.norm.sf(np.abs(t))
    return pd.DataFrame({"beta": beta, "se": se, "t": t, "p": p, "n": n})


def hac_first_difference_regressions(y, x, maxlags: int = 1) -> pd.DataFrame:
    """Δy = α + β·Δx_j + ε per neuron j, differences within chains, Newey–West errors.

    `y`: one 1-D series per chain (or one array); `x`: one (versions, neurons) array per chain.
    Returns one row per neuron: beta, se, t, p (normal, as statsmodels' HAC), n differences.
    """
    dy, groups = first_differences(y)
    dx, x_groups = first_differences(x)
    if not np.array_equal(groups, x_groups):
        raise ValueError("y and x must have the same chains with the same number of versions")
    return hac_slope_regressions(dy, dx.reshape(len(dy), -1), groups, maxlags)


def pearson_by_neuron(y, x) -> pd.DataFrame:
    """Pearson r (and its p) between Δy and each neuron's Δx, differences within chains."""
    dy, _ = first_differences(y)
    dx, _ = first_differences(x)
    dx = dx.reshape(len(dy), -1)
    with np.errstate(divide="ignore", invalid="ignore"):
        result = stats.pearsonr(dx, np.broadcast_to(dy[:, None], dx.shape), axis=0)
    return pd.DataFrame({"r": result.statistic, "r_p": result.pvalue})


def pearson_levels_by_neuron(y, x) -> pd.DataFrame:
    """Pearson r (and its p) between the metric and each neuron's value in levels, every version of
    every chain pooled (Wang et al.'s Figure 4: 66 versions = 6 setups × 11 generations)."""
    levels_y = np.concatenate([np.asarray(s, dtype=float) for s in y])
    levels_x = np.concatenate([np.asarray(s, dtype=float).reshape(len(np.asarray(t)), -1) for s, t in zip(x, y)])
    with np.errstate(divide="ignore", invalid="ignore"):
        result = stats.pearsonr(levels_x, np.broadcast_to(levels_y[:, None], levels_x.shape), axis=0)
    return pd.DataFrame({"r_level": result.statistic, "r_level_p": result.pvalue})


# -- the analysis over chains, metrics and value kinds --------------------------------------------


@dataclass
class NeuronAnalysis:
    per_neuron: pd.DataFrame  # kind, metric, neuron, block, unit, beta, se, t, p, n, r, r_p (differences), r_level, r_level_p, significant
    set_sizes: pd.DataFrame  # kind, metric, n_neurons, n_significant, share
    overlap: pd.DataFrame  # kind, sets, n_significant_in_all


def load_versions(versions: list[dict], paths: list[str]) -> tuple[dict[str, dict[str, np.ndarray]], dict[str, list[int]]]:
    """Read the values files (one per {chain, generation} version) into values[chain][kind] = (versions, blocks, hidden)."""
    by_chain: dict[str, list[dict]] = {}
    for version in sorted(({**v, "path": p} for v, p in zip(versions, paths, strict=True)), key=lambda v: (v["chain"], v["generation"])):
        by_chain.setdefault(version["chain"], []).append(version)
    values, generations = {}, {}
    for chain, chain_versions in by_chain.items():
        arrays = [np.load(v["path"]) for v in chain_versions]
        values[chain] = {kind: np.stack([a[kind] for a in arrays]) for kind in VALUE_KINDS}
        generations[chain] = [v["generation"] for v in chain_versions]
    return values, generations


def metric_label(scorer: str, metric: str) -> str:
    return f"{scorer}.{metric}"


def metric_series(metrics: pd.DataFrame, chain: str, scorer: str, metric: str, generations) -> np.ndarray:
    """One chain's metric at the given generations, in that order."""
    rows = metrics[(metrics["chain"] == chain) & (metrics["scorer"] == scorer) & (metrics["metric"] == metric)]
    values = rows.set_index("generation")["value"].reindex(list(generations))
    if values.isna().any():
        missing = values.index[values.isna()].tolist()
        raise ValueError(f"metric {scorer}.{metric} of chain {chain!r} is missing at generations {missing}")
    return values.to_numpy(dtype=float)


def analyse_neurons(
    values: dict[str, dict[str, np.ndarray]],
    generations: dict[str, list[int]],
    metrics: pd.DataFrame,
    targets: list[dict],
    maxlags: int = 1,
    alpha: float = 0.05,
) -> NeuronAnalysis:
    """Regressions, correlations and significant sets for every value kind × metric.

    `values[chain][kind]` is (versions, n_blocks, hidden) ordered as `generations[chain]`;
    `targets` lists the metrics as {scorer, metric}.
    """
    chains = sorted(values)
    frames = []
    for kind in VALUE_KINDS:
        x = [values[c][kind].reshape(len(generations[c]), -1) for c in chains]
        n_blocks, hidden = values[chains[0]][kind].shape[1:]
        for target in targets:
            y = [metric_series(metrics, c, target["scorer"], target["metric"], generations[c]) for c in chains]
            frame = pd.concat(
                [hac_first_difference_regressions(y, x, maxlags), pearson_by_neuron(y, x), pearson_levels_by_neuron(y, x)], axis=1
            )
            neuron = np.arange(len(frame))
            frames.append(
                frame.assign(
                    kind=kind,
                    metric=metric_label(target["scorer"], target["metric"]),
                    neuron=neuron,
                    block=neuron // hidden,
                    unit=neuron % hidden,
                )
            )
    per_neuron = pd.concat(frames, ignore_index=True)
    per_neuron["significant"] = per_neuron["p"] < alpha
    columns = ["kind", "metric", "neuron", "block", "unit"]
    per_neuron = per_neuron[columns + [c for c in per_neuron.columns if c not in columns]]
    return NeuronAnalysis(per_neuron, set_sizes(per_neuron), set_overlap(per_neuron))


def significant_sets(per_neuron: pd.DataFrame, kind: str) -> dict[str, np.ndarray]:
    """Metric -> boolean mask over neurons of one value kind."""
    rows = per_neuron[per_neuron["kind"] == kind]
    return {metric: group.sort_values("neuron")["significant"].to_numpy() for metric, group in rows.groupby("metric", sort=False)}


def set_sizes(per_neuron: pd.DataFrame) -> pd.DataFrame:
    sizes = per_neuron.groupby(["kind", "metric"], sort=False)["significant"].agg(n_neurons="size", n_significant="sum").reset_index()
    sizes["share"] = sizes["n_significant"] / sizes["n_neurons"]
    return sizes


def set_overlap(per_neuron: pd.DataFrame) -> pd.DataFrame:
    """Every pair of metric sets (and all of them together when more than two): sizes, intersection, Jaccard."""
    from itertools import combinations

    rows = []
    for kind in per_neuron["kind"].unique():
        sets = significant_sets(per_neuron, kind)
        names = list(sets)
        combos = [c for k in range(2, len(names) + 1) for c in combinations(names, k)]
        for combo in combos:
            masks = np.stack([sets[name] for name in combo])
            both, either = masks.all(axis=0).sum(), masks.any(axis=0).sum()
            rows.append(
                {
                    "kind": kind,
                    "sets": " & ".join(combo),
                    "n_sets": len(combo),
                    "n_in_all": int(both),
                    "n_in_any": int(either),
                    "jaccard": both / either if either else np.nan,
                }
            )
    return pd.DataFrame(rows, columns=["kind", "sets", "n_sets", "n_in_all", "n_in_any", "jaccard"])


# -- figures (the published Figure 4 and the set overlap) ----------------------------------------


def plot_set_overlap(per_neuron: pd.DataFrame, path) -> None:
    """One Venn-style panel per value kind: two circles with the counts of each region.

    With more than two metrics the first two are drawn (the table has every combination).
    """
    kinds = list(per_neuron["kind"].unique())
    fig, axes = figures.subplots(1, len(kinds), figsize=(4.8 * len(kinds), 3.8), squeeze=False)
    for ax, kind in zip(axes[0], kinds):
        sets = significant_sets(per_neuron, kind)
        names = list(sets)[:2]
        a = sets[names[0]]
        b = sets[names[1]] if len(names) > 1 else np.zeros_like(a)
        for centre, colour, name in zip((-0.5, 0.5), ("tab:blue", "tab:orange"), names):
            ax.add_patch(Circle((centre, 0), 1.0, alpha=0.35, color=colour, label=name))
        counts = {(-0.95, 0): (a & ~b).sum(), (0, 0): (a & b).sum(), (0.95, 0): (b & ~a).sum()}
        for (cx, cy), count in counts.items():
            ax.text(cx, cy, str(int(count)), ha="center", va="center", fontsize=12)
        ax.text(0, -1.3, f"neither: {int((~a & ~b).sum())} of {len(a)}", ha="center", fontsize=9)
        ax.set(xlim=(-1.7, 1.7), ylim=(-1.5, 1.3), aspect="equal", title=f"{kind} values: neurons with p < alpha")
        ax.axis("off")
        ax.legend(loc="upper center", ncol=2, frameon=False, fontsize=8, bbox_to_anchor=(0.5, 1.02))
    figures.save(fig, path)


def plot_correlation_histograms(per_neuron: pd.DataFrame, path, bins: int = 50) -> None:
    """Distribution of per-neuron Pearson r between the metric and the value in levels, all versions pooled
    (the paper's Figure 4): rows are kinds, columns metrics. `r` (first differences) stays in the table as an extra."""
    kinds, metrics = list(per_neuron["kind"].unique()), list(per_neuron["metric"].unique())
    fig, axes = figures.subplots(len(kinds), len(metrics), figsize=(4.2 * len(metrics), 3.0 * len(kinds)), squeeze=False)
    for i, kind in enumerate(kinds):
        for j, metric in enumerate(metrics):
            rows = per_neuron[(per_neuron["kind"] == kind) & (per_neuron["metric"] == metric)]
            r = rows["r_level"].dropna()
            ax = axes[i][j]
            ax.hist(r, bins=bins, range=(-1, 1), color="tab:gray", label="all neurons")
            ax.hist(rows.loc[rows["significant"], "r_level"].dropna(), bins=bins, range=(-1, 1), color="tab:red", label="p < alpha")
            ax.set(title=f"{metric} vs {kind}", xlabel="Pearson r in levels (all versions pooled)", ylabel="neurons" if j == 0 else None)
    axes[0][-1].legend(frameon=False)
    figures.save(fig, path)
