"""An arm's training set: real data D_o plus augmentation D_a at bias ratio gamma = |D_a| / |D|, |D| fixed.

|D_a| = gamma * total, rounded half up where it is not whole (the paper's culture total, 2,833, gives
141.65 at 5%: 142, a realised gamma of 0.0501, which the arm's table records), and
|D_o| = total - |D_a|, drawn gender- and profession-balanced from the real pool. Every arm of one
augmentation set takes a prefix of it, so a 10% arm's augmented examples are part of the 20% arm's.
"""

from __future__ import annotations

import math

import pandas as pd

from synthloop.core.seeds import stable_seed
from synthloop.core.vocabulary import REAL
from synthloop.studies.inheritance.mitigate import mitigate
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


def profession_examples(frame: pd.DataFrame, augmented: int) -> pd.DataFrame:
    """Biographies as Table 3 classification examples: the question around the text, the profession as the answer."""
    return pd.DataFrame(
        {
            "instruction": [PROFESSION_QUESTION.format(biography=text) for text in frame["text"]],
            "response": frame["profession"].tolist(),
            "augmented": augmented,
            "source": "synthetic" if augmented else REAL,
            "profession": frame["profession"].tolist(),
            "gender": frame["gender"].tolist() if "gender" in frame else None,
        }
    )


def compose_gender(real_pool: pd.DataFrame, augmentation: pd.DataFrame, ratio: float, total: int, slots: dict, seed,
                   mitigation: str = "none") -> pd.DataFrame:
    """The gender arm's table: balanced real biographies and the first |D_a| augmented ones, shuffled."""
    n_real, n_aug = split_counts(total, ratio)
    if n_aug > len(augmentation):
        raise ValueError(f"{n_aug} augmented examples wanted, the augmentation set has {len(augmentation)}")
    real = balanced_sample(real_pool, n_real, slots["professions"], slots["genders"], seed, "total.gender") if n_real else real_pool.head(0)
    table = pd.concat([profession_examples(real, 0), profession_examples(augmentation.head(n_aug), 1)], ignore_index=True)
    return finish(table, mitigation, slots, seed).assign(ratio=ratio, realised_ratio=n_aug / total)


def compose_culture(real_pool: pd.DataFrame, augmentation: pd.DataFrame, ratio: float, total: int, slots: dict, seed,
                    mitigation: str = "none") -> pd.DataFrame:
    """The culture arm's table: per-culture role-prompted survey answers (balanced over cultures) and augmentation."""
    n_real, n_aug = split_counts(total, ratio)
    if n_aug > len(augmentation):
        raise ValueError(f"{n_aug} augmented examples wanted, the augmentation set has {len(augmentation)}")
    parts = []
    for culture, n in group_counts(n_real, list(slots["cultures"]), seed).items():
        pool = real_pool[real_pool["culture"] == culture]
        if len(pool) < n:
            raise ValueError(f"{n} real survey answers of culture {culture!r} wanted, the data has {len(pool)}")
        parts.append(pool.sample(n=n, random_state=stable_seed(seed, "culture", culture) % 2**32))
    real = pd.concat(parts) if parts else real_pool.head(0)
    table = pd.concat(
        [
            pd.DataFrame({"instruction": real["instruction"], "response": real["response"], "augmented": 0, "source": REAL, "culture": real["culture"]}),
            pd.DataFrame({"instruction": augmentation["instruction"].head(n_aug), "response": augmentation["text"].head(n_aug),
                          "augmented": 1, "source": "synthetic", "culture": augmentation["culture"].head(n_aug)}),
        ],
        ignore_index=True,
    )
    return finish(table, mitigation, slots, seed).assign(ratio=ratio, realised_ratio=n_aug / total)


def finish(table: pd.DataFrame, mitigation: str, slots: dict, seed) -> pd.DataFrame:
    names = sorted({n for by_gender in slots["names"].values() for names in by_gender.values() for n in names})
    table = mitigate(table, mitigation, names, slots["cultures"])
    return table.sample(frac=1.0, random_state=stable_seed(seed, "mix") % 2**32).reset_index(drop=True)


def compose(arm: dict, real: pd.DataFrame, augmentation: pd.DataFrame | None, total: int, slots: dict, seed) -> pd.DataFrame:
    """An arm's training table (`arm`: bias, bias_type, ratio, mitigation); ratio-0 arms read no augmentation."""
    build = compose_gender if arm["bias"] == "gender" else compose_culture
    augmentation = augmentation if augmentation is not None else real.head(0).assign(text=[])
    return build(real, augmentation, arm["ratio"], total, slots, seed, arm["mitigation"])
