"""The paper's initialisations as arms of one study: biased vs unbiased colouring, classifiers from scratch vs pre-trained."""

import importlib.machinery
import sys
import types

import numpy as np
import pandas as pd
import pytest
import torch
import yaml
from conftest import ROOT, validation_error

from synthloop.studies import layout, validate
from synthloop.studies.base import path_function
from synthloop.studies.image_loop import classifiers, report, steps
from synthloop.studies.image_loop.plan import Plan

PRESETS = {
    p: yaml.safe_load((ROOT / "presets" / f"{p}.yaml").read_text())
    for p in ("zhang2024-mini", "zhang2024-self-consuming", "zhang2024-cifar")
}
path = path_function(layout("image_loop"), "mini")


def plan_of(config: dict) -> Plan:
    return Plan(validate(config), path)


def without_arms(config: dict) -> dict:
    return {k: v for k, v in config.items() if k != "arms"}


def test_presets_hold_both_arms_of_each_comparison():
    mini, mnist, cifar = (plan_of(PRESETS[p]) for p in PRESETS)
    assert sorted(c for c in mini.chains if c.endswith("-s0")) == [
        "biased-dcgan-r0.5-s0",
        "biased-ddpm-r0.5-s0",
        "unbiased-dcgan-r0.5-s0",
        "unbiased-ddpm-r0.5-s0",
    ]
    assert sorted(mini.baselines) == ["biased-real-s0", "biased-real-s1", "unbiased-real-s0", "unbiased-real-s1"]
    assert {c.arm.bias for c in mnist.chains.values()} == {"biased", "unbiased"}  # Table 1's two MNIST rows, Figs. 3 and 4
    assert {c.arm.weights for c in cifar.chains.values()} == {"scratch", "pretrained"}  # Figs. 5 and 6
    # each colouring has its own real data and FID feature net
    assert mini.synthesize_inputs("unbiased-dcgan-r0.5-s0", 1)["real_train"] == "results/mini/data/unbiased/real_train.parquet"
    assert mini.synthesize_inputs("biased-dcgan-r0.5-s0", 1)["feature_net"] == "results/mini/models/biased/fid_features.safetensors"
    assert mini.train_path("unbiased-ddpm-r0.5-s1", 0) == "results/mini/data/unbiased/train_g0.parquet"
    assert mini.classify_inputs("unbiased-real-s1", 0)["test"] == "results/mini/data/unbiased/real_test.parquet"
    assert mini.data_config("unbiased")["colourise"]["bias"] == "unbiased" and mini.data_config("biased")["colourise"]["bias"] == "biased"
    assert "acc_k_unbiased-ddpm" in mini.figures() and "acc_k_biased-dcgan" in mini.figures()


def test_gpu_presets_use_inception_features_and_the_miniature_a_classifier():
    from synthloop.studies.image_loop.plan import fid_features

    mnist, cifar, mini = (validate(PRESETS[p]) for p in ("zhang2024-self-consuming", "zhang2024-cifar", "zhang2024-mini"))
    assert fid_features(mnist["fid"]) == fid_features(cifar["fid"]) == "inception-v3 pool3 (2048)"
    assert fid_features(mini["fid"]) == "classifier lenet penultimate (trained on real data)"
    assert "feature_net" not in plan_of(PRESETS["zhang2024-cifar"]).synthesize_inputs("scratch-dcgan-r0.5-s0", 1)  # no feature net to train


def test_a_config_without_arms_keeps_its_chains_and_files():
    plan = plan_of(without_arms(PRESETS["zhang2024-mini"]))
    assert sorted(plan.chains) == ["dcgan-r0.5-s0", "dcgan-r0.5-s1", "ddpm-r0.5-s0", "ddpm-r0.5-s1"]
    assert plan.synthesize_inputs("dcgan-r0.5-s0", 1)["real_train"] == "results/mini/data/real_train.parquet"
    assert plan.metrics_inputs()["test"] == ["results/mini/data/real_test.parquet"] and plan.test_keys() == [None]
    assert "bias" not in plan.metrics_keys()[0] and plan.figures()[-1] == "acc_k_ddpm"


