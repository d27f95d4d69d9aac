"""Downstream evaluation by group (Li et al., section 4.1 and appendix B.1), one arm's model at a time.

Profession classification scores each of the professions as the answer to Table 3's question and
takes the most likely (batched log-likelihoods), or parses a generated reply; hiring, salary and
story replies are generated greedily and parsed (parsers.py). Every task's items come from the
configured seed alone, so all arms of a seed answer the same questions.
"""

from __future__ import annotations

import logging
import random

import numpy as np
import pandas as pd
import torch

from synthloop.core.seeds import stable_seed
from synthloop.lm.prompts import format_prompt
from synthloop.scorers.judge import generate_replies
from synthloop.studies.inheritance.parsers import abc_lexicon, fold, hiring_shares, negative_shares, parse_choice, parse_salary
from synthloop.studies.inheritance.prompts import HIRING_PROMPT, PROFESSION_QUESTION, SALARY_PROMPT, STORY_PROMPT

log = logging.getLogger(__name__)
METRIC_COLUMNS = ["task", "metric", "gender", "culture", "dimension", "value", "n"]


def metric(task: str, name: str, value, n: int, gender=None, culture=None, dimension=None) -> dict:
    return {"task": task, "metric": name, "gender": gender, "culture": culture, "dimension": dimension, "value": float(value), "n": int(n)}


@torch.inference_mode()
def answer_logprobs(model, tokenizer, prompts: list[str], answers: list[str], batch_size: int) -> np.ndarray:
    """log P(answer | prompt), summed over the answer's tokens, for every prompt x answer: shape (prompts, answers).

    Prompt and answer are tokenised apart and joined, so the answer's tokens are exactly its own.
    """
    prompt_ids = tokenizer(prompts, add_special_tokens=False)["input_ids"]
    answer_ids = tokenizer(answers, add_special_tokens=False)["input_ids"]
    pairs = [(i, j) for i in range(len(prompts)) for j in range(len(answers))]
    pairs.sort(key=lambda p: len(prompt_ids[p[0]]) + len(answer_ids[p[1]]))
    out = np.zeros((len(prompts), len(answers)))
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    for start in range(0, len(pairs), batch_size):
        batch = pairs[start : start + batch_size]
        rows = [prompt_ids[i] + answer_ids[j] for i, j in batch]
        width = max(map(len, rows))
        ids = torch.full((len(rows), width), pad, dtype=torch.long)
        attention = torch.zeros_like(ids)
        for r, row in enumerate(rows):
            ids[r, : len(row)] = torch.tensor(row)
            attention[r, : len(row)] = 1
        logits = model(input_ids=ids.to(model.device), attention_mask=attention.to(model.device)).logits.float()
        logprobs = torch.log_softmax(logits[:, :-1], dim=-1)
        for r, (i, j) in enumerate(batch):
            first, n = len(prompt_ids[i]), len(answer_ids[j])
            positions = torch.arange(first - 1, first - 1 + n, device=logprobs.device)
            targets = torch.tensor(answer_ids[j], device=logprobs.device)
            out[i, j] = logprobs[r, positions, targets].sum().item()
    return out


def classify_professions(model, tokenizer, test: pd.DataFrame, professions: list[str], spec: dict) -> pd.DataFrame:
    """Each test biography's predicted profession (None where a generated reply names none or several)."""
    prompts = [format_prompt(PROFESSION_QUESTION.format(biography=text), tokenizer) for text in test["text"]]
    if spec["method"] == "likelihood":
        scores = answer_logprobs(model, tokenizer, prompts, list(professions), spec["batch_size"])
        predicted, replies = [professions[k] for k in scores.argmax(axis=1)], [None] * len(prompts)
    else:
        replies = generate_replies(model, tokenizer, prompts, spec["batch_size"], spec["new_tokens"])
        predicted = [parse_choice(reply, list(professions)) for reply in replies]
    return test.assign(predicted=predicted, reply=replies, correct=[p == t for p, t in zip(predicted, test["profession"])])


def profession_metrics(answers: pd.DataFrame) -> list[dict]:
    rows = [metric("profession", "accuracy", answers["correct"].mean(), len(answers))]
    rows += [metric("profession", "accuracy", part["correct"].mean(), len(part), gender=g) for g, part in answers.groupby("gender")]
    rows.append(metric("profession", "unparsed", answers["predicted"].isna().sum(), len(answers)))
    return rows


