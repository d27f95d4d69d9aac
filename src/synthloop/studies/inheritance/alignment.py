"""The loss-based mitigation (Li et al., section 6.1 and appendix E.1): an alignment term in the Trainer.

L = L_LM + w * || E_real phi(x, y) - E_augmented phi(x, y) ||^2, phi(x, y) the final hidden state
averaged over the tokens of the question-answer pair (from the instruction's first token to the
answer's last, not the chat template around them). The two expectations are running means over the
last `window` examples of each kind seen in training, each batch's examples entering with their
gradient and the earlier ones as constants; so a batch with only real examples (at gamma = 5% and
batch 8, two thirds of them) still pulls its real mean towards the augmented one. The means start
afresh when a killed job resumes from a checkpoint. A Trainer subclass, so the usual training path
(lm.training.fine_tune with trainer_class=...) runs it.
"""

from __future__ import annotations

import torch
from transformers import Trainer

from synthloop.studies.inheritance.embedding import text_embeddings

COLUMN = "augmented"  # 1 for an augmented example, 0 for a real one
SPAN = ("span_start", "span_end")  # the question-answer tokens of each example, [start, end)


class RunningMeans:
    """Per kind (0 real, 1 augmented), the mean embedding of the last `window` examples seen (earlier ones
    weighted as a block of min(seen, window)), detached between batches."""

    def __init__(self, window: int):
        self.window = int(window)
        self.mean: dict[int, torch.Tensor | None] = {0: None, 1: None}
        self.seen = {0: 0, 1: 0}

    def update(self, embeddings: torch.Tensor, augmented: torch.Tensor) -> dict[int, torch.Tensor | None]:
        """This batch's estimate of both means (with gradient through the batch's own examples)."""
        out = {}
        for kind in (0, 1):
            rows = embeddings[augmented == kind]
            earlier, weight = self.mean[kind], min(self.seen[kind], self.window)
            if len(rows) == 0:
                out[kind] = earlier
                continue
            total = rows.float().sum(dim=0)
            if earlier is not None and weight:
                total = total + weight * earlier.to(total.device)
            out[kind] = total / (len(rows) + (weight if earlier is not None else 0))
            self.mean[kind], self.seen[kind] = out[kind].detach(), self.seen[kind] + len(rows)
        return out


def alignment_loss(embeddings: torch.Tensor, augmented: torch.Tensor, means: RunningMeans | None = None) -> torch.Tensor:
    """Squared Euclidean distance between the mean real and the mean augmented embedding: over the batch
    alone without `means` (0 if a kind is absent), else over the running means."""
    augmented = augmented.view(-1).long()
    zero = embeddings.sum() * 0.0  # keeps the graph (and the device) of a real loss
    if means is None:
        if augmented.all() or not augmented.any():
            return zero
        estimate = {k: embeddings[augmented == k].mean(dim=0) for k in (0, 1)}
    else:
        estimate = means.update(embeddings, augmented)
    if estimate[0] is None or estimate[1] is None:
        return zero
    return ((estimate[0].float() - estimate[1].float()) ** 2).sum() + zero


def span_mask(attention_mask: torch.Tensor, start: torch.Tensor, end: torch.Tensor) -> torch.Tensor:
    """The attention mask restricted to each row's question-answer tokens [start, end)."""
    positions = torch.arange(attention_mask.shape[1], device=attention_mask.device).unsqueeze(0)
    inside = (positions >= start.view(-1, 1).to(positions.device)) & (positions < end.view(-1, 1).to(positions.device))
    return attention_mask * inside.to(attention_mask.dtype)


class AlignmentTrainer(Trainer):
    """Adds the weighted alignment loss to the language-model loss of each batch."""

    alignment_weight = 1.0
    alignment_window = 256

    def __init__(self, *args, alignment_weight: float | None = None, alignment_window: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if alignment_weight is not None:
            self.alignment_weight = float(alignment_weight)
        if alignment_window is not None:
            self.alignment_window = int(alignment_window)
        self.running_means = RunningMeans(self.alignment_window)

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        augmented = inputs.pop(COLUMN)
        start, end = (inputs.pop(key, None) for key in SPAN)
        inputs["output_hidden_states"] = True
        lm_loss, outputs = super().compute_loss(model, inputs, return_outputs=True, num_items_in_batch=num_items_in_batch)
        mask = inputs["attention_mask"] if start is None else span_mask(inputs["attention_mask"], start, end)
        embeddings = text_embeddings(outputs.hidden_states[-1], mask)
        align = alignment_loss(embeddings, augmented.to(embeddings.device), self.running_means if model.training else None)
        loss = lm_loss + self.alignment_weight * align
        return (loss, outputs) if return_outputs else loss


def weighted(weight: float, window: int = AlignmentTrainer.alignment_window) -> type[AlignmentTrainer]:
    """An AlignmentTrainer class with its weight and window fixed (for lm.training.train(trainer_class=...));
    its name carries both, so a checkpoint of other settings is not resumed."""
    return type(
        f"AlignmentTrainer_w{float(weight):g}_n{int(window)}",
        (AlignmentTrainer,),
        {"alignment_weight": float(weight), "alignment_window": int(window)},
    )


def qa_spans(tokenizer, texts: list[str], instructions: list[str], responses: list[str], max_length: int) -> tuple[list[int], list[int]]:
    """Token positions [start, end) of each formatted example's instruction-to-answer text, tokenised as the
    training path tokenises it (lm.training.tokenize_documents); the whole example where it is not found."""
    encoded = tokenizer(list(texts), add_special_tokens=False, truncation=True, max_length=max_length - 1, return_offsets_mapping=True)
    starts, ends = [], []
    for text, instruction, response, offsets in zip(texts, instructions, responses, encoded["offset_mapping"]):
        first = text.find(instruction)
        last = text.rfind(response)
        if first < 0 or last < first:
            starts.append(0)
            ends.append(len(offsets))
            continue
        stop = last + len(response)
        inside = [k for k, (a, b) in enumerate(offsets) if b > first and a < stop]
        starts.append(inside[0] if inside else 0)
        ends.append(inside[-1] + 1 if inside else len(offsets))
    return starts, ends
