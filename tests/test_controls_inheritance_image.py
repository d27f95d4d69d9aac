"""Positive controls of studies 3 and 4: an effect planted with a known size, recovered by the study's own measurement.

Study 3: the `template` augmentation backend writes biographies with a planted gender-profession skew;
the study's own counting (parsers.text_gender, Figure 7b's unbiased_gender_shares) must find exactly
the planted share in the augmentation set, and the arm's training set must carry it in proportion
to gamma (flat for the unbiased type). Study 4: the `control` generator repaints a planted share of
one class; the synthesize job's colour shares must move by exactly that share, and the report's
subgroup join must turn planted errors into exactly the MD and MEO they imply.
"""

import math

import numpy as np
import pandas as pd
import pytest
import torch

from synthloop.core.config import ConfigError
from synthloop.data import images as im
from synthloop.loop import fifo
from synthloop.studies import validate
from synthloop.studies.image_loop import classifiers, steps
from synthloop.studies.image_loop.generators import control_colour
from synthloop.studies.image_loop.report import metrics
from synthloop.studies.inheritance.analysis import unbiased_gender_shares
from synthloop.studies.inheritance.mix import augmented_count, compose_gender
from synthloop.studies.inheritance.parsers import text_gender
from synthloop.studies.inheritance.pipeline import augment
from synthloop.studies.inheritance.realset import standin_biographies

# -- study 3 ----------------------------------------------------------------------------------------

TYPES = ["unbiased", "contextual_single_explicit", "contrastive_implicit"]
SKEW, COUNT, TOTAL = 0.8, 96, 120


def inheritance_config(**augment_keys) -> dict:
    return validate(
        {
            "study": "control",
            "kind": "inheritance",
            "seeds": [0],
            "model": {"source": "gpt2"},
            "bias_types": TYPES,
            "augment": {"backend": "template", "template": {"skew": SKEW}, **augment_keys},
        }
    )


@pytest.fixture(scope="module")
def planted():
    config = inheritance_config()
    sets = {
        t: augment(
            "unused", {"bias": "gender", "bias_type": t, "count": COUNT, "round": 1}, config["slots"], config["augment"], "template", 0
        )
        for t in TYPES
    }
    return config, sets


def test_template_augmentation_holds_the_planted_share_exactly(planted):
    """Of a stereotyped profession's n biographies, exactly floor(n * skew) are about its stereotyped gender, counted by pronouns."""
    config, sets = planted
    stereotypes = config["augment"]["template"]["stereotypes"]
    for bias_type, frame in sets.items():
        about = pd.Series([text_gender(t) for t in frame["text"]], index=frame.index)
        assert about.notna().all() and (about == frame["text_gender"]).all()
        for profession, part in about.groupby(frame["profession"]):
            n = len(part)
            if bias_type != "unbiased" and profession in stereotypes:
                assert (part == stereotypes[profession]).sum() == math.floor(n * SKEW + 1e-9), (bias_type, profession)
            else:
                assert abs((part == "female").sum() - n / 2) <= 0.5, (bias_type, profession)
    shares = unbiased_gender_shares([sets["unbiased"]])  # Figure 7b's own counting: the unbiased type is written balanced
    assert np.allclose(shares["share"], 0.5)


def test_training_set_skew_grows_with_gamma_and_stays_flat_unbiased(planted):
    """An arm's stereotyped share among nurse examples is (real half + planted prefix) / all, rising with gamma; 1/2 for unbiased."""
    config, sets = planted
    slots = config["slots"]
    real = standin_biographies(slots, 10, 0, "train").assign(task="profession")
    measured = {}
    for bias_type, augmentation in sets.items():
        for ratio in (0.2, 0.4, 0.6):
            table = compose_gender(real, augmentation, ratio, TOTAL, slots, 0)
            assert int(table["augmented"].sum()) == augmented_count(TOTAL, ratio)
            nurse = table[table["profession"] == "nurse"]
            female = sum(text_gender(t) == "female" for t in nurse["instruction"])
            k, r = int(nurse["augmented"].sum()), int((nurse["augmented"] == 0).sum())
            planted_share = math.floor(k * SKEW + 1e-9) if bias_type != "unbiased" else k / 2
            assert abs(female - (r / 2 + planted_share)) <= 0.5, (bias_type, ratio)
            measured[bias_type, ratio] = female / len(nurse)
    for bias_type in TYPES[1:]:
        assert measured[bias_type, 0.2] < measured[bias_type, 0.4] < measured[bias_type, 0.6]
    assert all(abs(measured["unbiased", r] - 0.5) <= 1 / 20 for r in (0.2, 0.4, 0.6))


@pytest.mark.parametrize(
    ("edit", "key"),
    [
        ({"template": {"stereotypes": {"plumber": "male"}}}, "augment.template.stereotypes.plumber"),
        ({"template": {"stereotypes": {"nurse": "nonbinary"}}}, "augment.template.stereotypes.nurse"),
        ({"template": {"skew": 1.5}}, "augment.template.skew"),
    ],
)
def test_bad_template_settings_name_their_key(edit, key):
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        inheritance_config(**edit)


