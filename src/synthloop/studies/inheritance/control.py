"""Study 3's positive control at data level: the planted gender skew of the `template` backend against what the study's own counting finds.

For each bias type and ratio of a config with `augment.backend: template`, the augmentation set is written
as the augment job writes it and each arm's training set composed as the compose job does; pronouns
(parsers.text_gender, Figure 7b's counting) then give the share of a stereotyped profession's
examples about its stereotyped gender. The planted value follows from the counts alone: the real half
is gender-balanced, and exactly floor(k * skew) of the k augmented ones carry the stereotype (k / 2
for the unbiased type). Run: python -m synthloop.studies.inheritance.control <config> (every seed of the config). In a
run of such a config, rule `control_table` writes the same table from the compose jobs' training sets (`run_table`).
"""

from __future__ import annotations

import math

import pandas as pd

from synthloop.studies.control_check import command_line
from synthloop.studies.inheritance.mix import augmented_count, compose_gender
from synthloop.studies.inheritance.parsers import text_gender
from synthloop.studies.inheritance.pipeline import augment
from synthloop.studies.inheritance.plan import REAL_ONLY
from synthloop.studies.inheritance.realset import gender_real


def arm_rows(table: pd.DataFrame, bias_type: str, spec: dict) -> list[dict]:
    """Per stereotyped profession of one composed training set (compose_gender's columns): the planted and the recovered stereotyped share.

    Planted, from the counts alone: half of the profession's r real examples (the real half is gender-balanced)
    plus floor(k * skew) of its k augmented ones (k / 2 for the unbiased type and the real-only arm). Recovered:
    the examples whose instruction is about the stereotyped gender by its pronouns (parsers.text_gender)."""
    rows = []
    for profession, gender in spec["stereotypes"].items():
        part = table[table["profession"] == profession]
        k, r = int(part["augmented"].sum()), int((part["augmented"] == 0).sum())
        planted = k / 2 if bias_type in ("unbiased", REAL_ONLY) else math.floor(k * spec["skew"] + 1e-9)
        recovered = sum(text_gender(text) == gender for text in part["instruction"])
        rows.append(
            {
                "profession": profession,
                "stereotype": gender,
                "examples": len(part),
                "planted": (r / 2 + planted) / len(part),
                "recovered": recovered / len(part),
            }
        )
    return rows


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
            keys = {"seed": seed, "bias_type": bias_type, "ratio": ratio}
            rows += [{**keys, **row} for row in arm_rows(table, bias_type, spec)]
    return pd.DataFrame(rows)


def run_table(sets: list[tuple[dict, pd.DataFrame]], spec: dict) -> pd.DataFrame:
    """The control as a run measured it: per (arm keys, the compose job's training set), the rows of arm_rows, keys first."""
    rows = [{**keys, **row} for keys, table in sets for row in arm_rows(table, keys["bias_type"], spec)]
    return pd.DataFrame(rows).sort_values(["bias_type", "ratio", "seed", "profession"], ignore_index=True)


if __name__ == "__main__":
    command_line(planted_and_recovered, __doc__, "planted", "recovered", ".3f")