def test_the_biased_arm_runs_the_jobs_of_the_study_without_arms():
    """Arms are paired: the same seeds and settings, only the arm's initialisation differs; the old arm's files are unchanged."""
    arms, plain = plan_of(PRESETS["zhang2024-mini"]), plan_of(without_arms(PRESETS["zhang2024-mini"]))
    assert arms.data_config("biased") == plain.data_config(None) and arms.data_seed() == plain.data_seed()
    for name in plain.chains:
        for gen in plain.generations[1:]:
            for job in ("synthesize", "classify"):
                assert arms.seed(f"biased-{name}", gen, job) == arms.seed(f"unbiased-{name}", gen, job) == plain.seed(name, gen, job)
            assert arms.synthesis_config(f"biased-{name}") == plain.synthesis_config(name)
            assert arms.classify_config(f"biased-{name}") == plain.classify_config(name)
    assert arms.seed("biased-real-s1", 0, "classify") == plain.seed("real-s1", 0, "classify")


def test_weights_arms_set_the_library_classifiers_initialisation():
    plan = plan_of(PRESETS["zhang2024-cifar"])
    pretrained = plan.classify_config("pretrained-dcgan-r0.5-s0")["classifier_options"]
    scratch = plan.classify_config("scratch-dcgan-r0.5-s0")["classifier_options"]
    assert pretrained["torchvision:resnet50"] == {"weights": "DEFAULT"} and "lenet" not in pretrained  # LeNet has no pre-trained weights
    assert scratch == {}
    # a configured weights option is overridden by the scratch arm, other options are kept
    config = {**PRESETS["zhang2024-cifar"], "classifier_options": {"torchvision:vgg19": {"weights": "IMAGENET1K_V1", "dropout": 0.3}}}
    assert plan_of(config).classify_config("scratch-real-s0")["classifier_options"] == {"torchvision:vgg19": {"dropout": 0.3}}


@pytest.mark.parametrize(
    "edit, message",
    [
        (
            lambda c: (c["data"].update(colourise=None), c.update(fairness={"enabled": False})),
            "config key 'arms.bias': bias arms colour the data",
        ),
        (
            lambda c: c.update(arms={"weights": ["scratch", "pretrained"]}),
            "config key 'arms.weights': a pretrained arm needs a torchvision:/timm:",
        ),
        (lambda c: c.update(arms={"bias": ["biased", "sepia"]}), "config key 'arms.bias[1]': 'sepia' is not allowed"),
        (lambda c: c.update(max_jobs=60), "config key 'max_jobs': the study needs about 71 jobs = arms (2) x generators (2)"),
    ],
)
def test_bad_arms_name_the_key(edit, message):
    assert message in validation_error(PRESETS["zhang2024-mini"], edit)


def test_metrics_join_each_arm_to_its_own_test_table():
    # both arms' test tables use the same ids; the colours differ
    ids = [f"test-{i}" for i in range(4)]
    tests = {
        "biased": pd.DataFrame({"image_id": ids, "label": [0, 0, 1, 1], "subgroup": ["red", "red", "red", "blue"]}),
        "unbiased": pd.DataFrame({"image_id": ids, "label": [0, 0, 1, 1], "subgroup": ["red", "blue", "red", "blue"]}),
    }
    predictions = pd.DataFrame({"classifier": "mlp", "image_id": ids, "label": [0, 0, 1, 1], "prediction": [0, 1, 1, 1]})
    keys = [{"chain": f"{b}-dcgan-r0.5-s0", "bias": b, "generator": "dcgan", "ratio": 0.5, "seed": 0, "generation": 1} for b in tests]
    summary = {"fid": 1.0, "sampled": 2, "kept": 2, "queue_rows": 2, "train_rows": 6}
    table, fid, table1 = report.collect(
        [predictions, predictions], keys, tests, {"enabled": True, "pooling": "subgroup"}, [summary] * 2, keys, "inception-v3 pool3 (2048)"
    )
    # biased: red (ok, wrong, ok) 2/3, blue 1/1 -> MD 1/3; unbiased: red (ok, ok) 1.0, blue (wrong, ok) 0.5 -> MD 0.5
    # Acc(1): biased (class 0: red 0.5; class 1: 1, 1) 0.75; unbiased (class 0: 0, 1; class 1: 1, 1) 0.5
    assert table.set_index("bias")["md"].to_dict() == pytest.approx({"biased": 1 / 3, "unbiased": 0.5})
    assert table.set_index("bias")["acc_1"].to_dict() == {"biased": 0.75, "unbiased": 0.5}
    assert (
        list(table1["bias"]) == ["biased", "unbiased"]
        and "bias" in fid.columns
        and set(table1["features"]) == {"inception-v3 pool3 (2048)"}
    )
    assert list(report._line(table)) == ["biased dcgan", "unbiased dcgan"]


