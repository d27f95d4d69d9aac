"""The loss-based mitigation (Li et al., section 6.1 and appendix E.1): an alignment term in the Trainer.

L = L_LM + w * || mean_real phi(x) - mean_augmented phi(x) ||^2, where phi(x) is a text's final
hidden state averaged over its tokens and the means run over the real and the augmented examples of
a batch. A batch with no example of either kind adds nothing. A Trainer subclass, so the usual
training path (lm.training.fine_tune with trainer_class=...) runs it.
"""

from __future__ import annotations

import torch
from transformers import Trainer

from synthloop.studies.inheritance.embedding import text_embeddings

COLUMN = "augmented"  # 1 for an augmented example, 0 for a real one


def alignment_loss(embeddings: torch.Tensor, augmented: torch.Tensor) -> torch.Tensor:
    """Squared Euclidean distance between the mean real and the mean augmented embedding (0 if a kind is absent)."""
    augmented = augmented.bool().view(-1)
    if augmented.all() or not augmented.any():
        return embeddings.sum() * 0.0  # keeps the graph (and the device) of a real loss
    difference = embeddings[~augmented].mean(dim=0) - embeddings[augmented].mean(dim=0)
    return (difference.float() ** 2).sum()


class AlignmentTrainer(Trainer):
    """Adds the weighted alignment loss to the language-model loss of each batch."""

    alignment_weight = 1.0

    def __init__(self, *args, alignment_weight: float | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if alignment_weight is not None:
            self.alignment_weight = float(alignment_weight)

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        augmented = inputs.pop(COLUMN)
        inputs["output_hidden_states"] = True
        lm_loss, outputs = super().compute_loss(model, inputs, return_outputs=True, num_items_in_batch=num_items_in_batch)
        embeddings = text_embeddings(outputs.hidden_states[-1], inputs["attention_mask"])
        align = alignment_loss(embeddings, augmented.to(embeddings.device))
        loss = lm_loss + self.alignment_weight * align
        return (loss, outputs) if return_outputs else loss


def weighted(weight: float) -> type[AlignmentTrainer]:
    """An AlignmentTrainer class with its weight fixed (for lm.training.train(trainer_class=...)); its name
    carries the weight, so a checkpoint of another weight is not resumed."""
    return type(f"AlignmentTrainer_w{float(weight):g}", (AlignmentTrainer,), {"alignment_weight": float(weight)})
