"""Progress lines in job logs: counts, the time left from the mean rate, one line per batch or epoch."""

import logging
import os
import subprocess
import sys
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from synthloop.core import progress as progress_module
from synthloop.core.progress import Progress, duration, quiet_progress_bars
from synthloop.lm.batches import Prompt
from synthloop.lm.generation import continue_batched
from synthloop.lm.training import progress_callback
from synthloop.scorers import judge


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_time_left_is_the_mean_rate_times_what_is_left(caplog):
    clock = Clock()
    p = Progress("generate", 10, "prompts", clock=clock)
    clock.now += 20
    with caplog.at_level(logging.INFO, logger="synthloop.progress"):
        line = p.step(2)
    # 2 items in 20 s: 10 s each, 8 left -> 80 s
    assert p.remaining_seconds() == pytest.approx(80.0)
    assert line == "generate: 2/10 prompts (20%), 20 s elapsed, about 1 min 20 s left"
    assert caplog.messages == [line]
    clock.now += 80
    assert p.step(8).endswith("done")


def test_resumed_items_do_not_count_in_the_rate():
    clock = Clock()
    p = Progress("fine-tune", 100, "steps", clock=clock, already=50)
    assert p.remaining_seconds() is None  # nothing done in this process yet
    clock.now += 30
    p.update(60)  # 10 steps in 30 s here: 3 s each, 40 left
    assert p.remaining_seconds() == pytest.approx(120.0)


def test_every_n_items_and_the_last():
    p = Progress("judge", 10, "replies", clock=Clock(), every=4)
    logged = [p.step() is not None for _ in range(10)]
    assert [i + 1 for i, yes in enumerate(logged) if yes] == [4, 8, 10]


def test_durations():
    assert [duration(s) for s in (0, 59.4, 65, 3600 + 7 * 60 + 3)] == ["0 s", "59 s", "1 min 05 s", "1 h 07 min"]


class EchoModel:
    """Continues every row with tokens 7, 8: enough of `generate` for the batch loop."""

    device = torch.device("cpu")

    def generate(self, input_ids, attention_mask, max_new_tokens, **_):
        extra = torch.tensor([[7, 8]] * input_ids.shape[0])[:, :max_new_tokens]
        return torch.cat([input_ids, extra], dim=1)


def test_generation_logs_a_line_per_batch(caplog):
    prompts = [Prompt(i, tuple(range(1, 2 + i))) for i in range(5)]
    with caplog.at_level(logging.INFO, logger="synthloop.progress"):
        out = continue_batched(EchoModel(), prompts, new_tokens=2, batch_size=2, pad_id=0, eos_id=99)
    assert out == [[7, 8]] * 5
    counts = [m.split(":")[1].split()[0] for m in caplog.messages if m.startswith("generate:")]
    assert counts == ["2/5", "4/5", "5/5"]


def test_trainer_callback_logs_steps_loss_and_epochs(caplog):
    callback = progress_callback()
    state = SimpleNamespace(max_steps=12, global_step=0, epoch=0.0)
    args = SimpleNamespace(num_train_epochs=3)
    with caplog.at_level(logging.INFO, logger="synthloop.lm.training"):
        callback.on_train_begin(args, state, None)
        state.global_step, state.epoch = 3, 0.75
        callback.on_log(args, state, None, logs={"loss": 2.5})
        callback.on_log(args, state, None, logs={"train_runtime": 1.0})  # the final summary log: no line
        state.global_step, state.epoch = 4, 1.0
        callback.on_epoch_end(args, state, None)
    assert len(caplog.messages) == 2
    assert caplog.messages[0].startswith("fine-tune: 3/12 steps (25%)") and "loss 2.5" in caplog.messages[0]
    assert "4/12 steps" in caplog.messages[1] and "epoch 1" in caplog.messages[1] and "epochs 3" in caplog.messages[1]


def test_http_judge_logs_progress_in_order(monkeypatch, caplog):
    monkeypatch.setattr(judge, "chat_completion", lambda prompt, spec: str(len(prompt)))
    texts = ["a", "bb", "ccc"]
    with caplog.at_level(logging.INFO, logger="synthloop.scorers.judge"):
        replies = judge.http_replies(texts, ["quality", "lean"], {"concurrency": 2})
    assert replies["quality"] == [str(len(judge.PROMPTS["quality"].format(text=t))) for t in texts]
    assert caplog.messages[-1].startswith("judge: 6/6 replies (100%)")


def test_hugging_face_bars_are_off_in_jobs(monkeypatch):
    for name in progress_module.PROGRESS_BAR_SWITCHES:
        monkeypatch.delenv(name, raising=False)
    quiet_progress_bars()
    env = dict(os.environ)
    code = "import datasets, transformers.utils.logging as l; print(l.is_progress_bar_enabled(), datasets.is_progress_bar_enabled())"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "False"]


class UniformLM:
    """Equal logits over 5 tokens: every text's perplexity is 5, whatever its tokens."""

    device = torch.device("cpu")
    config = SimpleNamespace(n_positions=64, max_position_embeddings=64)

    def __call__(self, input_ids, attention_mask):
        return SimpleNamespace(logits=torch.zeros(*input_ids.shape, 5))


class DigitTokenizer:
    pad_token_id = 0

    def __call__(self, texts, add_special_tokens, truncation, max_length):
        return {"input_ids": [[int(c) for c in t][:max_length] for t in texts]}


def test_perplexity_logs_a_line_per_batch(caplog, monkeypatch):
    from synthloop.scorers import perplexity as ppl

    monkeypatch.setattr(ppl, "context_length", lambda model: 64)
    with caplog.at_level(logging.INFO, logger="synthloop.progress"):
        values = ppl.perplexity(UniformLM(), DigitTokenizer(), ["12", "3", "1234", "44"], batch_size=2)
    assert values[[0, 2, 3]] == pytest.approx([5.0, 5.0, 5.0]) and np.isnan(values[1])  # one token: no perplexity
    assert [m.split()[1] for m in caplog.messages if m.startswith("perplexity:")] == ["2/3", "3/3"]
