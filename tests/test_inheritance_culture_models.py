"""Study 3 per-culture models (appendix B.5: 5 epochs for Arabic, 3 for the others), one evaluation per arm."""

import json

import pandas as pd
import pytest

from synthloop.studies import validate
from synthloop.studies.inheritance import pipeline
from synthloop.studies.inheritance.mix import about

CULTURES = {c: [c] for c in ["Arabic", "Chinese", "Portuguese", "Spanish"]}


def culture_config(**train):
    return validate(
        {
            "study": "s",
            "kind": "inheritance",
            "seeds": [0],
            "model": {"source": "org/model"},
            "biases": ["culture"],
            "bias_types": ["contextual_implicit", "contrastive_implicit"],
            "ratios": [0.0, 0.5],
            "evaluation": {"tasks": {"culture": ["story"]}},
            "data": {"culture": {"path": "org/opinions", "countries": CULTURES}},
            "train": train,
        }
    )


def test_per_culture_epochs_reach_every_culture_arm_only_when_set():
    from conftest import study_path

    from synthloop.studies.inheritance.plan import Plan

    plan = Plan(culture_config(per_culture_epochs={"Arabic": 5}), study_path("inheritance", "s"), "results/s")
    params = plan.train_params("culture-contextual_implicit-r0.5-none-round1")
    assert params["per_culture_epochs"] == {"Arabic": 5, "Chinese": 3, "Portuguese": 3, "Spanish": 3}
    assert "per_culture_epochs" not in Plan(culture_config(), study_path("inheritance", "s"), "results/s").train_params(
        "culture-none-r0-none-round1"
    )


def test_per_culture_epochs_name_a_configured_culture():
    from synthloop.core.config import ConfigError

    with pytest.raises(ConfigError, match=r"train\.per_culture_epochs\.Klingon"):
        culture_config(per_culture_epochs={"Klingon": 5})


def test_a_contrastive_example_is_about_both_cultures():
    assert about({"culture": "Arabic", "slots": "{}"}) == "Arabic"
    assert about({"culture": None, "slots": json.dumps({"culture_a": "Chinese", "culture_b": "Arabic"})}) == "Chinese|Arabic"


def test_each_culture_model_trains_on_its_examples_for_its_epochs(tmp_path, monkeypatch):
    import synthloop.lm.models as models
    import synthloop.lm.training as training

    calls = []
    monkeypatch.setattr(models, "load_causal_lm", lambda source: ("model", "tokenizer"))
    monkeypatch.setattr(pipeline, "format_example", lambda i, r, tokenizer: f"{i} {r}")
    monkeypatch.setattr(
        training,
        "fine_tune",
        lambda model, tok, texts, out_dir, params, seed, **kw: calls.append((out_dir.name, texts, params["epochs"], seed)) or {},
    )
    train = pd.DataFrame(
        {
            "instruction": ["a1", "c1", "ac", "s1"],
            "response": ["x"] * 4,
            "augmented": [0, 0, 1, 0],
            "about": ["Arabic", "Chinese", "Arabic|Chinese", "Spanish"],
        }
    )
    params = {"epochs": 3, "per_culture_epochs": {"Arabic": 5, "Chinese": 3}}
    pipeline.finetune(train, "org/model", tmp_path / "model", params, seed=0, mitigation="none", loss_weight=1.0)
    assert [(name, texts, epochs) for name, texts, epochs, _ in calls] == [
        ("Arabic", ["a1 x", "ac x"], 5),
        ("Chinese", ["c1 x", "ac x"], 3),
    ]
    assert calls[0][3] != calls[1][3]  # each culture's model from its own seed
    assert pipeline.culture_models(tmp_path / "model") == ["Arabic", "Chinese"]


def test_one_evaluation_from_each_cultures_own_model(tmp_path, monkeypatch):
    (tmp_path / pipeline.CULTURE_MODELS).write_text(json.dumps(["Arabic", "Spanish"]))
    used = []

    def answers(model_dir, tasks, test, evaluation, slots, seed, culture=None):
        used.append((model_dir.name, culture))
        return {
            "story": pd.DataFrame(
                {
                    "name": [f"{culture} name"],
                    "culture": [culture],
                    "gender": ["female"],
                    "reply": ["a cruel story" if culture == "Arabic" else "a kind story"],
                }
            )
        }

    monkeypatch.setattr(pipeline, "task_answers", answers)
    table, replies = pipeline.evaluate(str(tmp_path), ["story"], None, {"story": {}}, {}, seed=0)
    assert used == [("Arabic", "Arabic"), ("Spanish", "Spanish")]
    assert sorted(table["culture"].unique()) == ["Arabic", "Spanish"] and set(replies["culture"]) == {"Arabic", "Spanish"}


def test_a_cultures_model_answers_only_that_cultures_stories(tiny_inheritance_model):
    slots = validate({"study": "t", "kind": "inheritance", "seeds": [0]})["slots"]
    evaluation = {"batch_size": 8, "story": {"names_per_group": 1, "new_tokens": 3}}
    answers = pipeline.task_answers(tiny_inheritance_model, ["story"], None, evaluation, slots, seed=0, culture="Chinese")
    assert set(answers["story"]["culture"]) == {"Chinese"} and len(answers["story"]) == len(slots["genders"])
