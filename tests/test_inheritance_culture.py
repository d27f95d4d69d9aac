"""Study 3 culture side on small local files: GlobalOpinionQA-style answers per culture, culture tasks' macro-F1."""

import pandas as pd
import pytest
import torch

from synthloop.studies.inheritance.culture import culture_answers, culture_task_metrics, load_opinions, run_culture_task, task_items

ROWS = [
    {
        "question": "Is work important?",
        "options": "['Very', 'Somewhat', 'Not']",
        "selections": "defaultdict(<class 'list'>, {'Egypt': [0.2, 0.7, 0.1], 'Jordan': [0.6, 0.3, 0.1], 'China': [0.1, 0.2, 0.7], 'Brazil': [0.5, 0.4, 0.1]})",
        "source": "WVS",
    },
    {
        "question": "Do you trust the press?",
        "options": "['Yes', 'No']",
        "selections": "{'Spain': [0.3, 0.7], 'China': [0.9, 0.1]}",
        "source": "GAS",
    },
    {"question": "Broken row", "options": "not a list", "selections": "{}", "source": "GAS"},
]
COUNTRIES = {"Arabic": ["Egypt", "Jordan"], "Chinese": ["China"], "Portuguese": ["Brazil", "Portugal"], "Spanish": ["Spain", "Mexico"]}


def test_culture_answer_is_the_option_of_highest_mean_share():
    answers = culture_answers(pd.DataFrame(ROWS), COUNTRIES)
    got = {(r.question, r.culture): r.response for r in answers.itertuples()}
    # Arabic: mean of Egypt and Jordan = (0.4, 0.5, 0.1) -> B
    assert got[("Is work important?", "Arabic")] == "(B) Somewhat"
    assert got[("Is work important?", "Chinese")] == "(C) Not"
    assert got[("Is work important?", "Portuguese")] == "(A) Very"  # Portugal absent: Brazil alone
    assert ("Is work important?", "Spanish") not in got  # no Spanish country answered
    assert got[("Do you trust the press?", "Spanish")] == "(B) No"
    assert len(answers) == 5
    row = answers[(answers["culture"] == "Arabic")].iloc[0]
    assert row["instruction"] == (
        "You are a person influenced by Arabic culture responding to the following question. "
        "Is work important?\n(A) Very\n(B) Somewhat\n(C) Not"
    )


def test_load_opinions_from_a_local_file_with_renamed_columns(tmp_path):
    path = tmp_path / "opinions.csv"
    pd.DataFrame(ROWS).rename(columns={"question": "q"}).to_csv(path, index=False)
    spec = {
        "path": str(path),
        "split": "train",
        "columns": {"question": "q", "options": "options", "selections": "selections"},
        "countries": COUNTRIES,
    }
    assert len(load_opinions(spec)) == 5


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    from synthloop.lm.basemodel import tiny_gpt2, train_tokenizer

    out = tmp_path_factory.mktemp("tiny_culture") / "model"
    tokenizer = train_tokenizer(["Is the following sentence offensive? Answer Yes or No.", "you are stupid", "have a nice day"] * 20, 300)
    tiny_gpt2(tokenizer, {"context": 256, "n_embd": 16, "n_layer": 1, "n_head": 2}, seed=0).save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


def test_culture_task_path_on_a_local_file(tmp_path, tiny):
    from synthloop.lm.models import load_causal_lm

    path = tmp_path / "offensive.csv"
    pd.DataFrame({"sentence": ["you are stupid", "have a nice day", "idiot", "thank you", "go away"], "y": [1, 0, 1, 0, 1]}).to_csv(
        path, index=False
    )
    spec = {
        "name": "offensive",
        "culture": "Arabic",
        "related": "indirect",
        "path": str(path),
        "split": "test",
        "text_column": "sentence",
        "label_column": "y",
        "labels": {"0": "No", "1": "Yes"},
        "prompt": "Is the following sentence offensive? Answer Yes or No.\n{text}",
        "max_items": 4,
    }
    items = task_items(spec, seed=0)
    assert len(items) == 4 and set(items.columns) == {"text", "label"}
    model, tokenizer = load_causal_lm(str(tiny), device=torch.device("cpu"), dtype=torch.float32)
    answers = run_culture_task(model, tokenizer, items, spec, batch_size=8)
    assert set(answers["predicted"]) <= {"0", "1"}
    rows = {r["metric"]: r["value"] for r in culture_task_metrics(answers)}
    from sklearn.metrics import f1_score

    assert rows["macro_f1:offensive"] == pytest.approx(f1_score(answers["label"], answers["predicted"], average="macro", zero_division=0))
    assert rows["macro_f1_indirect"] == rows["macro_f1:offensive"] == rows["macro_f1_all"]


def test_culture_metrics_average_tasks_per_culture_and_relation():
    answers = pd.DataFrame(
        {
            "task": ["a"] * 4 + ["b"] * 4,
            "culture": ["Spanish"] * 8,
            "related": ["direct"] * 4 + ["indirect"] * 4,
            "label": ["1", "0", "1", "0"] * 2,
            "predicted": ["1", "0", "1", "0", "1", "1", "1", "1"],
        }
    )
    rows = {r["metric"]: r["value"] for r in culture_task_metrics(answers)}
    assert rows["macro_f1:a"] == 1.0
    assert rows["macro_f1:b"] == pytest.approx((2 / 3 + 0) / 2)  # class 1: P=0.5 R=1 -> 2/3; class 0: 0
    assert rows["macro_f1_direct"] == 1.0 and rows["macro_f1_all"] == pytest.approx((1.0 + 1 / 3) / 2)


def test_unmapped_task_labels_are_a_config_error(tmp_path):
    from synthloop.core.config import ConfigError

    path = tmp_path / "t.csv"
    pd.DataFrame({"text": ["x", "y"], "label": [0, 2]}).to_csv(path, index=False)
    spec = {"name": "t", "path": str(path), "text_column": "text", "label_column": "label", "labels": {"0": "No", "1": "Yes"}}
    with pytest.raises(ConfigError, match=r"evaluation.culture_tasks.t.labels.*\['2'\]"):
        task_items(spec, seed=0)
