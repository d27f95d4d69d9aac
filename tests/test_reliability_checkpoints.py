"""A training job (an LM fine-tune, an image classifier or generator) resumes only checkpoints made
with its own parameters and inputs; after an edit it starts over."""

import json
import logging

import numpy as np
import pytest
import torch
from conftest import SENTENCES
from test_image_sd_lora import PARAMS as SD_LORA
from test_image_sd_lora import tiny_pipeline_dir  # noqa: F401  (the fixture, for the sd_lora cases)
from transformers import Trainer

from synthloop.lm.models import load_causal_lm
from synthloop.lm.training import FINGERPRINT, checkpoint_fingerprint, fine_tune, keep_matching_checkpoints
from synthloop.studies.image_loop import checkpoints, classifiers, generators, sd_lora, training

PARAMS = {"epochs": 2, "batch_size": 4, "learning_rate": 1e-3, "weight_decay": 0.0, "max_length": 32, "save_steps": 1}


class Killed(RuntimeError):
    pass


class KilledAfterFirstCheckpoint(Trainer):
    """Stands in for a job killed right after the Trainer wrote its first checkpoint."""

    def _save_checkpoint(self, *args, **kwargs):
        super()._save_checkpoint(*args, **kwargs)
        raise Killed


def killed_run(tiny_lm, out, params):
    model, tokenizer = load_causal_lm(str(tiny_lm))
    with pytest.raises(Killed):
        fine_tune(model, tokenizer, SENTENCES, out, params, seed=0, trainer_class=KilledAfterFirstCheckpoint)
    assert list(out.with_name("model.checkpoints").glob("checkpoint-*"))


def rerun(tiny_lm, out, params):
    model, tokenizer = load_causal_lm(str(tiny_lm))
    return fine_tune(model, tokenizer, SENTENCES, out, params, seed=0)


def test_changed_learning_rate_discards_the_old_checkpoint(tiny_lm, tmp_path):
    out = tmp_path / "model"
    killed_run(tiny_lm, out, PARAMS)
    report = rerun(tiny_lm, out, {**PARAMS, "learning_rate": 5e-4})
    assert report["resumed"] is False and report["steps"] == 4  # trained from the start, all 2 epochs x 2 batches


def test_an_unchanged_job_still_resumes(tiny_lm, tmp_path):
    out = tmp_path / "model"
    killed_run(tiny_lm, out, PARAMS)
    # the killed run used KilledAfterFirstCheckpoint; the trainer class is part of the fingerprint, so rerun with it renamed alike
    model, tokenizer = load_causal_lm(str(tiny_lm))

    class Resumed(Trainer):
        pass

    Resumed.__name__ = KilledAfterFirstCheckpoint.__name__
    report = fine_tune(model, tokenizer, SENTENCES, out, PARAMS, seed=0, trainer_class=Resumed)
    assert report["resumed"] is True and report["steps"] == 4


def test_fingerprint_follows_params_inputs_and_init_weights(tiny_lm):
    model, _ = load_causal_lm(str(tiny_lm))
    base = checkpoint_fingerprint(model, [[1, 2, 3]], PARAMS, 0)
    assert checkpoint_fingerprint(load_causal_lm(str(tiny_lm))[0], [[1, 2, 3]], dict(PARAMS), 0) == base
    assert checkpoint_fingerprint(model, [[1, 2, 4]], PARAMS, 0) != base
    assert checkpoint_fingerprint(model, [[1, 2, 3]], {**PARAMS, "learning_rate": 2e-3}, 0) != base
    assert checkpoint_fingerprint(model, [[1, 2, 3]], PARAMS, 1) != base
    first = next(model.parameters())
    first.data[0, 0] += 1.0  # a different init model
    assert checkpoint_fingerprint(model, [[1, 2, 3]], PARAMS, 0) != base


def test_checkpoints_without_a_fingerprint_are_discarded(tmp_path):
    (tmp_path / "checkpoint-3").mkdir()
    assert keep_matching_checkpoints(tmp_path, "abc") is True and not (tmp_path / "checkpoint-3").exists()
    assert json.loads((tmp_path / FINGERPRINT).read_text()) == {"fingerprint": "abc"}
    (tmp_path / "checkpoint-4").mkdir()
    assert keep_matching_checkpoints(tmp_path, "abc") is False and (tmp_path / "checkpoint-4").exists()


IMAGES = np.random.default_rng(0).integers(0, 256, (48, 8, 8, 3), dtype=np.uint8)
LABELS = np.arange(48) % 3
IMAGE_JOBS = {
    "classifier": {"epochs": 4, "patience": 10, "batch_size": 16, "learning_rate": 1e-3, "weight_decay": 0.0, "validation_fraction": 0.2},
    "dcgan": {
        "latent": 8,
        "width": 8,
        "learning_rate": 2e-4,
        "steps": 4,
        "batch_size": 8,
        "checkpoint_every": 2,
        "log_every": 100,
        "sample_batch_size": 16,
    },
    "ddpm": {
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
    },
    "sd_lora": SD_LORA,
}
KINDS = ["classifier", "dcgan", "ddpm", pytest.param("sd_lora", marks=pytest.mark.slow)]


