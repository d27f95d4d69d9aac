"""Issue 13, item 5: a fine-tune resumes only checkpoints made with its own parameters and inputs."""

import json

import pytest
from conftest import SENTENCES
from transformers import Trainer

from synthloop.lm.models import load_causal_lm
from synthloop.lm.training import FINGERPRINT, checkpoint_fingerprint, fine_tune, keep_matching_checkpoints

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
