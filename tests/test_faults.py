"""Faults: a fine-tune killed mid-way resumes from its checkpoint and ends where an
uninterrupted run ends; its partial output never looks complete."""

import json
import subprocess
import sys
import time

from conftest import SENTENCES

from synthloop.lm.training import is_complete, resumable_checkpoint

PARAMS = {"epochs": 4, "batch_size": 2, "learning_rate": 1e-3, "weight_decay": 0.0, "max_length": 32, "save_steps": 2}

RUN = """
import sys, json
from synthloop.lm.models import load_causal_lm, set_threads
from synthloop.lm.training import fine_tune
set_threads(1)
model, tokenizer = load_causal_lm(sys.argv[1])
report = fine_tune(model, tokenizer, json.loads(sys.argv[3]), sys.argv[2], json.loads(sys.argv[4]), seed=7)
print(json.dumps(report))
"""


def fine_tune_process(tiny_lm, out, capture=True):
    """`capture=False` for a process nobody reads while it runs: a full pipe would block it."""
    pipe = subprocess.PIPE if capture else subprocess.DEVNULL
    return subprocess.Popen(
        [sys.executable, "-c", RUN, str(tiny_lm), str(out), json.dumps(SENTENCES), json.dumps(PARAMS)], stdout=pipe, stderr=pipe, text=True
    )


def report_of(process) -> dict:
    out, err = process.communicate(timeout=600)
    assert process.returncode == 0, err[-3000:]
    return json.loads(out.splitlines()[-1])


def test_killed_fine_tune_resumes_and_matches_an_uninterrupted_run(tiny_lm, tmp_path):
    reference = fine_tune_process(tiny_lm, tmp_path / "reference")
    assert report_of(reference)["resumed"] is False

    killed = fine_tune_process(tiny_lm, tmp_path / "model", capture=False)
    checkpoints = tmp_path / "model.checkpoints"
    deadline = time.time() + 600
    while killed.poll() is None and not any(map(is_complete, checkpoints.glob("checkpoint-*"))) and time.time() < deadline:
        time.sleep(0.02)
    killed.kill()
    killed.wait()
    assert any(checkpoints.glob("checkpoint-*")), "no checkpoint was written before the kill"
    assert not (tmp_path / "model" / "training.json").exists()  # the partial output does not look complete

    resumed = fine_tune_process(tiny_lm, tmp_path / "model")
    report = report_of(resumed)
    assert report["resumed"] is True and report["steps"] == 12
    assert (tmp_path / "model" / "model.safetensors").read_bytes() == (tmp_path / "reference" / "model.safetensors").read_bytes()
    assert not checkpoints.exists()  # removed once the job completed


def test_an_incomplete_newer_checkpoint_is_dropped(tmp_path):
    for step, state in ((2, "{}"), (4, None), (6, '{"trunc')):
        (tmp_path / f"checkpoint-{step}").mkdir()
        if state is not None:
            (tmp_path / f"checkpoint-{step}" / "trainer_state.json").write_text(state)
    assert resumable_checkpoint(tmp_path) == str(tmp_path / "checkpoint-2")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint-2"]