class _Net(torch.nn.Module):
    def __init__(self, num_classes):
        super().__init__()
        self.body = torch.nn.Flatten()
        self.fc = torch.nn.Linear(3 * 8 * 8, num_classes)

    def forward(self, x):
        self.seen = x
        return self.fc(self.body(x))


@pytest.fixture
def fake_torchvision(monkeypatch):
    """A stand-in torchvision (it has no wheel for this torch) that records every weights request."""
    calls = []

    def get_model(arch, weights=None, num_classes=1000):
        calls.append(weights)
        return _Net(num_classes)

    module = types.ModuleType("torchvision")
    module.__spec__ = importlib.machinery.ModuleSpec("torchvision", None)
    module.models = types.SimpleNamespace(get_model=get_model, list_models=lambda: ["alexnet"])
    monkeypatch.setitem(sys.modules, "torchvision", module)
    return calls


def test_pretrained_classifiers_normalise_like_imagenet_and_reload_without_downloading(fake_torchvision, tmp_path):
    model = classifiers.build("torchvision:alexnet", (3, 8, 8), 4, {"weights": "DEFAULT"})
    assert fake_torchvision == ["DEFAULT"] and model.net.fc.out_features == 4
    model(torch.zeros(1, 3, 8, 8))  # a mid-grey image in [-1, 1]: 0.5 after rescaling, then (0.5 - mean) / std
    expected = (0.5 - torch.tensor(classifiers.IMAGENET_MEAN)) / torch.tensor(classifiers.IMAGENET_STD)
    assert torch.allclose(model.net.seen[0, :, 0, 0], expected)
    out = tmp_path / "torchvision-alexnet.safetensors"
    steps.save_classifier(
        model, {"name": "torchvision:alexnet", "options": {"weights": "DEFAULT"}, "shape": [3, 8, 8], "n_classes": 4}, out
    )
    loaded = steps.load_classifier(out)
    assert fake_torchvision == ["DEFAULT", None]  # a later job builds the architecture empty and reads the file's weights
    assert loaded.normalise and torch.equal(loaded.net.fc.weight, model.net.fc.weight)
    x = torch.from_numpy(np.random.default_rng(0).uniform(-1, 1, (2, 3, 8, 8)).astype(np.float32))
    assert torch.allclose(loaded(x), model(x))
    # from scratch: no ImageNet statistics
    scratch = classifiers.build("torchvision:alexnet", (3, 8, 8), 4, {})
    scratch(x)
    assert torch.equal(scratch.net.seen, x)


def test_the_hard_imagenet_preset_fine_tunes_pretrained_classifiers_on_stable_diffusion_samples():
    config = validate(yaml.safe_load((ROOT / "presets" / "zhang2024-hard-imagenet.yaml").read_text()))
    plan = Plan(config, path)
    assert config["generators"] == ["sd_lora"] and config["generations"] == 5 and not config["fairness"]["enabled"]
    assert all(o == {"weights": "DEFAULT"} for o in plan.classify_config("pretrained-sd_lora-r0.5-s0")["classifier_options"].values())
    assert len(config["generator_params"]["sd_lora"]["class_names"]) == 15 and not plan.conjecture_enabled()
