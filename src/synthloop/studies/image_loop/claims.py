"""Zhang et al.'s findings on colourised digits (section 4.2), tested on a study's metrics table.

1. "Models can be consistently improved by augmenting the dataset with generated data across multiple
   generations": per bias arm, generator and classifier (and pooled over them), the change in test accuracy
   from generation 0 to the last generation, per seed. Expected: an increase.
2. "The presence of dataset bias does not significantly amplify model bias": per generator and classifier
   (and pooled), the change in MD (eq. 4, the largest subgroup accuracy gap) from generation 0 to the last
   under the biased initialisation minus the same change under the unbiased one, paired by seed (the arms
   share their seeds' random draws). Expected: none, within MD_MARGIN.

MD_MARGIN, 0.05 (a five-point gap between subgroup accuracies), is synthloop's choice: the paper states no
threshold for "significantly". It was fixed before any validation run and is not tuned to a result.

    python -m synthloop.studies.image_loop.claims results/<study> [--markdown]
"""

from __future__ import annotations

import pandas as pd

from synthloop.analysis.claims import COLUMNS, claim_row, command_line

MD_MARGIN = 0.05
ACCURACY = "accuracy rises from generation 0 to the last (section 4.2, Figs. 3-4)"
BIAS = "biased initialisation does not amplify MD more than unbiased (section 4.2)"


def changes(metrics: pd.DataFrame, value: str, by: list[str]) -> pd.DataFrame:
    """Per `by` group and seed: `value` at the last generation minus at generation 0."""
    last = int(metrics["generation"].max())
    ends = metrics[metrics["generation"].isin([0, last])]
    wide = ends.pivot_table(index=[*by, "seed"], columns="generation", values=value, aggfunc="mean")
    return (wide[last] - wide[0]).rename("change").reset_index()


def accuracy_rows(metrics: pd.DataFrame) -> list[dict]:
    cells = ["bias", "generator", "classifier"] if "bias" in metrics else ["generator", "classifier"]
    delta = changes(metrics, "accuracy", cells)
    rows = [claim_row(ACCURACY, " ".join(str(v) for v in key), part["change"], "increase") for key, part in delta.groupby(cells)]
    return rows + [claim_row(ACCURACY, "pooled", delta.groupby("seed")["change"].mean(), "increase")]


def bias_rows(metrics: pd.DataFrame) -> list[dict]:
    if "bias" not in metrics or set(metrics["bias"]) < {"biased", "unbiased"}:
        raise ValueError("the bias finding needs both arms: arms.bias [biased, unbiased] in one study")
    delta = changes(metrics, "md", ["bias", "generator", "classifier"]).pivot_table(
        index=["generator", "classifier", "seed"], columns="bias", values="change"
    )
    gap = (delta["biased"] - delta["unbiased"]).rename("gap").reset_index()
    rows = [claim_row(BIAS, f"{g} {c}", part["gap"], "none", MD_MARGIN) for (g, c), part in gap.groupby(["generator", "classifier"])]
    return rows + [claim_row(BIAS, "pooled", gap.groupby("seed")["gap"].mean(), "none", MD_MARGIN)]


def claims(metrics: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(accuracy_rows(metrics) + bias_rows(metrics), columns=COLUMNS)


if __name__ == "__main__":
    command_line(claims, __doc__, "results/<study> of an image_loop study with arms.bias [biased, unbiased]")