def test_template_backend_refuses_culture():
    with pytest.raises(ConfigError, match="augment.backend"):
        validate(
            {
                "study": "c",
                "kind": "inheritance",
                "seeds": [0],
                "model": {"source": "gpt2"},
                "biases": ["culture"],
                "bias_types": ["contextual_single_explicit"],
                "augment": {"backend": "template"},
                "data": {"culture": {"path": "none.csv", "countries": {c: ["X"] for c in ["Arabic", "Chinese", "Portuguese", "Spanish"]}}},
            }
        )


# -- study 4 ----------------------------------------------------------------------------------------

CLASS, SHARE = 3, 0.6


def image_config(**control) -> dict:
    return validate(
        {
            "study": "control",
            "kind": "image_loop",
            "seeds": [0],
            "generations": 2,
            "data": {"source": "digits", "size": 8, "colourise": {"bias": "unbiased"}},
            "generators": ["control"],
            "generator_params": {"control": {"class": CLASS, "share": SHARE, **control}},
            "ratios": [0.5],
            "fifo": {"enabled": False},
            "filter": {"enabled": False},
            "classifiers": ["mlp"],
        }
    )


@pytest.fixture(scope="module")
def digits():
    config = image_config()
    train, test = im.prepare(config["data"], 0)
    torch.manual_seed(0)
    return config, train, test, classifiers.build("mlp", (3, 8, 8), 10, {}).eval()  # the FID's features: any fixed network


def synthesized(config, train, net, share, tmp_path):
    params = {**config["generator_params"]["control"], "share": share}
    job = {
        "fifo": config["fifo"],
        "filter": config["filter"],
        "generator_params": {"control": params},
        "colours": config["data"]["colourise"]["colours"],
    }
    return steps.synthesize(fifo.training_set(train, train.iloc[:0]), train, "control", 1, 0.5, job, 0, net, None, tmp_path)


def test_control_generator_moves_the_colour_share_by_the_planted_share(digits, tmp_path):
    """The synthetic data's colour share of the class (the synthesize job's own colour_shares) moves by exactly round(n * share) / n."""
    config, train, _, net = digits
    colours = config["data"]["colourise"]["colours"]
    colour = control_colour(config["generator_params"]["control"], colours)
    _, clean, before = synthesized(config, train, net, 0.0, tmp_path / "a")
    _, painted, after = synthesized(config, train, net, SHARE, tmp_path / "b")
    n = int((painted["label"] == CLASS).sum())
    moved = after["colour_shares"][str(CLASS)][colour] - before["colour_shares"][str(CLASS)][colour]
    assert n > 0 and moved == pytest.approx(math.floor(n * SHARE + 0.5) / n, abs=1e-12)
    for label in set(before["colour_shares"]) - {str(CLASS)}:  # every other class is untouched
        assert after["colour_shares"][label] == before["colour_shares"][label]
    real = im.colour_shares(train, colours)  # the reader agrees with the real data's hidden subgroups
    assert np.allclose(
        real.to_numpy(),
        pd.crosstab(train["label"], train["subgroup"]).reindex(columns=colours).pipe(lambda t: t.div(t.sum(axis=1), axis=0)),
    )
    assert before["colour_shares"][str(CLASS)][colour] == pytest.approx(1 / 3, abs=0.05)  # draws from the unbiased real data


def test_report_turns_planted_errors_into_their_md_and_meo(digits):
    """Wrong predictions on exactly the painted colour's test images of the class: the report's subgroup join gives the MD and MEO they imply."""
    config, _, test, _ = digits
    colour = control_colour(config["generator_params"]["control"], config["data"]["colourise"]["colours"])
    hit = (test["label"] == CLASS) & (test["subgroup"] == colour)
    prediction = np.where(hit, (test["label"] + 1) % 10, test["label"])
    table = pd.DataFrame({"classifier": "mlp", "image_id": test["image_id"], "label": test["label"], "prediction": prediction})
    row = metrics([table], [{"chain": "control"}], test, config["fairness"]).iloc[0]
    gap = hit.sum() / (test["subgroup"] == colour).sum()  # that colour's rate falls by this much, the others' stay at 1
    assert row["md"] == pytest.approx(gap) and row["meo"] == pytest.approx(1 - 4 * gap / 6)


@pytest.mark.parametrize(
    ("edit", "key"),
    [
        ({"colour": "purple"}, "generator_params.control.colour"),
        ({"colour": "white"}, "generator_params.control.colour"),
        ({"class": 12}, "generator_params.control.class"),
    ],
)
def test_bad_control_settings_name_their_key(edit, key):
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        image_config(**edit)


def test_control_commands_report_planted_equal_to_recovered():
    """The commands of docs/validation.md's positive controls, on their presets' designs with one seed."""
    from synthloop.studies import load
    from synthloop.studies.image_loop.control import planted_and_recovered as image_control
    from synthloop.studies.inheritance.control import planted_and_recovered as inheritance_control

    text = inheritance_control(load("presets/control-li2025.yaml"), 0)
    assert np.allclose(text["planted"], text["recovered"])
    biased = text[text["bias_type"] != "unbiased"].groupby("ratio")["recovered"].mean()
    assert biased.is_monotonic_increasing and biased.iloc[-1] > biased.iloc[0]
    assert np.allclose(text.loc[text["bias_type"] == "unbiased", "recovered"], 0.5)
    image = image_control(load("presets/control-zhang2024.yaml"), 0)
    assert np.allclose(image["planted move"], image["recovered move"]) and (image["largest move of another class"] == 0).all()
