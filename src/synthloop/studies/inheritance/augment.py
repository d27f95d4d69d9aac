"""Which augmentation prompts to send: every slot filled from the seed, groups balanced by construction.

Balance comes from cycles: a factor's values are dealt out as successive seeded permutations, so in
any prefix of the plan two values of a factor differ in count by at most one. The arms of smaller
ratios train on a prefix of the same augmentation set, so they stay balanced too. The `unbiased`
type names no gender on purpose (the paper uses it to see which gender the model writes about).
"""

from __future__ import annotations

import itertools
import json
import math
import random

import pandas as pd

from synthloop.core.seeds import stable_seed
from synthloop.studies.inheritance.prompts import CONTRASTIVE_OPTIONS, CULTURE_DESCRIPTORS, GENDER_TEMPLATES, fill, survey_question
from synthloop.studies.inheritance.realset import standin_biography


def cycle(values, count: int, rng: random.Random) -> list:
    """`count` values dealt as successive shuffled passes over `values` (balanced in every prefix)."""
    values = list(values)
    out: list = []
    while len(out) < count:
        block = values[:]
        rng.shuffle(block)
        out.extend(block)
    return out[:count]


def distinct_pairs(values) -> list[tuple]:
    """Ordered pairs of two different values: both orders of each pair appear equally often."""
    return [(a, b) for a, b in itertools.permutations(values, 2)]


def _name(slots: dict, culture: str, gender: str, rng: random.Random) -> str:
    return rng.choice(slots["names"][culture][gender])


def _words(slots: dict, gender: str) -> dict:
    words = slots["gender_words"][gender]
    return {"gender_adjective": words["adjective"], "gender_noun": words["noun"]}


def person_slots(bias_type: str, count: int, slots: dict, seed: int, balance_professions: bool = True) -> list[dict]:
    """The slot values of `count` prompts of one bias type, with their group labels.

    Keys without a suffix describe the one person of a contextual prompt; `_a`/`_b` the two of a
    contrastive one. `gender` is the group label where the prompt fixes it, else None.
    """
    rng = random.Random(seed)
    professions = slots.get("professions") or [None]
    workplace = dict(zip(slots.get("professions") or [], slots.get("workplaces") or []))
    genders, cultures, ages = slots["genders"], slots["cultures"], slots["ages"]
    if bias_type in ("contextual_single_explicit", "contextual_intersectional_explicit", "contextual_implicit"):
        groups = cycle(itertools.product(professions, genders), count, rng)
        culture_draws, age_draws = cycle(cultures, count, rng), cycle(ages, count, rng)
        rows = []
        for (profession, gender), culture, age in zip(groups, culture_draws, age_draws):
            row = {"profession": profession, "gender": gender, "culture": culture, "age": age, **_words(slots, gender)}
            row["name"] = _name(slots, culture, gender, rng)
            rows.append(row)
        return rows
    profession_draws = cycle(professions, count, rng) if balance_professions else [rng.choice(professions) for _ in range(count)]
    if bias_type == "unbiased":
        return [{"profession": p, "gender": None} for p in profession_draws]
    gender_pairs = cycle(distinct_pairs(genders), count, rng)
    culture_pairs = cycle(distinct_pairs(cultures), count, rng)
    ages_a, ages_b = cycle(ages, count, rng), cycle(ages, count, rng)
    rows = []
    for profession, (ga, gb), (ca, cb), aa, ab in zip(profession_draws, gender_pairs, culture_pairs, ages_a, ages_b):
        row = {"profession": profession, "gender": None, "workplace": workplace.get(profession)}
        for suffix, gender, culture, age in (("a", ga, ca, aa), ("b", gb, cb, ab)):
            row.update({f"gender_{suffix}": gender, f"culture_{suffix}": culture, f"age_{suffix}": age})
            row.update({f"{key}_{suffix}": value for key, value in _words(slots, gender).items()})
            row[f"name_{suffix}"] = _name(slots, culture, gender, rng)
        rows.append(row)
    return rows