def image_job(kind, request):
    """(run, params): run(params, checkpoint_dir, stop_after) gives the job's output as one array, None when interrupted."""
    if kind == "classifier":

        def run(params, directory, stop_after=None):
            torch.manual_seed(0)
            model = classifiers.build("cnn", (3, 8, 8), 3, {"width": 8})
            if not training.train_classifier(model, IMAGES, LABELS, params, 1, directory, stop_after=stop_after)["complete"]:
                return None
            return torch.cat([v.flatten().double() for v in model.state_dict().values()]).numpy()

        return run, IMAGE_JOBS[kind]
    if kind == "sd_lora":
        images, labels = np.random.default_rng(0).integers(0, 256, (4, 16, 16, 3), dtype=np.uint8), np.array([0, 0, 1, 1])
        params = {**IMAGE_JOBS[kind], "model": str(request.getfixturevalue("tiny_pipeline_dir"))}
        return (
            lambda params, directory, stop_after=None: sd_lora.train_and_sample(
                images, labels, np.array([0, 1]), params, 0, directory, stop_after
            )
        ), params
    return (
        lambda params, directory, stop_after=None: generators.train_and_sample(
            kind, IMAGES, LABELS, 3, np.array([0, 1, 2]), params, 5, directory, stop_after
        )
    ), IMAGE_JOBS[kind]


@pytest.fixture
def restored(monkeypatch):
    """The checkpoints a job restored from."""
    seen, original = [], checkpoints.restore
    monkeypatch.setattr(checkpoints, "restore", lambda checkpoint, *args: seen.append(checkpoint.name) or original(checkpoint, *args))
    return seen


@pytest.mark.parametrize("kind", KINDS)
def test_a_parameter_edit_makes_a_resumed_image_job_start_over(kind, request, tmp_path, caplog, restored):
    run, params = image_job(kind, request)
    edited = {**params, "learning_rate": 5 * params["learning_rate"]}
    fresh = run(edited, tmp_path / "fresh")
    assert run(params, tmp_path / "killed", stop_after=2) is None and checkpoints.complete(tmp_path / "killed")
    restored.clear()
    with caplog.at_level(logging.WARNING):
        rerun = run(edited, tmp_path / "killed")
    assert restored == []  # the old run's checkpoint was not resumed
    assert f"discarding checkpoints in {tmp_path / 'killed'}" in caplog.text
    assert np.array_equal(rerun, fresh)  # trained from the start with the new learning rate
    assert not (tmp_path / "killed").exists()


@pytest.mark.parametrize("kind", KINDS)
def test_an_unchanged_image_job_still_resumes(kind, request, tmp_path, caplog, restored):
    run, params = image_job(kind, request)
    whole = run(params, tmp_path / "whole")
    assert run(dict(params), tmp_path / "killed", stop_after=2) is None
    with caplog.at_level(logging.WARNING):
        resumed = run(dict(params), tmp_path / "killed")
    assert restored == ["step-00000002"] and "discarding" not in caplog.text
    assert np.array_equal(resumed, whole)


def test_an_image_checkpoint_without_a_fingerprint_is_discarded(tmp_path, caplog, restored):
    run, params = image_job("classifier", None)
    assert run(params, tmp_path, stop_after=2) is None
    state = checkpoints.latest(tmp_path) / "state.json"
    state.write_text(
        json.dumps({k: v for k, v in json.loads(state.read_text()).items() if k != "fingerprint"})
    )  # as saved before fingerprints
    with caplog.at_level(logging.WARNING):
        run(params, tmp_path)
    assert restored == [] and f"discarding checkpoints in {tmp_path}" in caplog.text


def test_image_fingerprint_follows_params_seed_and_input_bytes():
    base = checkpoints.fingerprint(IMAGE_JOBS["dcgan"], 5, IMAGES, LABELS, kind="dcgan")
    assert checkpoints.fingerprint(dict(IMAGE_JOBS["dcgan"]), 5, IMAGES.copy(), list(LABELS), kind="dcgan") == base
    changed = IMAGES.copy()
    changed[0, 0, 0, 0] ^= 1
    assert checkpoints.fingerprint(IMAGE_JOBS["dcgan"], 5, changed, LABELS, kind="dcgan") != base
    assert checkpoints.fingerprint(IMAGE_JOBS["dcgan"], 5, IMAGES, LABELS[::-1], kind="dcgan") != base
    assert checkpoints.fingerprint({**IMAGE_JOBS["dcgan"], "steps": 5}, 5, IMAGES, LABELS, kind="dcgan") != base
    assert checkpoints.fingerprint(IMAGE_JOBS["dcgan"], 6, IMAGES, LABELS, kind="dcgan") != base
    assert checkpoints.fingerprint(IMAGE_JOBS["dcgan"], 5, IMAGES, LABELS, kind="ddpm") != base


def test_image_training_logs_progress_with_time_left(tmp_path, caplog):
    with caplog.at_level(logging.INFO, logger=checkpoints.__name__):
        generators.train_and_sample(
            "dcgan", IMAGES, LABELS, 3, np.array([0, 1]), {**IMAGE_JOBS["dcgan"], "steps": 6, "log_every": 2}, 5, tmp_path
        )
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("dcgan: ")]
    assert [line.split(" (")[0] for line in lines] == ["dcgan: 2/6 steps", "dcgan: 4/6 steps", "dcgan: 6/6 steps"]
    assert "left" in lines[0] and " d " in lines[0] and " g " in lines[0] and "done" in lines[-1]
