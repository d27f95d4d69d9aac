"""The scorer family: each kind turns a list of texts into per-text values and per-set values.

A scorer function has the signature ``fn(texts, spec, assets) -> Scores`` where ``spec`` is
the scorer's config entry and ``assets`` maps the asset names the kind declares (trained
classifier files, a causal LM directory, ...) to paths. Kinds are registered by import
path so that validating a config never imports torch.

Importing this module is cheap (no pandas, scipy or torch): the workflow imports it at parse time.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pandas is imported where it is used: the workflow imports this module at parse time
    import pandas as pd


@dataclass(frozen=True)
class Kind:
    target: str  # "module:function"
    assets: tuple[str, ...] = ()

    def load(self):
        module, name = self.target.split(":")
        return getattr(importlib.import_module(module), name)


@dataclass
class Scores:
    per_text: pd.DataFrame  # one row per text, one numeric column per metric
    per_set: dict[str, float] = field(default_factory=dict)  # metrics defined only on the whole set


SCORERS: dict[str, Kind] = {
    "lean_classifier": Kind("synthloop.scorers.classifiers:score_lean", ("lean_model",)),
    "lean_embedding": Kind("synthloop.scorers.classifiers:score_lean_embedding", ("lean_embedding_model", "embeddings")),
    "quality_classifier": Kind("synthloop.scorers.classifiers:score_quality", ("quality_model",)),
    "detector_classifier": Kind("synthloop.scorers.classifiers:score_detector", ("detector_model",)),
    "hf_classifier": Kind("synthloop.scorers.classifiers:score_hf_classifier"),
    "perplexity": Kind("synthloop.scorers.perplexity:score_perplexity", ("causal_lm",)),
    "semantic_diversity": Kind("synthloop.scorers.embeddings:score_semantic_diversity", ("embeddings",)),
    "gaussianity": Kind("synthloop.scorers.embeddings:score_gaussianity", ("embeddings",)),
    "self_bleu": Kind("synthloop.scorers.text_metrics:score_self_bleu"),
    "word_entropy": Kind("synthloop.scorers.text_metrics:score_word_entropy"),
    "type_token_ratio": Kind("synthloop.scorers.text_metrics:score_type_token_ratio"),
    "positivity": Kind("synthloop.scorers.text_metrics:score_positivity"),
    "text_length": Kind("synthloop.scorers.text_metrics:score_text_length"),
    "toxicity": Kind("synthloop.scorers.text_metrics:score_toxicity"),
    "llm_judge": Kind("synthloop.scorers.judge:score_llm_judge"),
}

# Kinds that can measure political lean, and their per-text column on one scale (0 = left,
# 50 = centre, 100 = right): lean partitions are drawn and bucketed on it (synthloop.studies.text_loop.lean).
LEAN_MEASURES: dict[str, str] = {
    "lean_classifier": "lean_score",
    "lean_embedding": "lean_score",
    "hf_classifier": "lean_score",
    "llm_judge": "judge_lean",
}
LEAN_POSITIONS: dict[str, float] = {"left": 0.0, "center": 50.0, "right": 100.0}  # label -> place on that scale


def run_scorer(texts: list[str], spec: dict, assets: dict[str, str]) -> Scores:
    return SCORERS[spec["kind"]].load()(list(texts), spec, assets)


def summarise(scores: Scores) -> pd.DataFrame:
    """Tidy rows: metric, value, ci_low, ci_high, n, missing."""
    import numpy as np
    import pandas as pd

    from synthloop.core.intervals import mean_ci

    rows = []
    for metric in scores.per_text.columns:
        column = scores.per_text[metric]
        mean, low, high, n = mean_ci(column)
        rows.append({"metric": metric, "value": mean, "ci_low": low, "ci_high": high, "n": n, "missing": int(column.isna().sum())})
    for metric, value in scores.per_set.items():
        rows.append({"metric": metric, "value": float(value), "ci_low": np.nan, "ci_high": np.nan, "n": len(scores.per_text), "missing": 0})
    return pd.DataFrame(rows, columns=["metric", "value", "ci_low", "ci_high", "n", "missing"])


ALL_DOMAINS = "all"  # the `domain` of a one-domain text set's summary rows


def score_by_domain(texts, spec: dict, assets: dict[str, dict]):
    """One scorer on a text set, within each domain: (per-text scores in the set's order, summary rows with `domain`).

    `assets` maps each scored group to its assets: {ALL_DOMAINS: ...} scores the whole set
    at once; {domain: ...} (a mixed chain) scores each domain's texts on their own, with its own
    dataset's scorer models, because set metrics (semantic diversity, Self-BLEU, gaussianity)
    mean something only within one domain. Embeddings arrive as the set's file and are sliced.
    """
    import numpy as np
    import pandas as pd

    if list(assets) == [ALL_DOMAINS]:
        scores = run_scorer(texts["text"], spec, assets[ALL_DOMAINS])
        return scores.per_text, summarise(scores).assign(domain=ALL_DOMAINS)
    per_text, summaries = [], []
    for domain, group_assets in assets.items():
        rows = np.flatnonzero(texts["domain"].to_numpy() == domain)
        if len(rows) == 0:
            raise ValueError(f"no texts of domain {domain!r} to score; domains in the set: {sorted(texts['domain'].unique())}")
        if "embeddings" in group_assets:
            group_assets = {**group_assets, "embeddings": np.load(group_assets["embeddings"])[rows]}
        scores = run_scorer(texts["text"].iloc[rows], spec, group_assets)
        per_text.append(scores.per_text.set_axis(rows).assign(domain=domain))
        summaries.append(summarise(scores).assign(domain=domain))
    return pd.concat(per_text).sort_index(), pd.concat(summaries, ignore_index=True)
