"""A text-loop strategy's selection step (strategies.<name>.select): score what generation g-1 wrote, keep
some of it (synthloop.loop.select), compose generation g's training set from what was kept, and check the
realised mix (synthloop.loop.mix) that compose writes and a chain's table gathers. The per-text table of scores, copies and kept flags is written per
generation, so any selection can be audited after the run.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from synthloop.core.config import ConfigError
from synthloop.loop import mix, select
from synthloop.loop.strategies import generation_training_set
from synthloop.scorers.registry import SCORERS, run_scorer

# The per-text column a selection reads when `column` is unset, for scorer kinds with several columns.
DEFAULT_COLUMNS = {"quality_classifier": "quality_index", "detector_classifier": "p_synthetic", "lean_classifier": "lean_score"}
ONE_COLUMN = ("perplexity", "self_bleu", "type_token_ratio", "positivity", "toxicity")  # kinds whose only per-text column is the score
REQUIRED = {"threshold": "threshold", "top_fraction": "fraction"}


def score_column(step: dict, kind: str) -> str | None:
    """The per-text column the step reads (None: the scorer's only column, resolved when it has scored)."""
    return step.get("column") or DEFAULT_COLUMNS.get(kind)


def select_generated(generated: pd.DataFrame, step: dict, scorer: dict, assets: dict, count: int | None, seed: int) -> pd.DataFrame:
    """Every candidate text with its score, its copies in the next training set or pool, and whether it was kept."""
    per_text = run_scorer(generated["text"].tolist(), scorer, assets).per_text
    column = score_column(step, scorer["kind"])
    if column is None:
        if per_text.shape[1] != 1:
            raise ValueError(f"the selection's scorer writes columns {list(per_text.columns)}; name one as select.column")
        column = per_text.columns[0]
    scores = per_text[column].to_numpy(dtype=float)
    copies = select.copies(scores, step, count, np.random.default_rng(seed))
    weights = select.importance_weights(scores, step.get("beta", 1.0)) if step["mode"] == "importance" else np.full(len(scores), np.nan)
    return pd.DataFrame(
        {
            "doc_id": generated["doc_id"].to_numpy(),
            "generation": generated["generation"].to_numpy(),
            "text": generated["text"].to_numpy(),
            "score": scores,
            "weight": weights,
            "copies": copies,
            "kept": copies > 0,
        }
    ).assign(column=column)


def selected(generated: pd.DataFrame, selection: pd.DataFrame) -> pd.DataFrame:
    """What generation g-1 wrote, as the step left it: each text repeated by its copies."""
    if not np.array_equal(generated["doc_id"].to_numpy(), selection["doc_id"].to_numpy()):
        raise ValueError("the selection table does not list the generated texts in their order; re-run the selection")
    if len(selection) and selection["copies"].sum() == 0:
        raise ValueError(
            f"the selection kept none of the {len(selection)} texts of generation {int(selection['generation'].iloc[0])}; "
            "loosen its threshold or fraction"
        )
    return select.expand(generated, selection["copies"].to_numpy())


def compose(
    strategy: dict,
    gen: int,
    real: pd.DataFrame,
    previous_pool,
    previous_generated,
    selection: pd.DataFrame | None,
    ratio: float | None,
    seed: int,
    real_seed: int,
    chain: str,
) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Generation `gen`'s training set and pool from the selected texts, with its realised mix (checked)."""
    if selection is not None:
        previous_generated = selected(previous_generated, selection)
    train, pool = generation_training_set(strategy, gen, real, previous_pool, previous_generated, ratio, seed, real_seed)
    row = mix.row(strategy, gen, ratio, train, pool, selection)
    mix.check(row, chain)
    return train, pool, row


def chain_mix(keys: dict, rows: list[dict]) -> pd.DataFrame:
    """The chain's table: the realised-mix row each generation's compose wrote (and checked), under the chain's keys."""
    return pd.DataFrame([{**keys, **row} for row in rows])


def check(config: dict) -> None:
    """Each strategy's select step names a per-text scorer and the keys its mode needs; oversampling only where a
    generation has a configured count to keep (pool strategies in instruction mode)."""
    for name, strategy in config["strategies"].items():
        step = strategy.get("select")
        if not step:
            continue
        key = f"strategies.{name}.select"
        scorer = config["scorers"].get(step["scorer"])
        if scorer is None:
            raise ConfigError(
                f"config key '{key}.scorer': {step['scorer']!r} is not a configured scorer; scorers: {sorted(config['scorers'])}"
            )
        kind = scorer["kind"]
        if "embeddings" in SCORERS[kind].assets:  # lean_embedding too: the score job embeds, a selection step does not
            raise ConfigError(
                f"config key '{key}.scorer': {step['scorer']!r} ({kind}) reads the score job's embeddings, which a selection step has not"
            )
        if kind == "llm_judge":
            raise ConfigError(f"config key '{key}.scorer': {step['scorer']!r} ({kind}) gives no per-text score a selection can read")
        if score_column(step, kind) is None and kind not in ONE_COLUMN:
            raise ConfigError(f"config key '{key}.column': scorer kind {kind!r} writes several per-text columns; name the one to select by")
        needed = REQUIRED.get(step["mode"])
        if needed and needed not in step:
            raise ConfigError(f"config key '{key}.{needed}': required by mode {step['mode']!r}")
        if step["oversample"] and (
            step["mode"] != "top_fraction" or strategy["compose"] != "pool" or config["generate"]["mode"] != "instruction"
        ):
            raise ConfigError(
                f"config key '{key}.oversample': only top_fraction selections of pool strategies in instruction mode oversample "
                "(a threshold keeps an unknown number, importance always draws the pool's count, block generation writes one text per prompt)"
            )
        if config["chains"].get("mixed"):
            raise ConfigError(f"config key '{key}': selection is not supported with chains.mixed (one step would skew the domains' shares)")


def effect(metrics: pd.DataFrame, pairs: dict[str, str]) -> pd.DataFrame:
    """Per selecting strategy, scorer, metric and generation: its mean over seeds and its difference from the
    unselected strategy (paired by seed), each with a 95% t-interval across seeds."""
    from synthloop.core.intervals import mean_ci

    frame = metrics[metrics["generation"] >= 0]
    keys = ["scorer", "metric", "generation", "seed"]
    rows = []
    for strategy, baseline in pairs.items():
        mine = frame[frame["strategy"] == strategy].set_index(keys)["value"]
        theirs = frame[frame["strategy"] == baseline].set_index(keys)["value"]
        joined = pd.concat({"value": mine, "baseline": theirs}, axis=1, join="inner").reset_index()
        for (scorer, metric, generation), group in joined.groupby(["scorer", "metric", "generation"], sort=True):
            value, low, high, n = mean_ci(group["value"])
            base, base_low, base_high, _ = mean_ci(group["baseline"])
            diff, diff_low, diff_high, _ = mean_ci(group["value"] - group["baseline"])
            rows.append(
                {
                    "strategy": strategy,
                    "baseline": baseline,
                    "scorer": scorer,
                    "metric": metric,
                    "generation": int(generation),
                    "seeds": n,
                    "value": value,
                    "ci_low": low,
                    "ci_high": high,
                    "baseline_value": base,
                    "baseline_ci_low": base_low,
                    "baseline_ci_high": base_high,
                    "difference": diff,
                    "difference_ci_low": diff_low,
                    "difference_ci_high": diff_high,
                }
            )
    return pd.DataFrame(rows)
