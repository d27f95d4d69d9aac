"""Study 3 end to end on a tiny scratch GPT-2: every arm, round and mitigation, the metrics and the figures."""

import pandas as pd
import pytest

from synthloop.studies.inheritance.mitigate import mask_text
from synthloop.studies.inheritance.prompts import PROFESSION_QUESTION


def validate_slots() -> dict:
    from synthloop.studies import validate

    return validate({"study": "t", "kind": "inheritance", "seeds": [0]})["slots"]


@pytest.mark.workflow
@pytest.mark.slow
def test_tiny_inheritance_study_end_to_end(finished_study):
    """The tiny study (tests/configs/tiny-inheritance.yaml), run once for the session (conftest.finished_study)."""
    results = finished_study("inheritance") / "results" / "tiny-inheritance"
    metrics = pd.read_parquet(results / "metrics.parquet")
    arms = set(metrics["arm"])
    assert arms == {
        "gender-none-r0-none-round1",
        "gender-unbiased-r0.5-none-round1",
        "gender-unbiased-r0.5-mask-round1",
        "gender-unbiased-r0.5-none-round2",
    }
    assert set(metrics["task"]) == {"profession", "hiring", "salary", "story"}
    for arm in arms:
        train = pd.read_parquet(results / "arms" / arm / "s0" / "train.parquet")
        assert len(train) == 8 and train["augmented"].sum() == (0 if "-r0-" in arm else 4)
    masked = pd.read_parquet(results / "arms" / "gender-unbiased-r0.5-mask-round1" / "s0" / "train.parquet")
    augmented = pd.read_parquet(results / "augment" / "gender-unbiased-round1" / "s0.parquet").head(4)
    names = [n for c in validate_slots()["names"].values() for g in c.values() for n in g]
    expected = {PROFESSION_QUESTION.format(biography=mask_text(t, names, validate_slots()["cultures"])) for t in augmented["text"]}
    assert set(masked.loc[masked["augmented"] == 1, "instruction"]) == expected
    assert augmented["instruction"].str.startswith("Write a 100 words biography of a ").all()
    # round 2's augmentation was written by round 1's model, and round 2 fine-tuned that model further
    log = (results / "logs" / "finetune" / "gender-unbiased-r0.5-none-round2" / "s0.log").read_text()
    assert "fine-tuned from results/tiny-inheritance/arms/gender-unbiased-r0.5-none-round1/s0/model" in log
    log = (results / "logs" / "augment" / "gender-unbiased-round2" / "s0.log").read_text()
    assert "by results/tiny-inheritance/arms/gender-unbiased-r0.5-none-round1/s0/model" in log
    hiring = metrics[(metrics["task"] == "hiring") & (metrics["metric"] == "invalid")]
    assert (hiring["n"] == 6).all()
    for name in (
        "gender_profession_by_ratio",
        "gender_hiring_by_ratio",
        "gender_salary_by_ratio",
        "gender_story_by_ratio",
        "rounds",
        "mitigations",
        "unbiased_gender_shares",
        "embeddings_gender",
    ):
        assert (results / "figures" / f"{name}.png").stat().st_size > 1000, name
