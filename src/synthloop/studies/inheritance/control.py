"""Study 3's positive control at data level: the planted gender skew of the `template` backend against what the study's own counting finds.

For each bias type and ratio of a config with `augment.backend: template`, the augmentation set is written
as the augment job writes it and each arm's training set composed as the compose job does; pronouns
(parsers.text_gender, Figure 7b's counting) then give the share of a stereotyped profession's
examples about its stereotyped gender. The planted value follows from the counts alone: the real half
is gender-balanced, and exactly floor(k * skew) of the k augmented ones carry the stereotype (k / 2
for the unbiased type). Run: python -m synthloop.studies.inheritance.control <config> (every seed of the config).
"""

from __future__ import annotations

import math

import pandas as pd

from synthloop.studies.control_check import command_line
from synthloop.studies.inheritance.mix import augmented_count, compose_gender
from synthloop.studies.inheritance.parsers import text_gender
from synthloop.studies.inheritance.pipeline import augment
from synthloop.studies.inheritance.realset import gender_real


def planted_and_recovered(config: dict, seed: int) -> pd.DataFrame:
    """One row per bias type x ratio x stereotyped profession: the planted and the recovered stereotyped share of the arm's examples."""
    slots, spec, total = config["slots"], config["augment"]["template"], config["total"]["gender"]
    real, _ = gender_real(config["data"]["gender"], slots, config["evaluation"], seed)
    count = augmented_count(total, max(config["ratios"]))
    rows = []
    for bias_type in config["bias_types"]:
        augmentation = augment(
            "-", {"bias": "gender", "bias_type": bias_type, "count": count, "round": 1}, slots, config["augment"], "template", seed
        )
        for ratio in sorted(config["ratios"]):
            table = compose_gender(real, augmentation, ratio, total, slots, seed)
            for profession, gender in spec["stereotypes"].items():
                part = table[table["profession"] == profession]
                k, r = int(part["augmented"].sum()), int((part["augmented"] == 0).sum())
                planted = k / 2 if bias_type == "unbiased" else math.floor(k * spec["skew"] + 1e-9)
                recovered = sum(text_gender(text) == gender for text in part["instruction"])
                rows.append(
                    {
                        "seed": seed,
                        "bias_type": bias_type,
                        "ratio": ratio,
                        "profession": profession,
                        "stereotype": gender,
                        "examples": len(part),
                        "planted": (r / 2 + planted) / len(part),
                        "recovered": recovered / len(part),
                    }
                )
    return pd.DataFrame(rows)


if __name__ == "__main__":
    command_line(planted_and_recovered, __doc__, "planted", "recovered", ".3f")
