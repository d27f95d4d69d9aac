"""Data-side mitigations of the augmented examples: the bias token and masking (Li et al., section 6.1).

The third mitigation, the alignment loss, acts during training (alignment.py). Mitigations touch
only augmented examples; the real ones stay as they are.
"""

from __future__ import annotations

import functools
import re
from importlib import resources

import yaml

from synthloop.studies.inheritance.prompts import BIAS_TOKEN, MASK

WORD = r"[^\W\d_]+(?:'[^\W\d_]+)?"  # a word in any script, with an inner apostrophe (isn't)


@functools.cache
def word_lists() -> dict:
    """The packaged lists (resources/mask_words.yaml; the file says where they come from)."""
    return yaml.safe_load(resources.files(__package__).joinpath("resources/mask_words.yaml").read_text(encoding="utf-8"))


def add_token(text: str, token: str = BIAS_TOKEN) -> str:
    """The token-based mitigation: the text after 'The following text may contain biases.'."""
    return f"{token} {text}"


def _keep_case(word: str, replacement: str) -> str:
    if word.isupper() and len(word) > 1:
        return replacement.upper()
    return replacement[:1].upper() + replacement[1:] if word[:1].isupper() else replacement


def mask_terms(text: str, terms, case_sensitive: bool = True) -> str:
    """Every whole-word occurrence of a term (multi-word ones too) becomes [MASK]; longest terms first."""
    terms = sorted({t for t in terms if t}, key=len, reverse=True)
    if not terms:
        return text
    pattern = r"(?<!\w)(?:" + "|".join(re.escape(t) for t in terms) + r")(?!\w)"
    return re.sub(pattern, MASK, text, flags=0 if case_sensitive else re.IGNORECASE)


def plural_verb(word: str, keep) -> str | None:
    """'works' -> 'work', 'teaches' -> 'teach', 'studies' -> 'study'; None when the word is no third-person verb form."""
    lower = word.lower()
    if len(lower) < 3 or not lower.endswith("s") or lower.endswith(("ss", "us")) or lower in keep:
        return None
    if lower.endswith("ies") and len(lower) > 4:
        return word[:-3] + "y"
    if lower.endswith(("ches", "shes", "sses", "xes", "zes", "oes")):
        return word[:-2]
    return word[:-1]


def neutralise(text: str, lists: dict | None = None) -> str:
    """Gendered pronouns and nouns become neutral terms ('she is' -> 'they are', 'her book' -> 'their book')."""
    lists = lists or word_lists()
    neutral, agreement = lists["neutral"], lists["agreement"]
    object_before, keep = set(lists["her_object_before"]), set(lists["agreement_keep"])
    tokens = re.split(f"({WORD})", text)  # odd positions are words
    out, subject = [], False
    for i, token in enumerate(tokens):
        if i % 2 == 0:
            out.append(token)
            subject = subject and token.strip() == ""  # agreement only for the next word
            continue
        lower = token.lower()
        if subject and lower in agreement:
            out.append(_keep_case(token, agreement[lower]))
            subject = False
            continue
        if subject and (verb := plural_verb(token, keep)):
            out.append(verb)
            subject = False
            continue
        subject = lower in ("he", "she")
        if lower == "her":
            following = next((tokens[j] for j in range(i + 1, len(tokens)) if j % 2 == 1), None)
            between = tokens[i + 1] if i + 1 < len(tokens) else ""
            possessive = following is not None and between.strip() == "" and following.lower() not in object_before
            out.append(_keep_case(token, "their" if possessive else "them"))
        elif lower in neutral:
            out.append(_keep_case(token, neutral[lower]))
        else:
            out.append(token)
    return "".join(out)


def mask_text(text: str, names, cultures, lists: dict | None = None) -> str:
    """The mask-based mitigation: names, culture labels and gender labels -> [MASK]; pronouns and nouns -> neutral."""
    lists = lists or word_lists()
    culture_terms = [*cultures, *(t for c in cultures for t in lists["culture_terms"].get(c, []))]
    text = mask_terms(text, names, case_sensitive=True)
    text = mask_terms(text, culture_terms + list(lists["gender_labels"]), case_sensitive=False)
    return neutralise(text, lists)


def mitigate(frame, method: str, names, cultures, columns=("instruction", "response")):
    """Apply a data-side mitigation to the augmented rows (`augmented` == 1) of a training table."""
    if method not in ("token", "mask"):
        return frame
    frame = frame.copy()
    rows = frame["augmented"] == 1
    if method == "token":
        frame.loc[rows, "instruction"] = frame.loc[rows, "instruction"].map(add_token)
    else:
        for column in columns:
            frame.loc[rows, column] = frame.loc[rows, column].map(lambda t: mask_text(t, names, cultures))
    return frame
