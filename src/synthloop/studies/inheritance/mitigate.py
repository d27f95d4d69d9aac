"""Data-side mitigations of the augmented examples: the bias token and masking (Li et al., section 6.1, E.1).

The third mitigation, the alignment loss, acts during training (alignment.py). Mitigations touch
only augmented examples; the real ones stay as they are. The mask follows appendix E.1 per bias: in
culture arms culture labels become [MASK]; in gender arms names become [MASK] and gendered words
become neutral ones. Names are the configured lists plus the names the generator invents, found as
capitalised words after a title (Dr., Mrs., Prof., ...) or as the capitalised words that open the
text as its subject ('Emily Chen is ...', 'Meet Emily Chen, ...'); each is then masked wherever it
recurs in that text. Place names that contain a configured name ('Hong Kong') are left alone.
"""

from __future__ import annotations

import functools
import re
from importlib import resources

import yaml

from synthloop.studies.inheritance.prompts import BIAS_TOKEN, MASK

WORD = r"[^\W\d_]+(?:['\u2019][^\W\d_]+)?"  # a word in any script, with an inner straight or curly apostrophe (isn't, she\u2019s)
CAPITALISED = r"[A-Z\u00c0-\u00de][^\W\d_]+"
TITLE = re.compile(r"\b(?:Dr|Mr|Mrs|Ms|Mx|Miss|Prof|Professor|Doctor|Sir|Dame)\.?\s+((?:" + CAPITALISED + r"\s*){1,3})")
SUBJECT = re.compile(
    r"^\W*(?:Meet\s+)?((?:"
    + CAPITALISED
    + r"\s+(?:[A-Z]\.\s+)?){0,2}"
    + CAPITALISED
    + r")(?=\s*(?:,|['\u2019]s\b|\s(?:is|was|has|had|works|worked|grew|began|started|earned|received|holds|became)\b))"
)


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
    contractions, have_before = lists["contractions"], set(lists["contraction_have_before"])
    tokens = re.split(f"({WORD})", text)  # odd positions are words
    out, subject = [], False
    for i, token in enumerate(tokens):
        if i % 2 == 0:
            out.append(token)
            subject = subject and token.strip() == ""  # agreement only for the next word
            continue
        lower = token.lower().replace("\u2019", "'")
        if lower in contractions:
            following = next((tokens[j] for j in range(i + 1, len(tokens)) if j % 2 == 1), "")
            perfect = following.lower() in have_before
            replacement = contractions[lower]["have" if perfect else "be"]
            out.append(_keep_case(token, replacement.replace("'", "\u2019") if "\u2019" in token else replacement))
            subject = False
            continue
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


def invented_names(text: str, lists: dict | None = None) -> set[str]:
    """Names the generator wrote: capitalised words after a title, or opening the text as its subject
    (not words of the stop list, e.g. 'The', 'As', 'Born')."""
    lists = lists or word_lists()
    stop = {w.lower() for w in lists["not_names"]}
    found = [m.group(1) for m in TITLE.finditer(text)]
    opening = SUBJECT.match(text)
    if opening:
        found.append(opening.group(1))
    return {word for group in found for word in group.split() if word.lower() not in stop and not word.endswith(".")}  # initials stay


def mask_gender(text: str, names, lists: dict | None = None) -> str:
    """Gender arms: configured and invented names and gender labels -> [MASK]; pronouns and nouns -> neutral."""
    lists = lists or word_lists()
    protected = {f"\x00{i}\x00": place for i, place in enumerate(lists["places"]) if place in text}
    for key, place in protected.items():
        text = text.replace(place, key)
    text = mask_terms(text, [*names, *invented_names(text, lists)], case_sensitive=True)
    text = mask_terms(text, lists["gender_labels"], case_sensitive=False)
    text = neutralise(text, lists)
    for key, place in protected.items():
        text = text.replace(key, place)
    return text


def mask_culture(text: str, cultures, lists: dict | None = None) -> str:
    """Culture arms: culture labels and the terms that name a culture -> [MASK] (appendix E.1)."""
    lists = lists or word_lists()
    return mask_terms(text, [*cultures, *(t for c in cultures for t in lists["culture_terms"].get(c, []))], case_sensitive=False)


def mask_text(text: str, names, cultures, lists: dict | None = None, bias: str = "gender") -> str:
    """The mask-based mitigation of one augmented text of a gender or a culture arm."""
    return mask_gender(text, names, lists) if bias == "gender" else mask_culture(text, cultures, lists)


def configured_names(slots: dict) -> list[str]:
    return sorted({n for by_gender in slots["names"].values() for names in by_gender.values() for n in names})


def mitigate_text(text: str, method: str, bias: str, slots: dict) -> str:
    """One augmented text under a data-side mitigation ('none' and 'loss' leave it as it is)."""
    if method == "token":
        return add_token(text)
    if method == "mask":
        return mask_text(text, configured_names(slots), slots["cultures"], bias=bias)
    return text
