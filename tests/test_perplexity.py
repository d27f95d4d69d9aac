"""The perplexity scorer: batched, right-padded, length-sorted NLL equals a hand-computed unbatched value.

The reference runs the model on one text at a time (no padding at all) and sums -log softmax of each
next token by hand, so a wrong shift, a padded token counted as a target, or a mask ignored by the
model would all show up as a different number.
"""

import math

import numpy as np
import pytest
import torch
from conftest import SENTENCES

from synthloop.scorers.perplexity import perplexity, score_perplexity

TEXTS = [SENTENCES[0], "Health care.", " ".join(SENTENCES[1:4]), SENTENCES[5], "a"]


def unbatched_perplexity(model, tokenizer, text: str) -> float:
    ids = tokenizer(text, add_special_tokens=False)["input_ids"][:32]
    if len(ids) < 2:
        return math.nan
    with torch.no_grad():
        log_probs = torch.log_softmax(model(torch.tensor([ids])).logits[0].double(), dim=-1)
    nll = [-float(log_probs[t, ids[t + 1]]) for t in range(len(ids) - 1)]
    return math.exp(sum(nll) / len(nll))


def test_batched_padded_perplexity_equals_the_unbatched_hand_computed_value(lm):
    model, tokenizer = lm
    lengths = [len(tokenizer(t, add_special_tokens=False)["input_ids"]) for t in TEXTS]
    assert len(set(lengths)) == len(lengths) and min(lengths) < 2  # varied lengths: padding in every batch; one too short to score
    expected = [unbatched_perplexity(model, tokenizer, t) for t in TEXTS]
    for batch_size in (1, 2, 8):
        got = perplexity(model, tokenizer, TEXTS, batch_size=batch_size, max_length=512)
        assert np.isnan(got[4]) and np.isnan(expected[4])
        assert got[:4] == pytest.approx(expected[:4], rel=1e-4)
    assert 1 < min(expected[:4]) and max(expected[:4]) < tokenizer.vocab_size  # a trained model beats uniform guessing


def test_texts_longer_than_the_context_are_cut_to_it(lm):
    model, tokenizer = lm
    long = " ".join(SENTENCES * 3)
    assert len(tokenizer(long, add_special_tokens=False)["input_ids"]) > 32  # the tiny model's context
    assert perplexity(model, tokenizer, [long])[0] == pytest.approx(unbatched_perplexity(model, tokenizer, long), rel=1e-4)


def test_the_scorer_reads_its_model_and_keeps_text_order(lm, tiny_lm):
    model, tokenizer = lm
    scores = score_perplexity(TEXTS[:4], {"batch_size": 3}, {"causal_lm": str(tiny_lm)})
    assert scores.per_text["perplexity"].to_numpy() == pytest.approx(
        [unbatched_perplexity(model, tokenizer, t) for t in TEXTS[:4]], rel=1e-4
    )
