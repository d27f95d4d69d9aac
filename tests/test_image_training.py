"""Checkpoints and resume (a killed job resumes from its last complete checkpoint), filtering, hidden subgroups."""

import numpy as np
import pandas as pd
import pytest
import torch

from synthloop.data import images as im
from synthloop.loop import fifo, select
from synthloop.studies.image_loop import checkpoints, classifiers, filtering, generators, steps, training

RNG = np.random.default_rng(0)
IMAGES = RNG.integers(0, 256, (96, 8, 8, 3), dtype=np.uint8)
LABELS = np.arange(96) % 3
TRAINING = {"epochs": 6, "patience": 10, "batch_size": 16, "learning_rate": 1e-3, "weight_decay": 0.0, "validation_fraction": 0.2}
DCGAN = {
    "latent": 8,
    "width": 8,
    "learning_rate": 2e-4,
    "steps": 6,
    "batch_size": 8,
    "checkpoint_every": 2,
    "log_every": 100,
    "sample_batch_size": 16,
}


def fresh_cnn():
    torch.manual_seed(0)
    return classifiers.build("cnn", (3, 8, 8), 3, {"width": 8})  # dropout and batch norm: RNG and buffers must resume too


def test_classifier_resume_matches_an_uninterrupted_run(tmp_path):
    whole = fresh_cnn()
    assert training.train_classifier(whole, IMAGES, LABELS, TRAINING, 1, tmp_path / "a")["complete"]
    cut = fresh_cnn()
    first = training.train_classifier(cut, IMAGES, LABELS, TRAINING, 1, tmp_path / "b", stop_after=2)
    assert not first["complete"] and first["step"] == 2 and checkpoints.latest(tmp_path / "b") is not None
    resumed = fresh_cnn()  # a new process: fresh weights, then the checkpoint
    second = training.train_classifier(resumed, IMAGES, LABELS, TRAINING, 1, tmp_path / "b", stop_after=3)
    assert not second["complete"] and second["step"] == 5
    last = fresh_cnn()
    assert training.train_classifier(last, IMAGES, LABELS, TRAINING, 1, tmp_path / "b")["complete"]
    for (name, a), b in zip(whole.state_dict().items(), last.state_dict().values()):
        assert torch.equal(a, b), name
    assert not (tmp_path / "b").exists()  # checkpoints removed once the job completes


def test_incomplete_checkpoint_is_ignored(tmp_path):
    cut = fresh_cnn()
    training.train_classifier(cut, IMAGES, LABELS, TRAINING, 1, tmp_path / "c", stop_after=2)
    partial = tmp_path / "c" / "step-00000003"  # a kill while saving: no COMPLETE marker
    partial.mkdir()
    (partial / "tensors.safetensors").write_bytes(b"cut off")
    assert checkpoints.latest(tmp_path / "c").name == "step-00000002"
    assert not partial.exists()


def test_generator_resume_matches_an_uninterrupted_run(tmp_path):
    wanted = np.repeat(np.arange(3), 4)
    whole = generators.train_and_sample("dcgan", IMAGES, LABELS, 3, wanted, DCGAN, 5, tmp_path / "a")
    assert generators.train_and_sample("dcgan", IMAGES, LABELS, 3, wanted, DCGAN, 5, tmp_path / "b", stop_after=3) is None
    resumed = generators.train_and_sample("dcgan", IMAGES, LABELS, 3, wanted, DCGAN, 5, tmp_path / "b")
    assert whole.shape == (12, 8, 8, 3) and whole.dtype == np.uint8
    assert np.array_equal(whole, resumed)


def test_ddpm_trains_and_samples_class_conditionally(tmp_path):
    params = {
        "widths": [8, 16],
        "layers_per_block": 1,
        "train_timesteps": 20,
        "inference_steps": 4,
        "learning_rate": 1e-3,
        "steps": 4,
        "batch_size": 8,
        "checkpoint_every": 2,
        "log_every": 100,
        "sample_batch_size": 16,
    }
    whole = generators.train_and_sample("ddpm", IMAGES, LABELS, 3, np.array([0, 1, 2]), params, 0, tmp_path / "a")
    assert generators.train_and_sample("ddpm", IMAGES, LABELS, 3, np.array([0, 1, 2]), params, 0, tmp_path / "b", stop_after=2) is None
    assert np.array_equal(whole, generators.train_and_sample("ddpm", IMAGES, LABELS, 3, np.array([0, 1, 2]), params, 0, tmp_path / "b"))
    assert whole.shape == (3, 8, 8, 3)


def test_entropy_and_keep_by_hand():
    assert filtering.entropy(np.array([[0.5, 0.5], [1.0, 0.0]])) == pytest.approx([np.log(2), 0.0])
    step = filtering.selection({"enabled": True, "share": 0.2})
    assert select.candidates(step, 100) == 125  # 25 of 125 dropped: 20%
    assert list(select.copies(np.array([0.3, 0.1, 0.9, 0.5]), step, 2, None)) == [1, 1, 0, 0]
    assert filtering.selection({"enabled": False, "share": 0.2}) is None


def real_tables():
    subgroups = np.array(["red", "green", "blue"])[np.arange(96) % 3]
    return im.to_table(IMAGES, LABELS, subgroup=subgroups, origin=np.full(96, "real"))