def hiring_items(slots: dict, repeats: int, seed) -> pd.DataFrame:
    """Per profession, `repeats` lists of eight candidates (one name per culture x gender, shuffled, distinct when folded)."""
    rng = random.Random(stable_seed(seed, "hiring"))
    rows = []
    for profession in slots["professions"]:
        for repeat in range(repeats):
            candidates, seen = [], set()
            for culture in slots["cultures"]:
                for gender in slots["genders"]:
                    options = [n for n in slots["names"][culture][gender] if fold(n) not in seen]
                    name = rng.choice(options)
                    seen.add(fold(name))
                    candidates.append({"name": name, "culture": culture, "gender": gender})
            rng.shuffle(candidates)
            rows.append({"profession": profession, "repeat": repeat, "candidates": candidates})
    return pd.DataFrame(rows)


def run_hiring(model, tokenizer, items: pd.DataFrame, spec: dict) -> pd.DataFrame:
    """Each list's chosen candidate: the one name a generated reply gives (none or several: invalid), or with
    `method: likelihood` the candidate whose name is the most likely reply (small models rarely name just one)."""
    prompts = [
        format_prompt(HIRING_PROMPT.format(profession=p, candidates=", ".join(c["name"] for c in cands)), tokenizer)
        for p, cands in zip(items["profession"], items["candidates"])
    ]
    if spec.get("method", "generate") == "likelihood":
        names = [[c["name"] for c in cands] for cands in items["candidates"]]
        replies = [
            names[i][int(np.argmax(answer_logprobs(model, tokenizer, [prompt], names[i], spec["batch_size"])[0]))]
            for i, prompt in enumerate(prompts)
        ]
    else:
        replies = generate_replies(model, tokenizer, prompts, spec["batch_size"], spec["new_tokens"])
    chosen = []
    for reply, cands in zip(replies, items["candidates"]):
        name = parse_choice(reply, [c["name"] for c in cands])
        chosen.append(next((c for c in cands if c["name"] == name), {"name": None, "culture": None, "gender": None}))
    return items.assign(
        reply=replies, chosen=[c["name"] for c in chosen], culture=[c["culture"] for c in chosen], gender=[c["gender"] for c in chosen]
    )


def hiring_metrics(answers: pd.DataFrame, slots: dict) -> list[dict]:
    groups = [(c, g) for c in slots["cultures"] for g in slots["genders"]]
    shares, invalid = hiring_shares(answers[["culture", "gender"]], groups)
    rows = [metric("hiring", "share", share, len(answers) - invalid, gender=g, culture=c) for (c, g), share in shares.items()]
    share = invalid / len(answers) if len(answers) else float("nan")
    return [*rows, metric("hiring", "invalid", invalid, len(answers)), metric("hiring", "invalid_share", share, len(answers))]


def run_salary(model, tokenizer, bios: pd.DataFrame, spec: dict) -> pd.DataFrame:
    prompts = [format_prompt(SALARY_PROMPT.format(profession=p, biography=b), tokenizer) for p, b in zip(bios["profession"], bios["text"])]
    replies = generate_replies(model, tokenizer, prompts, spec["batch_size"], spec["new_tokens"])
    return bios.assign(reply=replies, salary=[parse_salary(r) for r in replies])


def salary_metrics(answers: pd.DataFrame) -> list[dict]:
    parsed = answers.dropna(subset=["salary"])
    rows = [metric("salary", "mean", part["salary"].mean(), len(part), gender=g) for g, part in parsed.groupby("gender")]
    means = parsed.groupby("gender")["salary"].mean()
    if {"male", "female"} <= set(means.index):
        rows.append(metric("salary", "gap_male_minus_female", means["male"] - means["female"], len(parsed)))
    return [*rows, metric("salary", "unparsed", len(answers) - len(parsed), len(answers))]


def story_items(slots: dict, names_per_group: int, seed) -> pd.DataFrame:
    rng = random.Random(stable_seed(seed, "story"))
    rows = []
    for culture in slots["cultures"]:
        for gender in slots["genders"]:
            names = slots["names"][culture][gender]
            for name in rng.sample(names, min(names_per_group, len(names))):
                rows.append({"name": name, "culture": culture, "gender": gender})
    return pd.DataFrame(rows)


def run_story(model, tokenizer, items: pd.DataFrame, spec: dict) -> pd.DataFrame:
    prompts = [format_prompt(STORY_PROMPT.format(name=name), tokenizer) for name in items["name"]]
    return items.assign(reply=generate_replies(model, tokenizer, prompts, spec["batch_size"], spec["new_tokens"]))


def story_metrics(answers: pd.DataFrame) -> list[dict]:
    """Negative-adjective share per ABC dimension and in total, per culture (and per culture x gender)."""
    lexicon, rows = abc_lexicon(), []
    for keys, part in [*answers.groupby("culture"), *answers.groupby(["culture", "gender"])]:
        culture, gender = (keys, None) if isinstance(keys, str) else keys
        for dimension, share in negative_shares(part["reply"], lexicon).items():
            rows.append(metric("story", "negative_share", share, len(part), gender=gender, culture=culture, dimension=dimension))
    return rows
