"""Faults: a fine-tune killed mid-way resumes from its checkpoint and ends where an
uninterrupted run ends; its partial output never looks complete."""

import json
import subprocess
import sys
import time

from synthloop.training import latest_complete_checkpoint

from conftest import SENTENCES

PARAMS = {"epochs": 4, "batch_size": 2, "learning_rate": 1e-3, "weight_decay": 0.0, "max_length": 32, "save_steps": 2}

RUN = """
import sys, json
from synthloop.models import load_causal_lm, set_threads
from synthloop.training import fine_tune
set_threads(1)
model, tokenizer = load_causal_lm(sys.argv[1])
report = fine_tune(model, tokenizer, json.loads(sys.argv[3]), sys.argv[2], json.loads(sys.argv[4]), seed=7)
print(json.dumps(report))
"""


def fine_tune_process(tiny_lm, out):
    return subprocess.Popen([sys.executable, "-c", RUN, str(tiny_lm), str(out), json.dumps(SENTENCES), json.dumps(PARAMS)],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)


def test_killed_fine_tune_resumes_and_matches_an_uninterrupted_run(tiny_lm, tmp_path):
    reference = fine_tune_process(tiny_lm, tmp_path / "reference")
    assert json.loads(reference.communicate(timeout=600)[0].splitlines()[-1])["resumed"] is False

    killed = fine_tune_process(tiny_lm, tmp_path / "model")
    checkpoints = tmp_path / "model.checkpoints"
    deadline = time.time() + 600
    while not latest_complete_checkpoint(checkpoints) and time.time() < deadline:
        time.sleep(0.05)
    killed.kill()
    killed.wait()
    assert any(checkpoints.glob("checkpoint-*")), "no checkpoint was written before the kill"
    assert not (tmp_path / "model" / "training.json").exists()  # the partial output does not look complete

    resumed = fine_tune_process(tiny_lm, tmp_path / "model")
    report = json.loads(resumed.communicate(timeout=600)[0].splitlines()[-1])
    assert report["resumed"] is True and report["steps"] == 12
    assert (tmp_path / "model" / "model.safetensors").read_bytes() == (tmp_path / "reference" / "model.safetensors").read_bytes()
    assert not checkpoints.exists()  # removed once the job completed


def test_an_incomplete_newer_checkpoint_is_dropped(tmp_path):
    for step, state in ((2, "{}"), (4, None), (6, '{"trunc')):
        (tmp_path / f"checkpoint-{step}").mkdir()
        if state is not None:
            (tmp_path / f"checkpoint-{step}" / "trainer_state.json").write_text(state)
    assert latest_complete_checkpoint(tmp_path) == str(tmp_path / "checkpoint-2")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint-2"]
