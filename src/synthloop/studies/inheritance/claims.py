"""Li et al.'s gender findings (section 4.2 and section 6), tested on a study's metrics table.

The gap is the male value minus the female value of a task: profession-classification accuracy (Fig. 2a-b,
"deteriorates the performance for minority groups, resulting in a wider gap") and the recommended salary
(Fig. 2c-d, "a wider gender pay gap"). Every change is paired by seed against the same seed's arm at
ratio 0 (the real data alone), in the first round and without mitigation:

1. per biased type, the gap at the study's largest ratio minus the gap at ratio 0. Expected: an increase;
2. for the unbiased type, the same change. The paper states no direction for it (its hiring figure finds the
   unbiased type's disparities the largest); tested here for the absence of a change within GAP_MARGIN,
   as a check that the widening comes from the bias in the prompt;
3. per mitigation, type and ratio it was run at, the mitigated arm's gap minus the unmitigated arm's.
   Expected: a decrease (section 6.2; the paper finds the strategies work "differently on various tasks").

GAP_MARGIN, 0.05 of accuracy and 5,000 of salary, is synthloop's choice, fixed before any validation run.

    python -m synthloop.studies.inheritance.claims results/<study> [--markdown]
"""

from __future__ import annotations

import pandas as pd

from synthloop.analysis.claims import COLUMNS, claim_row, command_line

# task: (metric of the per-gender value, equivalence margin of "no change")
GAPS = {"profession": ("accuracy", 0.05), "salary": ("mean", 5000.0)}
UNBIASED = "unbiased"


def gaps(metrics: pd.DataFrame) -> pd.DataFrame:
    """Per arm, seed and task of GAPS: the male value minus the female value (round 1 and its ratio-0 arm)."""
    frames = []
    for task, (metric, _) in GAPS.items():
        rows = metrics[(metrics["task"] == task) & (metrics["metric"] == metric) & metrics["gender"].isin(["male", "female"])]
        wide = rows.pivot_table(index=["bias_type", "ratio", "mitigation", "round", "seed"], columns="gender", values="value")
        if not wide.empty:
            frames.append((wide["male"] - wide["female"]).rename("gap").reset_index().assign(task=task))
    if not frames:
        raise ValueError("the gender findings need the profession or salary task in evaluation.tasks.gender")
    return pd.concat(frames, ignore_index=True).query("round == 1")


def ratio_rows(gap: pd.DataFrame) -> list[dict]:
    """Each type's gap change from ratio 0 to the largest ratio, paired by seed."""
    base = gap[gap["ratio"] == 0].set_index(["task", "seed"])["gap"]
    plain = gap[(gap["ratio"] > 0) & (gap["mitigation"] == "none")]
    rows = []
    for (task, bias_type), part in plain.groupby(["task", "bias_type"]):
        top = part[part["ratio"] == part["ratio"].max()].set_index(["task", "seed"])["gap"]
        change = (top - base).dropna()
        ratio = part["ratio"].max()
        if bias_type == UNBIASED:
            claim = f"the unbiased type leaves the {task} gap unchanged from ratio 0 to {ratio:g}"
            rows.append(claim_row(claim, f"{task} {bias_type}", change, "none", GAPS[task][1]))
        else:
            claim = f"a biased type widens the {task} gap from ratio 0 to {ratio:g} (section 4.2, Fig. 2)"
            rows.append(claim_row(claim, f"{task} {bias_type}", change, "increase"))
    return rows


def mitigation_rows(gap: pd.DataFrame) -> list[dict]:
    """Each mitigated arm's gap minus the unmitigated arm's of the same type, ratio and seed."""
    keys = ["task", "bias_type", "ratio", "seed"]
    plain = gap[gap["mitigation"] == "none"].set_index(keys)["gap"]
    rows = []
    for (task, bias_type, ratio, method), part in gap[gap["mitigation"] != "none"].groupby(["task", "bias_type", "ratio", "mitigation"]):
        change = (part.set_index(keys)["gap"] - plain).dropna()
        claim = f"the {method} mitigation narrows the {task} gap (section 6.2)"
        rows.append(claim_row(claim, f"{task} {bias_type} ratio {ratio:g}", change, "decrease"))
    return rows


def claims(metrics: pd.DataFrame) -> pd.DataFrame:
    gap = gaps(metrics)
    return pd.DataFrame(ratio_rows(gap) + mitigation_rows(gap), columns=COLUMNS)


if __name__ == "__main__":
    command_line(claims, __doc__, "results/<study> of an inheritance study with gender arms")