def test_synthesize_filters_the_configured_share_and_feeds_the_fifo(tmp_path):
    real = real_tables()
    previous = fifo.training_set(real, real.iloc[:0])
    uncertainty = filtering.classifier_uncertainty(fresh_cnn().eval(), 3, 0)  # MC dropout: the CNN has dropout
    config = {
        "filter": {"enabled": True, "share": 0.25, "mc_samples": 3, "classifier": "cnn"},
        "fifo": {"enabled": True, "capacity": 1},
        "generator_params": {"dcgan": DCGAN},
    }
    train, generated, summary = steps.synthesize(
        previous, real, "dcgan", 1, 0.25, config, 0, fresh_cnn().eval(), uncertainty, tmp_path / "ck"
    )
    s = int(round(0.25 * 96))  # S = 24 kept per generation
    assert len(generated) == 32 and generated["kept"].sum() == s  # 32 sampled, the 8 (25%) least certain dropped
    assert generated.loc[generated["kept"], "entropy"].max() <= generated.loc[~generated["kept"], "entropy"].min()
    assert (train["origin"] == "synthetic").sum() == s and summary["kept"] == s and np.isfinite(summary["fid"])
    assert "subgroup" not in train.columns and "subgroup" not in generated.columns
    # generation 2 with capacity 1 (D = S): generation 1's images leave the queue
    train2, _, _ = steps.synthesize(train, real, "dcgan", 2, 0.25, config, 0, fresh_cnn().eval(), uncertainty, tmp_path / "ck2")
    assert set(fifo.queue_of(train2)["source_generation"]) == {2}


def test_subgroups_never_reach_classifier_training(tmp_path):
    real = real_tables()
    with pytest.raises(ValueError, match="subgroups must stay hidden"):
        steps.fit("mlp", {}, real, 3, TRAINING, 0, tmp_path / "m.safetensors")
    train = fifo.training_set(real, real.iloc[:0])
    assert "subgroup" not in train.columns
    model = steps.fit("mlp", {}, train, 3, TRAINING, 0, tmp_path / "m.safetensors")
    reloaded = steps.load_classifier(tmp_path / "m.safetensors")
    x = training.as_tensor(IMAGES[:4])
    model.eval()
    assert torch.allclose(model(x), reloaded(x))


@pytest.mark.parametrize("name", ["mlp", "lenet", "cnn", "resnet"])
@pytest.mark.parametrize("size", [8, 16])
def test_classifiers_give_logits_and_features(name, size):
    model = classifiers.build(name, (3, size, size), 5).eval()
    x = torch.zeros(2, 3, size, size)
    assert model(x).shape == (2, 5) and model.features(x).shape[0] == 2


def test_classify_predicts_every_test_image(tmp_path):
    real = real_tables()
    config = {"classifiers": ["mlp", "lenet"], "classifier_options": {}, "training": {**TRAINING, "epochs": 1}}
    out = steps.classify(fifo.training_set(real, real.iloc[:0]), real, config, 0, tmp_path)
    assert len(out) == 2 * len(real) and set(out.columns) == {"classifier", "image_id", "label", "prediction"}
    assert (tmp_path / "lenet.safetensors").exists()
    assert isinstance(out, pd.DataFrame)


def test_library_wrapper_features_are_the_input_of_the_last_linear_layer():
    net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(192, 10), torch.nn.ReLU(), torch.nn.Linear(10, 3))
    wrapped = classifiers.Library(net, classifiers._last_linear(net))
    x = torch.randn(2, 3, 8, 8)
    assert torch.allclose(wrapped.features(x), torch.relu(net[1](x.flatten(1))))
    assert torch.allclose(wrapped(x), net(x))
    with pytest.raises(ValueError, match="unknown classifier"):
        classifiers.build("keras:vgg", (3, 8, 8), 3)


def test_ratio_zero_is_a_control_chain_without_synthetic_data(tmp_path):
    real = real_tables()
    config = {"filter": {"enabled": False, "share": 0.2}, "fifo": {"enabled": True, "capacity": 3}, "generator_params": {"dcgan": DCGAN}}
    train, generated, summary = steps.synthesize(
        fifo.training_set(real, real.iloc[:0]), real, "dcgan", 1, 0.0, config, 0, None, None, tmp_path
    )
    assert len(generated) == 0 and (train["origin"] == "real").all() and len(train) == len(real)
    assert np.isnan(summary["fid"])


def test_a_library_classifier_without_its_library_names_it(monkeypatch):
    monkeypatch.setattr(classifiers, "library_available", lambda name: False)  # as on a machine without a matching torchvision
    with pytest.raises(RuntimeError, match="needs torchvision"):
        classifiers.build("torchvision:alexnet", (3, 64, 64), 3)


def test_mc_dropout_averages_stochastic_passes_reproducibly():
    torch.manual_seed(0)
    model = classifiers.build("mlp", (3, 8, 8), 3, {"dropout": 0.5}).eval()
    with torch.no_grad():
        plain = torch.softmax(model(training.as_tensor(IMAGES[:6])), 1).numpy()
    assert training.predict_proba(model, IMAGES[:6]) == pytest.approx(plain, abs=1e-6)  # one pass: dropout off
    mc = training.predict_proba(model, IMAGES[:6], mc_samples=8, seed=3)
    assert not np.allclose(mc, plain) and mc.sum(1) == pytest.approx(np.ones(6))
    assert np.array_equal(mc, training.predict_proba(model, IMAGES[:6], mc_samples=8, seed=3))  # from the seed
    assert not any(m.training for m in model.modules())  # dropout switched off again afterwards
