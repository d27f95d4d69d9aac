"""Text embeddings from a model's final hidden layer: the alignment loss's phi(x), and Figure 8's projection.

Figure 8 of the paper shows real and augmented texts' hidden-layer vectors reduced to three
dimensions, Figure 13 every bias type, for the Arabic culture and gender at the 50% ratio. synthloop
reduces with PCA (the paper does not name its method) to 2 or 3 dimensions; the augmented texts are
the first of each set, i.e. those the largest ratio's arm trains on (every smaller ratio takes a prefix).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
from sklearn.decomposition import PCA

from synthloop.core.seeds import stable_seed
from synthloop.core.vocabulary import REAL


def text_embeddings(hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """Each text's final hidden states averaged over its (unpadded) tokens: (batch, hidden)."""
    mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0)


@torch.inference_mode()
def embed(model, tokenizer, texts: list[str], batch_size: int, max_length: int) -> np.ndarray:
    """Mean final-hidden-state vector of each text, batched with right padding."""
    tokenizer.padding_side = "right"
    out = []
    for start in range(0, len(texts), batch_size):
        encoded = tokenizer(
            texts[start : start + batch_size], return_tensors="pt", padding=True, truncation=True, max_length=max_length
        ).to(model.device)
        hidden = model(**encoded, output_hidden_states=True).hidden_states[-1]
        out.append(text_embeddings(hidden.float(), encoded["attention_mask"]).cpu().numpy())
    return np.concatenate(out) if out else np.zeros((0, 0))


def embedded_text(frame: pd.DataFrame, answer: str) -> list[str]:
    """A biography (gender), or a survey question with its answer (culture: the paper's question-answer pair)."""
    if "profession" in frame:
        return frame["text"].astype(str).tolist()
    return (frame["instruction"].astype(str) + " " + frame[answer].astype(str)).tolist()


def trained_on(frame: pd.DataFrame) -> pd.DataFrame:
    """The augmented rows an arm can train on: survey replies that gave one option (all biographies)."""
    return frame[frame["parsed"].astype(bool)] if "parsed" in frame else frame


def about_culture(frame: pd.DataFrame, culture: str) -> pd.DataFrame:
    """Rows about one culture: its label, or either person of a contrastive prompt (Figure 13's Arabic panels)."""
    from synthloop.studies.inheritance.mix import about

    return frame[[culture in about(row).split("|") for row in frame.to_dict("records")]]


def project(model_dir: str, real: pd.DataFrame, sets: list[pd.DataFrame], params: dict, seed) -> pd.DataFrame:
    """Real texts and each augmentation set's texts (up to params['texts'] each) in one shared PCA space.

    Rows: bias_type ('real' for the real texts), source, the coordinates x, y (and z), and for culture
    the one culture they are about (`params['culture']`).
    """
    from synthloop.lm.models import load_causal_lm

    n = params["texts"]
    sets = [trained_on(frame) for frame in sets]
    if "profession" not in real and params.get("culture"):
        real, sets = about_culture(real, params["culture"]), [about_culture(frame, params["culture"]) for frame in sets]
        if real.empty:
            raise ValueError(f"analysis.embeddings.culture: no real example of culture {params['culture']!r}")
    model, tokenizer = load_causal_lm(model_dir)
    model.eval()
    real = real.sample(n=min(n, len(real)), random_state=stable_seed(seed, "embed-real") % 2**32)
    parts = [real.assign(bias_type=REAL, source=REAL, embedded=embedded_text(real, "response"))]
    parts += [frame.head(n).assign(source="synthetic", embedded=embedded_text(frame.head(n), "text")) for frame in sets]
    columns = ["bias_type", "source", "embedded"] + (["culture"] if "profession" not in real and params.get("culture") else [])
    texts = pd.concat([p.assign(culture=params.get("culture"))[columns] for p in parts], ignore_index=True)
    vectors = embed(model, tokenizer, texts["embedded"].astype(str).tolist(), params["batch_size"], params["max_length"])
    dims = min(params["dims"], len(texts), vectors.shape[1])
    coords = PCA(n_components=dims, random_state=0).fit_transform(vectors)
    for i, axis in enumerate("xyz"[:dims]):
        texts[axis] = coords[:, i]
    return texts


def write_projection(
    model_dir: str, real: pd.DataFrame, sets: list[pd.DataFrame], params: dict, seed, points_path, figure_path
) -> pd.DataFrame:
    """Figure 8 and its points."""
    from synthloop.studies.inheritance.analysis import plot_embeddings

    points = project(model_dir, real, sets, params, seed)
    points.to_parquet(points_path)
    plot_embeddings(points, figure_path)
    return points
