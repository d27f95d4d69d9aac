"""Cultural bias (Li et al., section 4.3): GlobalOpinionQA as real data, culture classification tasks downstream.

GlobalOpinionQA rows hold a question, its options and, per country, the share of respondents who
chose each option. A culture's answer is the option with the highest share averaged over the
culture's configured countries (the paper: "the average of all answers"; the averaged shares are kept
as the culture's human answer distribution), asked after the role
prompt "You are a person influenced by [culture] culture ..." (appendix B.5). The culture
classification tasks (16 test sets in the paper, its 17 with BiasinBios; full preset only) are scored by macro-F1:
each text's label is the label word the model finds most likely after the task's prompt.
"""

from __future__ import annotations

import ast
import re

import numpy as np
import pandas as pd
from sklearn.metrics import f1_score

from synthloop.core.config import ConfigError
from synthloop.core.seeds import stable_seed
from synthloop.lm.prompts import format_prompt
from synthloop.studies.inheritance.evaluate import answer_logprobs, metric
from synthloop.studies.inheritance.prompts import CULTURE_ROLE, fill, survey_question
from synthloop.studies.inheritance.realset import read_table, require_columns

SELECTIONS = re.compile(r"\{.*\}", re.S)


def literal(value):
    """A Python literal stored as text (the dataset's selections are `defaultdict(<class 'list'>, {...})`); None if unreadable."""
    if not isinstance(value, str):
        return value
    found = SELECTIONS.search(value) if value.lstrip().startswith("defaultdict") else None
    try:
        return ast.literal_eval(found.group(0) if found else value)
    except (ValueError, SyntaxError):
        return None


def culture_answers(frame: pd.DataFrame, countries: dict[str, list[str]]) -> pd.DataFrame:
    """One row per question x culture with any of its countries: the real, role-prompted example."""
    rows = []
    for index, row in frame.iterrows():
        options, selections = literal(row["options"]), literal(row["selections"])
        if not options or not isinstance(selections, dict):
            continue
        for culture, names in countries.items():
            shares = [selections[c] for c in names if c in selections and len(selections[c]) == len(options)]
            if not shares:
                continue
            mean = np.mean(np.asarray(shares, dtype=float), axis=0)
            best = int(np.argmax(mean))
            rows.append(
                {
                    "question_id": int(index),
                    "question": row["question"],
                    "options": list(options),
                    "culture": culture,
                    "instruction": survey_question(row["question"], options, fill(CULTURE_ROLE, {"culture": culture})),
                    "response": f"({chr(65 + best)}) {options[best]}",
                    "human_shares": (mean / mean.sum() if mean.sum() > 0 else mean).tolist(),  # Figure 7a's human answers
                }
            )
    return pd.DataFrame(rows)


def survey_questions(real: pd.DataFrame) -> pd.DataFrame:
    """The distinct survey questions of the real set, in order: an augmented row's `question_id` indexes this table."""
    return real.drop_duplicates("question_id")[["question_id", "question", "options"]].reset_index(drop=True)


def load_opinions(spec: dict, key: str = "data.culture") -> pd.DataFrame:
    frame = read_table(spec["path"], spec["split"])
    require_columns(frame.columns, spec["columns"], key)
    frame = frame.rename(columns={column: role for role, column in spec["columns"].items()})
    answers = culture_answers(frame, spec["countries"])
    if answers.empty:
        raise ConfigError(f"config key '{key}.countries': no question has answers from any configured country")
    return answers


def task_items(spec: dict, seed) -> pd.DataFrame:
    """A culture task's test texts and gold labels (at most `max_items`, seeded)."""
    frame = read_table(spec["path"], spec.get("split", "test"))
    require_columns(frame.columns, {"text": spec["text_column"], "label": spec["label_column"]}, f"evaluation.culture_tasks.{spec['name']}")
    frame = frame.rename(columns={spec["text_column"]: "text", spec["label_column"]: "label"})[["text", "label"]]
    frame["label"] = frame["label"].astype(str)
    unknown = sorted(set(frame["label"]) - set(map(str, spec["labels"])))
    if unknown:
        raise ConfigError(f"config key 'evaluation.culture_tasks.{spec['name']}.labels': the data has labels {unknown} it does not map")
    if spec.get("max_items") and len(frame) > spec["max_items"]:
        frame = frame.sample(n=spec["max_items"], random_state=stable_seed(seed, spec["name"]) % 2**32)
    return frame.reset_index(drop=True)


def run_culture_task(model, tokenizer, items: pd.DataFrame, spec: dict, batch_size: int) -> pd.DataFrame:
    """Each text's predicted label: the label word of highest likelihood after the task's prompt."""
    labels = {str(k): v for k, v in spec["labels"].items()}
    prompts = [format_prompt(spec["prompt"].format(text=text), tokenizer) for text in items["text"]]
    scores = answer_logprobs(model, tokenizer, prompts, list(labels.values()), batch_size)
    keys = list(labels)
    return items.assign(
        task=spec["name"], culture=spec["culture"], related=spec["related"], predicted=[keys[k] for k in scores.argmax(axis=1)]
    )


def culture_task_metrics(answers: pd.DataFrame) -> list[dict]:
    """Macro-F1 per task, and its mean per culture over all, bias directly- and indirectly-related tasks."""
    per_task = {
        (task, part["culture"].iloc[0], part["related"].iloc[0]): f1_score(
            part["label"], part["predicted"], average="macro", zero_division=0
        )
        for task, part in answers.groupby("task")
    }
    rows = [
        metric("culture_tasks", f"macro_f1:{task}", f1, (answers["task"] == task).sum(), culture=c) for (task, c, _), f1 in per_task.items()
    ]
    for culture in sorted({c for _, c, _ in per_task}):
        for related in ("all", "direct", "indirect"):
            values = [f1 for (_, c, r), f1 in per_task.items() if c == culture and related in ("all", r)]
            if values:
                rows.append(metric("culture_tasks", f"macro_f1_{related}", np.mean(values), len(values), culture=culture))
    return rows