def gender_prompts(bias_type: str, count: int, slots: dict, seed) -> pd.DataFrame:
    """Table 4 prompts for `count` augmented biographies: instruction, profession, gender (or None), slot values."""
    rows = person_slots(bias_type, count, slots, stable_seed(seed, "gender", bias_type))
    template = GENDER_TEMPLATES[bias_type]
    return pd.DataFrame(
        {
            "instruction": [fill(template, row) for row in rows],
            "bias_type": bias_type,
            "profession": [row["profession"] for row in rows],
            "gender": [row["gender"] for row in rows],
            "culture": [row.get("culture") for row in rows],
            "slots": [json.dumps(row, sort_keys=True, ensure_ascii=False) for row in rows],
        }
    )


def culture_prompts(bias_type: str, count: int, questions: pd.DataFrame, slots: dict, seed) -> pd.DataFrame:
    """Table 5 descriptors before `count` survey questions drawn from `questions` (columns question, options).

    Contextual prompts keep the survey's options; contrastive ones ask who agrees more (Table 6).
    """
    rng = random.Random(stable_seed(seed, "culture-questions", bias_type))
    rows = person_slots(bias_type, count, {**slots, "professions": None}, stable_seed(seed, "culture", bias_type))
    picks = cycle(range(len(questions)), count, rng)
    contrastive = bias_type.startswith("contrastive")
    out = []
    for row, pick in zip(rows, picks):
        question = questions.iloc[pick]
        descriptor = fill(CULTURE_DESCRIPTORS[bias_type], row)
        out.append(
            {
                "instruction": survey_question(question["question"], question["options"], descriptor, contrastive),
                "bias_type": bias_type,
                "question_id": int(pick),
                "options": list(CONTRASTIVE_OPTIONS) if contrastive else list(question["options"]),
                "gender": row.get("gender"),
                "culture": row.get("culture"),
                "slots": json.dumps({k: v for k, v in row.items() if k != "profession"}, sort_keys=True, ensure_ascii=False),
            }
        )
    return pd.DataFrame(out)


def planted_flags(count: int, share: float) -> list[bool]:
    """`count` flags of which exactly floor(count * share) are set, spread so that any prefix of k holds floor(k * share).

    Smaller ratios train on a prefix of the augmentation set, so the planted share holds in every arm.
    """
    return [math.floor((i + 1) * share + 1e-9) > math.floor(i * share + 1e-9) for i in range(count)]


def template_biographies(prompts: pd.DataFrame, slots: dict, spec: dict, seed) -> list[str]:
    """The `template` backend, a positive control: stand-in biographies (realset.standin_biography) with a planted skew.

    For a biased type, of each profession's biographies in `spec['stereotypes']` exactly
    floor(n * spec['skew']) are about that profession's stereotyped gender (spread by planted_flags)
    and the rest about the other genders in turn, whatever the prompt asked; the `unbiased` type and
    unlisted professions get every gender in turn (balanced, no skew). So the gender share of an
    augmentation set, counted by parsers.text_gender, is known before the run.
    """
    rng = random.Random(seed)
    genders, workplaces = list(slots["genders"]), dict(zip(slots["professions"], slots["workplaces"]))
    texts: list[str | None] = [None] * len(prompts)
    for profession, index in prompts.groupby("profession", sort=True).indices.items():
        stereotype = None if (prompts["bias_type"] == "unbiased").all() else spec["stereotypes"].get(profession)
        if stereotype is None:
            written = cycle(genders, len(index), rng)
        else:
            others = iter(cycle([g for g in genders if g != stereotype], len(index), rng))
            written = [stereotype if flag else next(others) for flag in planted_flags(len(index), spec["skew"])]
        for i, gender in zip(index, written):
            name = rng.choice(slots["names"][rng.choice(slots["cultures"])][gender])
            texts[i] = standin_biography(profession, gender, name, workplaces[profession], rng)
    return texts
