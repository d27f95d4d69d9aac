"""Image-loop configs: presets validate; bad input is a clear error naming the key, before any job starts."""

import pytest
import yaml
from conftest import ROOT, study_path, validation_error

from synthloop.studies import validate
from synthloop.studies.image_loop.plan import Plan

MINI = yaml.safe_load((ROOT / "presets" / "zhang2024-mini.yaml").read_text())


path = study_path("image_loop", "mini")


@pytest.mark.parametrize("preset", ["zhang2024-mini", "zhang2024-self-consuming", "zhang2024-cifar"])
def test_presets_validate(preset):
    config = validate(yaml.safe_load((ROOT / "presets" / f"{preset}.yaml").read_text()))
    assert config["kind"] == "image_loop"


def test_mini_has_the_designed_size():
    config = validate(MINI)
    assert (len(config["generators"]), len(config["classifiers"]), config["generations"], len(config["seeds"])) == (2, 3, 5, 2)
    assert config["fifo"]["enabled"] and config["filter"]["enabled"] and config["data"]["colourise"]["bias"] == "biased"


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda c: c.update(ratios=[1.5]), "config key 'ratios[0]': 1.5 is greater than the maximum of 1"),
        (lambda c: c.update(ratios=[-0.1]), "config key 'ratios[0]': -0.1 is less than the minimum of 0"),
        (lambda c: c["fifo"].update(capacity=0.5), "config key 'fifo.capacity': 0.5 generations is below one generation"),
        (lambda c: c.update(generators=["dcgan", "vae"]), "config key 'generators[1]': 'vae' is not allowed"),
        (
            lambda c: c.update(classifiers=["mlp", "alexnet"]),
            "config key 'classifiers[1]': unknown classifier 'alexnet'; allowed: mlp, lenet, cnn, resnet",
        ),
        (lambda c: c["filter"].update(classifier="resnet"), "config key 'filter.classifier': 'resnet' is not a configured classifier"),
        (lambda c: c["filter"].update(mode="threshold"), "config key 'filter.threshold': filter mode threshold needs"),
        (
            lambda c: c["filter"].update(mode="importance"),
            "config key 'filter.mode': 'importance' is not allowed; allowed values: ['top_fraction', 'threshold']",
        ),
        (lambda c: c["data"].update(colourise=None), "config key 'data.colourise': fairness metrics are asked for"),
        (
            lambda c: c.update(data={"source": "hf", "path": "uoft-cs/cifar100", "label_column": "coarse_label"}),
            "config key 'data.subgroup_column': fairness metrics are asked for (fairness.enabled) but the dataset has no subgroups",
        ),
        (lambda c: c.update(data={"source": "hf"}), "config key 'data.path'"),
        (lambda c: c["data"]["colourise"].update(ratios={"2": [1, 1]}), "config key 'data.colourise.ratios.2': needs 3"),
        (lambda c: c.update(classifier_options={"vgg": {}}), "config key 'classifier_options.vgg': not a configured classifier"),
        (lambda c: c.update(max_jobs=60), "config key 'max_jobs': the study needs about 71 jobs"),
    ],
)
def test_bad_input_names_the_key(edit, message):
    assert message in validation_error(MINI, edit)


def test_fairness_off_needs_no_subgroups():
    config = validate({**MINI, "arms": {}, "data": {"source": "digits"}, "fairness": {"enabled": False}})
    assert "meo" not in Plan(config, path).figures()


def test_plan_shares_generation_0_and_chains_generations():
    plan = Plan(validate({**MINI, "arms": {}}), path)  # one arm: the ids without an arm (tests/test_image_arms.py has both)
    assert sorted(plan.chains) == ["dcgan-r0.5-s0", "dcgan-r0.5-s1", "ddpm-r0.5-s0", "ddpm-r0.5-s1"]
    # generation 0 of every chain of a seed is one real-data run
    assert (
        plan.predictions_path("dcgan-r0.5-s1", 0)
        == plan.predictions_path("ddpm-r0.5-s1", 0)
        == "results/mini/chains/real-s1/g0/predictions.parquet"
    )
    assert plan.train_path("ddpm-r0.5-s0", 0) == "results/mini/data/train_g0.parquet"
    inputs = plan.synthesize_inputs("ddpm-r0.5-s0", 1)
    assert inputs["previous"] == path("train_g0") and inputs["filter_net"] == "results/mini/chains/real-s0/g0/classifiers"
    assert plan.synthesize_inputs("ddpm-r0.5-s0", 3)["previous"] == path("image_train", chain="ddpm-r0.5-s0", gen=2)
    # 2 seeds' generation 0, then 4 chains x generations 1-4
    assert len(plan.runs()) == 2 + 4 * 4
    assert len(plan.metrics_inputs()["predictions"]) == len(plan.metrics_keys()) == 4 * 5
    assert plan.seed("dcgan-r0.5-s0", 1) != plan.seed("dcgan-r0.5-s1", 1)
