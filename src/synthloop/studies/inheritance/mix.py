"""An arm's training set: real data D_o plus augmentation D_a at bias ratio gamma = |D_a| / |D|, |D| fixed.

|D_a| = gamma * total, rounded half up where it is not whole (the paper's culture total, 2,833, gives
141.65 at 5%: 142, a realised gamma of 0.0501, which the arm's table records), and
|D_o| = total - |D_a|, drawn gender- and profession-balanced from the real pool. Every arm of one
augmentation set takes a prefix of it, so a 10% arm's augmented examples are part of the 20% arm's.
"""

from __future__ import annotations

import json
import math

import pandas as pd

from synthloop.core.seeds import stable_seed
from synthloop.core.vocabulary import REAL
from synthloop.studies.inheritance.mitigate import mitigate_text
from synthloop.studies.inheritance.prompts import PROFESSION_QUESTION
from synthloop.studies.inheritance.realset import balanced_sample, group_counts

TOLERANCE = 1e-9


def augmented_count(total: int, ratio: float) -> int:
    """|D_a| for a ratio gamma in [0, 1) of a fixed total: gamma * total, rounded half up when not whole."""
    if not 0 <= ratio < 1:
        raise ValueError(f"bias ratio {ratio} is outside [0, 1)")
    return math.floor(ratio * total + 0.5 + TOLERANCE)


def realised_ratio(total: int, ratio: float) -> float:
    """|D_a| / |D| as composed (gamma itself when gamma * total is whole)."""
    return augmented_count(total, ratio) / total


def split_counts(total: int, ratio: float) -> tuple[int, int]:
    """(|D_o|, |D_a|)."""
    augmented = augmented_count(total, ratio)
    return total - augmented, augmented


def profession_examples(frame: pd.DataFrame, augmented: int, texts=None) -> pd.DataFrame:
    """Biographies as Table 3 classification examples: the question around the text, the profession as the answer."""
    texts = frame["text"].tolist() if texts is None else list(texts)
    return pd.DataFrame(
        {
            "instruction": [PROFESSION_QUESTION.format(biography=text) for text in texts],
            "response": frame["profession"].tolist(),
            "augmented": augmented,
            "source": "synthetic" if augmented else REAL,
            "profession": frame["profession"].tolist(),
            "gender": frame["gender"].tolist() if "gender" in frame else None,
        }
    )


def compose_gender(
    real_pool: pd.DataFrame,
    augmentation: pd.DataFrame,
    ratio: float,
    total: int,
    slots: dict,
    seed,
    mitigation: str = "none",
    key: str = "total.gender",
) -> pd.DataFrame:
    """The gender arm's table: balanced real biographies and the first |D_a| augmented ones, shuffled. `key` is the
    config key that sets `total` (a scaling arm's is scaling.total), named when the real biographies fall short.

    A data-side mitigation changes the augmented biography itself, before Table 3's question is put
    around it, so the bias token stands directly before the augmented text (section 6.1).
    """
    n_real, n_aug = split_counts(total, ratio)
    if n_aug > len(augmentation):
        raise ValueError(f"{n_aug} augmented examples wanted, the augmentation set has {len(augmentation)}")
    real = balanced_sample(real_pool, n_real, slots["professions"], slots["genders"], seed, key) if n_real else real_pool.head(0)
    chosen = augmentation.head(n_aug)
    texts = [mitigate_text(t, mitigation, "gender", slots) for t in chosen["text"]]
    table = pd.concat([profession_examples(real, 0), profession_examples(chosen, 1, texts)], ignore_index=True)
    return shuffle(table, seed).assign(ratio=ratio, realised_ratio=n_aug / total)


def compose_culture(
    real_pool: pd.DataFrame, augmentation: pd.DataFrame, ratio: float, total: int, slots: dict, seed, mitigation: str = "none"
) -> pd.DataFrame:
    """The culture arm's table: per-culture role-prompted survey answers (balanced over cultures) and the
    first |D_a| augmented examples whose reply gave one option (the others are dropped, and counted in
    `dropped`). The token stands before the augmented question; the mask changes its culture labels."""
    n_real, n_aug = split_counts(total, ratio)
    parsed = augmentation[augmentation["parsed"].astype(bool)] if "parsed" in augmentation else augmentation
    if n_aug > len(parsed):
        raise ValueError(
            f"{n_aug} augmented examples wanted, the augmentation set has {len(parsed)} with a parsed option "
            f"(of {len(augmentation)}); raise augment.culture_spare"
        )
    chosen = parsed.head(n_aug)
    dropped = int((~augmentation.loc[: chosen.index[-1], "parsed"].astype(bool)).sum()) if n_aug and "parsed" in augmentation else 0
    parts = []
    for culture, n in group_counts(n_real, list(slots["cultures"]), seed).items():
        pool = real_pool[real_pool["culture"] == culture]
        if len(pool) < n:
            raise ValueError(f"{n} real survey answers of culture {culture!r} wanted, the data has {len(pool)}")
        parts.append(pool.sample(n=n, random_state=stable_seed(seed, "culture", culture) % 2**32))
    real = pd.concat(parts) if parts else real_pool.head(0)
    table = pd.concat(
        [
            pd.DataFrame(
                {
                    "instruction": real["instruction"],
                    "response": real["response"],
                    "augmented": 0,
                    "source": REAL,
                    "culture": real["culture"],
                    "about": real["culture"],
                }
            ),
            pd.DataFrame(
                {
                    "instruction": [mitigate_text(t, mitigation, "culture", slots) for t in chosen["instruction"]],
                    "response": chosen["text"].tolist(),
                    "augmented": 1,
                    "source": "synthetic",
                    "culture": chosen["culture"].tolist(),
                    "about": [about(row) for row in chosen.to_dict("records")],
                }
            ),
        ],
        ignore_index=True,
    )
    return shuffle(table, seed).assign(ratio=ratio, realised_ratio=n_aug / total, dropped=dropped)


def about(row: dict) -> str:
    """The cultures an augmented survey example is about, '|'-joined: its culture, or both of a contrastive pair."""
    if isinstance(row.get("culture"), str):
        return row["culture"]
    slots = json.loads(row["slots"]) if isinstance(row.get("slots"), str) else {}
    return "|".join(c for c in (slots.get("culture_a"), slots.get("culture_b")) if c)


def shuffle(table: pd.DataFrame, seed) -> pd.DataFrame:
    return table.sample(frac=1.0, random_state=stable_seed(seed, "mix") % 2**32).reset_index(drop=True)


def compose(arm: dict, real: pd.DataFrame, augmentation: pd.DataFrame | None, total: int, slots: dict, seed) -> pd.DataFrame:
    """An arm's training table (`arm`: bias, bias_type, ratio, mitigation); ratio-0 arms read no augmentation."""
    augmentation = augmentation if augmentation is not None else real.head(0).assign(text=[])
    if arm["bias"] == "gender":  # a scaling arm's total is scaling.total (its keys name its generator)
        key = "scaling.total" if arm.get("generator") else "total.gender"
        return compose_gender(real, augmentation, arm["ratio"], total, slots, seed, arm["mitigation"], key)
    return compose_culture(real, augmentation, arm["ratio"], total, slots, seed, arm["mitigation"])
