"""Study 3 configs: defaults from the schema, and bad input as a clear error naming the key before any job starts."""

import pytest
from conftest import validation_error

BASE = {"study": "t", "kind": "inheritance", "seeds": [0], "total": {"gender": 24}, "ratios": [0.0, 0.25, 0.5]}


def test_defaults_are_the_papers():
    from synthloop.studies import validate

    config = validate({"study": "t", "kind": "inheritance", "seeds": [0]})
    assert config["ratios"] == [0.0, 0.05, 0.1, 0.2, 0.5]
    assert config["total"] == {"gender": 3600, "culture": 2833}
    assert config["train"]["gender"]["learning_rate"] == 1e-5 and config["train"]["gender"]["epochs"] == 3
    assert config["train"]["culture"]["learning_rate"] == 1e-6
    assert config["train"]["gender"]["lora"]["r"] == 16
    assert config["evaluation"]["hiring"]["repeats"] == 60 and config["evaluation"]["salary"]["per_profession"] == 60
    assert config["evaluation"]["profession"]["per_profession"] == 300
    assert len(config["bias_types"]) == 7


@pytest.mark.parametrize(
    "edit, key, words",
    [
        (lambda c: c.update(bias_types=["unbiased", "contextual_sarcastic"]), "bias_types[1]", "'contextual_sarcastic' is not allowed"),
        (lambda c: c.update(ratios=[0.0, 1.0]), "ratios[1]", "maximum"),
        (lambda c: c.update(ratios=[0.0, -0.1]), "ratios[1]", "minimum"),
        (lambda c: c.update(ratios=[0.0, 0.01]), "ratios[1]", "no augmented example"),
        (lambda c: c.update(slots={"ages": []}, bias_types=["contextual_intersectional_explicit"]), "slots.ages", "template slot [age]"),
        (
            lambda c: c.update(slots={"workplaces": []}, bias_types=["contrastive_implicit"]),
            "slots.workplaces",
            "template slot [workplace]",
        ),
        (lambda c: c.update(slots={"names": {"Arabic": {"male": ["Omar"], "female": []}}}), "slots.names.Arabic.female", "no values"),
        (lambda c: c.update(slots={"genders": ["male"]}, bias_types=["contrastive_single_explicit"]), "slots.genders", "two people"),
        (lambda c: c.update(mitigations={"methods": ["shuffle"]}), "mitigations.methods[0]", "not allowed"),
        (lambda c: c.update(biases=["culture"], total={"culture": 20}), "data.culture", "required"),
        (lambda c: c.update(rounds={"count": 2, "ratio": 0.0}), "rounds.ratio", "above 0"),
        (lambda c: c.update(augment={"backend": "openai"}), "augment.endpoint.url", "required"),
        (lambda c: c.update(data={"gender": {"source": "hf"}}), "data.gender.path", "required"),
        (
            lambda c: c.update(data={"gender": {"source": "hf", "path": "LabHC/bias_in_bios", "profession_values": {"nurse": 13}}}),
            "data.gender.profession_values",
            "'architect'",
        ),
    ],
)
def test_bad_input_names_the_key(edit, key, words):
    message = validation_error(BASE, edit)
    assert f"config key '{key}'" in message and words in message, message


def test_dataset_without_the_gender_column(tmp_path):
    table = tmp_path / "bios.csv"
    table.write_text("text,profession,sex\nShe designs houses.,architect,female\n")
    message = validation_error(BASE, lambda c: c.update(data={"gender": {"source": "file", "path": str(table)}}))
    assert "config key 'data.gender.columns.gender'" in message and "'gender' is not in the dataset" in message and "sex" in message
    from synthloop.studies import validate

    ok = validate({**BASE, "data": {"gender": {"source": "file", "path": str(table), "columns": {"gender": "sex"}}}})
    assert ok["data"]["gender"]["columns"] == {"text": "text", "profession": "profession", "gender": "sex"}


def test_culture_task_file_without_its_label_column(tmp_path):
    opinions = tmp_path / "opinions.csv"
    opinions.write_text("question,options,selections\nQ?,\"['Yes', 'No']\",\"{'Egypt': [0.6, 0.4]}\"\n")
    task = tmp_path / "task.csv"
    task.write_text("text,y\nhello,1\n")
    config = {
        **BASE,
        "biases": ["culture"],
        "total": {"culture": 20},
        "ratios": [0.0, 0.25],
        "bias_types": ["contextual_single_explicit"],
        "data": {"culture": {"path": str(opinions), "countries": {c: ["Egypt"] for c in ("Arabic", "Chinese", "Portuguese", "Spanish")}}},
        "evaluation": {
            "culture_tasks": [
                {
                    "name": "offensive",
                    "culture": "Arabic",
                    "related": "indirect",
                    "path": str(task),
                    "labels": {"0": "No", "1": "Yes"},
                    "prompt": "Is this offensive? {text}",
                }
            ]
        },
    }
    message = validation_error(config, lambda c: None)
    assert "config key 'evaluation.culture_tasks[0].columns.label'" in message and "'label' is not in the dataset" in message


@pytest.mark.parametrize(
    "arm, key",
    [
        (
            {"bias": "gender", "bias_type": "unbiased", "ratio": 0.0, "mitigation": "none", "round": 1, "generator": "small"},
            "scaling.total",
        ),
        ({"bias": "gender", "bias_type": "unbiased", "ratio": 0.0, "mitigation": "none", "round": 1}, "total.gender"),
    ],
)
def test_an_arm_short_of_real_biographies_names_the_key_that_sets_its_total(arm, key):
    """A scaling arm's total is scaling.total, the study's gender arms' total.gender: the error names the one that applies."""
    import pandas as pd

    from synthloop.core.config import ConfigError
    from synthloop.studies.inheritance.mix import compose

    real = pd.DataFrame(
        {"text": [f"bio {i}" for i in range(4)], "profession": ["nurse", "nurse", "pilot", "pilot"], "gender": ["female", "male"] * 2}
    )
    slots = {"professions": ["nurse", "pilot"], "genders": ["female", "male"]}
    with pytest.raises(ConfigError, match=f"config key '{key}': "):
        compose(arm, real, None, 40, slots, 0)
