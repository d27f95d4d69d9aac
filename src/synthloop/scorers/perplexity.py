"""Scores computed with a causal language model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from synthloop.core.hub import ModelRef
from synthloop.core.progress import Progress
from synthloop.lm.batches import padded_batches
from synthloop.lm.models import context_length, load_causal_lm
from synthloop.scorers.registry import Scores


@torch.inference_mode()
def perplexity(model, tokenizer, texts, batch_size: int = 32, max_length: int = 512) -> np.ndarray:
    """Per-text perplexity (exp of the mean token NLL), batched over length-sorted texts; NaN below two tokens."""
    max_length = min(max_length, context_length(model))
    encoded = tokenizer(list(texts), add_special_tokens=False, truncation=True, max_length=max_length)["input_ids"]
    scored = [i for i, ids in enumerate(encoded) if len(ids) >= 2]
    result = np.full(len(encoded), np.nan)
    progress = Progress("perplexity", len(scored), "texts")
    for rows, ids, mask in padded_batches([encoded[i] for i in scored], batch_size, tokenizer.pad_token_id, device=model.device):
        logits = model(input_ids=ids, attention_mask=mask).logits[:, :-1].float()
        nll = torch.nn.functional.cross_entropy(logits.transpose(1, 2), ids[:, 1:], reduction="none")
        target_mask = mask[:, 1:].float()
        mean_nll = (nll * target_mask).sum(1) / target_mask.sum(1)
        result[[scored[r] for r in rows]] = torch.exp(mean_nll).cpu().numpy()
        progress.step(len(rows))
    return result


def score_perplexity(texts, spec, assets) -> Scores:
    model, tokenizer = load_causal_lm(ModelRef.of(assets["causal_lm"], spec.get("trust_remote_code")))
    model.eval()
    values = perplexity(model, tokenizer, texts, int(spec.get("batch_size", 32)), int(spec.get("max_length", 512)))
    return Scores(pd.DataFrame({"perplexity": values}))
