"""Block-continuation generation: batched equals the published one-block-at-a-time loop."""

import torch
from conftest import SENTENCES

from synthloop.lm.batches import Prompt
from synthloop.lm.generation import block_prompts, continue_batched, continue_one_by_one, synthesize_documents


def test_block_prompts_cover_the_title_and_every_block(lm):
    _, tokenizer = lm
    text = " ".join(SENTENCES)
    n_tokens = len(tokenizer(text)["input_ids"])
    prompts = block_prompts(tokenizer, [text, "short"], block_tokens=8, titles=["A title", None])
    first_doc = [p for p in prompts if p.doc == 0]
    assert tokenizer.decode(first_doc[0].ids) == "A title"
    assert len(first_doc) == 1 + -(-n_tokens // 8)
    assert sum(len(p.ids) for p in first_doc[1:]) == n_tokens
    assert all(len(p.ids) <= 8 for p in prompts)
    assert [p.doc for p in prompts][-1] == 1


def test_batched_greedy_matches_one_by_one(lm):
    model, tokenizer = lm
    texts = [" ".join(SENTENCES[: i + 1]) for i in range(len(SENTENCES))]
    prompts = block_prompts(tokenizer, texts, block_tokens=7)
    assert len({len(p.ids) for p in prompts}) > 1  # varied lengths, so left padding is exercised
    ids = dict(pad_id=tokenizer.pad_token_id, eos_id=tokenizer.eos_token_id)
    batched = continue_batched(model, prompts, 12, batch_size=16, do_sample=False, **ids)
    reference = continue_one_by_one(model, prompts, 12, do_sample=False, **ids)
    pairs = [(a, b) for x, y in zip(batched, reference) for a, b in zip(x, y)]
    total = sum(max(len(x), len(y)) for x, y in zip(batched, reference))
    same = sum(a == b for a, b in pairs)
    assert total > 100
    assert same / total >= 0.99


def test_same_seed_gives_identical_documents_including_sampling(lm):
    model, tokenizer = lm
    params = {"block_tokens": 8, "new_tokens": 10, "batch_size": 4, "do_sample": True, "temperature": 1.5, "min_p": 0.2}
    first = synthesize_documents(model, tokenizer, SENTENCES, params, seed=3)
    second = synthesize_documents(model, tokenizer, SENTENCES, params, seed=3)
    other = synthesize_documents(model, tokenizer, SENTENCES, params, seed=4)
    assert first == second
    assert first != other
    assert len(first) == len(SENTENCES) and all(isinstance(t, str) and t for t in first)


def test_continuations_stop_at_eos():
    class Stub:
        device = torch.device("cpu")

        def generate(self, input_ids, **kwargs):
            tail = torch.tensor([[5, 9, 6, 9]] * input_ids.shape[0])
            return torch.cat([input_ids, tail], dim=1)

    assert continue_batched(Stub(), [Prompt(0, (1, 2))], 4, 1, pad_id=0, eos_id=9) == [[5]]


def test_batched_greedy_with_a_repetition_penalty_matches_one_by_one(lm):
    """The penalty must not count a row's left pads (EOS for GPT-2) as text: batched equals the unpadded loop."""
    model, tokenizer = lm
    texts = [" ".join(SENTENCES[: i + 1]) for i in range(len(SENTENCES))]
    prompts = block_prompts(tokenizer, texts, block_tokens=7)
    ids = dict(pad_id=tokenizer.pad_token_id, eos_id=tokenizer.eos_token_id)
    batched = continue_batched(model, prompts, 12, batch_size=16, do_sample=False, repetition_penalty=1.3, **ids)
    reference = continue_one_by_one(model, prompts, 12, do_sample=False, repetition_penalty=1.3, **ids)
    plain = continue_one_by_one(model, prompts, 12, do_sample=False, **ids)
    assert batched != plain  # the penalty changes the text
    total = sum(max(len(x), len(y)) for x, y in zip(batched, reference))
    same = sum(a == b for x, y in zip(batched, reference) for a, b in zip(x, y))
    assert total > 100
    assert same / total >= 0.99


def test_the_repetition_penalty_skips_each_rows_left_pads():
    from synthloop.lm.generation import repetition_penalty_processor

    input_ids = torch.tensor([[0, 0, 5], [7, 8, 5]])  # row 0: two left pads (id 0, also EOS) before token 5
    attention = torch.tensor([[0, 0, 1], [1, 1, 1]])
    (processor,) = repetition_penalty_processor(2.0, attention)["logits_processor"]
    scores = processor(input_ids, torch.ones(2, 10))
    assert scores[0, 0] == 1.0 and scores[0, 5] == 0.5  # the pad id is not penalised; the prompt's token is
    assert scores[1, 7] == scores[1, 8] == scores[1, 5] == 0.5 and scores[1, 0] == 1.0
    assert repetition_penalty_processor(None, attention) == {}
