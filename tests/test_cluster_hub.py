"""Hub models on clusters: cached ids load offline, pins reach the loaders and the manifest, adapters' bases survive a move.

The hub cache here is a temp folder in huggingface_hub's layout (models--owner--name/refs/<ref> holding a
commit, snapshots/<commit>/ holding the files), written by hand, so nothing is downloaded.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, study_path

from synthloop.core.hub import ModelRef, cached_commit, hub_sources, pinned, split_pin
from synthloop.core.provenance import manifest
from synthloop.lm.models import adapter_base
from synthloop.studies import validate
from synthloop.studies.text_loop.plan import Plan

MAIN, TAGGED = "a" * 40, "b" * 40
PRESET = ROOT / "presets" / "kovac2025-recursive-loops.yaml"


def save_tiny_lm(directory: Path, n_layer: int) -> None:
    """A random 1- or 2-layer GPT-2 with a word-level tokenizer: enough for from_pretrained, made in a second."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast

    vocab = {w: i for i, w in enumerate(["<unk>", "<eos>", "the", "cat", "sat"])}
    raw = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    raw.pre_tokenizer = pre_tokenizers.Whitespace()
    PreTrainedTokenizerFast(tokenizer_object=raw, unk_token="<unk>", eos_token="<eos>").save_pretrained(directory)
    GPT2LMHeadModel(GPT2Config(vocab_size=5, n_positions=16, n_embd=8, n_layer=n_layer, n_head=2)).save_pretrained(directory)


def fake_cache(root: Path, repo: str, refs: dict[str, str], repo_type: str = "models") -> Path:
    folder = root / f"{repo_type}--{repo.replace('/', '--')}"
    for ref, commit in refs.items():
        (folder / "refs").mkdir(parents=True, exist_ok=True)
        (folder / "refs" / ref).write_text(commit)
        (folder / "snapshots" / commit).mkdir(parents=True, exist_ok=True)
    return folder


def test_cached_commit_resolves_branches_tags_and_commits(tmp_path):
    fake_cache(tmp_path, "org/model", {"main": MAIN, "v2": TAGGED})
    fake_cache(tmp_path, "org/data", {"main": TAGGED}, repo_type="datasets")
    assert cached_commit("org/model", cache_dir=tmp_path) == MAIN
    assert cached_commit("org/model", revision="v2", cache_dir=tmp_path) == TAGGED
    assert cached_commit("org/model", revision=TAGGED, cache_dir=tmp_path) == TAGGED  # a commit that is cached
    assert cached_commit("org/model", revision="v3", cache_dir=tmp_path) is None
    assert cached_commit("org/data", "dataset", cache_dir=tmp_path) == TAGGED
    assert cached_commit("org/data", cache_dir=tmp_path) is None  # no model of that name
    assert cached_commit("org/other", cache_dir=tmp_path) is None


def test_pins_split_and_join_only_for_hub_ids(tmp_path):
    assert pinned("org/model", "v2") == "org/model@v2" and split_pin("org/model@v2") == ("org/model", "v2")
    assert pinned("org/model", None) == "org/model" and split_pin("org/model") == ("org/model", None)
    assert pinned("scratch", "v2") == "scratch"
    local = tmp_path / "a@b"
    local.mkdir()
    assert split_pin(str(local)) == (str(local), None)


def test_a_model_reference_is_built_from_a_pin_a_config_entry_or_another_reference(tmp_path):
    assert ModelRef.of("org/model@v2") == ModelRef("org/model", "v2")
    entry = {"source": "org/model", "revision": "abc", "gguf_file": "m.Q8_0.gguf", "trust_remote_code": True}
    ref = ModelRef.of(entry)
    assert ref == ModelRef("org/model", "abc", "m.Q8_0.gguf", True) and ref.pinned == "org/model@abc"
    assert ModelRef.of(ref) is ref and ModelRef.of({"tokenizer": "org/tok@v1"}, source_key="tokenizer").revision == "v1"
    local = tmp_path / "a@b"
    local.mkdir()
    assert ModelRef.of(str(local)) == ModelRef(str(local))


@pytest.mark.parametrize("trust", [True, False])
def test_a_reference_without_its_own_flag_follows_the_study(trust, monkeypatch):
    from synthloop.core import jobs

    monkeypatch.setenv(jobs.TRUST_ENV, "1" if trust else "0")
    assert ModelRef("org/model").trusted() is trust
    assert ModelRef("org/model", trust_remote_code=False).trusted() is False


def loader_calls(monkeypatch) -> list:
    """Stand-in from_pretrained for the causal LM and tokenizer classes: record what each was given."""
    import transformers

    calls = []

    def record(cls):
        def load(source, **kwargs):
            calls.append((cls, source, kwargs.get("revision"), kwargs.get("gguf_file"), kwargs.get("trust_remote_code")))
            return type(
                "Loaded",
                (),
                {
                    "to": lambda self, device: self,
                    "pad_token": "<pad>",
                    "eos_token": "<eos>",
                    "__call__": lambda self, texts, **k: {"input_ids": [[1] * len(t.split()) for t in texts]},
                },
            )()

        return load

    monkeypatch.setattr(transformers.AutoModelForCausalLM, "from_pretrained", record("model"))
    monkeypatch.setattr(transformers.AutoTokenizer, "from_pretrained", record("tokenizer"))
    return calls


def load_judge(spec):
    from synthloop.lm.models import load_causal_lm
    from synthloop.scorers.judge import resolve_judge_model

    load_causal_lm(resolve_judge_model(spec))


def count_tokens(spec):
    from synthloop.scorers.text_metrics import score_text_length

    score_text_length(["one two"], {"tokenizer": spec["model"], **{k: v for k, v in spec.items() if k != "model"}}, {})


def load_model(spec):
    from synthloop.lm.models import load_causal_lm

    load_causal_lm(ModelRef.of(spec, source_key="model"))


@pytest.mark.parametrize("entry", [load_model, load_judge, count_tokens])
def test_revision_gguf_file_and_trust_reach_every_loader_together(entry, monkeypatch):
    """Whatever names a model (a study's model, a judge, a tokenizer for token counts), the loader gets all four."""
    calls = loader_calls(monkeypatch)
    entry({"model": "org/model", "revision": "v7", "gguf_file": "m.gguf", "trust_remote_code": True})
    assert calls and {call[1:] for call in calls} == {("org/model", "v7", "m.gguf", True)}


def full_preset(edit=None) -> dict:
    config = yaml.safe_load(PRESET.read_text())
    if edit:
        edit(config)
    return validate(config)


def test_every_hub_source_of_the_full_study2_preset_is_listed_with_its_revision():
    def pin(config):
        config["chains"]["base_models"][1] = {"source": "Qwen/Qwen2.5-1.5B", "revision": "v1"}
        config["embedders"]["stella"]["revision"] = "e" * 40
        config["datasets"]["news"]["revision"] = "refs/convert/parquet"

    found = {s["key"]: (s["repo"], s["type"], s["revision"]) for s in hub_sources(full_preset(pin))}
    assert found == {
        "datasets.twitter.path": ("cardiffnlp/tweet_eval", "dataset", None),
        "datasets.news.path": ("fancyzhx/ag_news", "dataset", "refs/convert/parquet"),
        "datasets.reviews.path": ("stanfordnlp/imdb", "dataset", None),
        "chains.base_models[0]": ("meta-llama/Llama-3.2-1B", "model", None),
        "chains.base_models[1]": ("Qwen/Qwen2.5-1.5B", "model", "v1"),
        "chains.base_models[2]": ("HuggingFaceTB/SmolLM-1.7B", "model", None),
        "chains.base_models[3]": ("tiiuae/Falcon3-1B-Base", "model", None),
        "base_model.source": ("meta-llama/Llama-3.2-1B", "model", None),
        "embedders.stella.model": ("dunzhang/stella_en_1.5B_v5", "model", "e" * 40),
    }  # the judge is served (backend openai): its model name is the server's, not a hub download


def test_manifest_records_the_cached_commit_of_each_hub_source(tmp_path):
    config = full_preset(lambda c: c["base_model"].update(revision="v2"))
    fake_cache(tmp_path, "meta-llama/Llama-3.2-1B", {"main": MAIN, "v2": TAGGED})
    fake_cache(tmp_path, "cardiffnlp/tweet_eval", {"main": MAIN}, repo_type="datasets")
    hub = {s["key"]: s for s in manifest(config, ROOT, tmp_path / "none", hub_cache_dir=tmp_path)["hub"]}
    assert hub["base_model.source"]["commit"] == TAGGED  # pinned to v2
    assert hub["chains.base_models[0]"]["commit"] == MAIN  # the same model unpinned: main
    assert hub["datasets.twitter.path"]["commit"] == MAIN
    assert hub["datasets.news.path"]["commit"] is None and hub["embedders.stella.model"]["commit"] is None  # not cached here


def test_plan_carries_pins_to_the_fine_tunes_and_the_perplexity_model():
    def pin(config):
        config["chains"]["base_models"] = [{"source": "org/base", "revision": "v7"}]
        config["base_model"] = {"source": "org/reference", "revision": "r1"}
        config["scorers"] = {"ppl": {"kind": "perplexity"}, "other": {"kind": "perplexity", "model": "org/judge", "revision": "j1"}}
        config["regression"] = {"predictors": ["length_chars"]}

    config = full_preset(pin)
    plan = Plan(config, study_path("text_loop", "x"), "results/x")
    chain = next(iter(plan.chains))
    assert plan.init_model(chain, 3) == "org/base@v7"
    assert plan.scorer_assets(config["scorers"]["ppl"], "twitter") == {"causal_lm": "org/reference@r1"}
    assert plan.scorer_assets(config["scorers"]["other"], "twitter") == {"causal_lm": "org/judge@j1"}
    assert plan.finetune_inputs(chain, 3)["init"] == []  # a hub id is no file input


def test_embedder_revision_reaches_sentence_transformers(monkeypatch):
    import sentence_transformers

    from synthloop.scorers import embeddings

    seen = {}

    class Spy:
        def __init__(self, name, **kwargs):
            seen.update(name=name, **kwargs)
            raise RuntimeError("stop here")

    monkeypatch.setattr(sentence_transformers, "SentenceTransformer", Spy)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # a hub id is no longer refused before the cache is tried
    with pytest.raises(RuntimeError, match="stop here"):
        embeddings.load_embedder({"model": "org/embedder", "revision": "v3", "device": "cpu"})
    assert seen["name"] == "org/embedder" and seen["revision"] == "v3"


OFFLINE_SCRIPT = """
import sys
from synthloop.lm.models import load_causal_lm
for source in sys.argv[1:]:
    try:
        model, tokenizer = load_causal_lm(source)
        print(source, "layers", model.config.n_layer, tokenizer.eos_token)
    except OSError as error:
        print(source, "error", str(error).replace(chr(10), " "))
"""


def test_offline_loads_cached_hub_ids_at_their_revision_and_names_missing_ones(tmp_path):
    """HF_HUB_OFFLINE=1 and HF_HOME at a fake cache holding org/tiny at main (1 layer) and tag v2 (2 layers).
    A subprocess, since huggingface_hub reads HF_HOME and HF_HUB_OFFLINE when it is imported."""
    folder = fake_cache(tmp_path / "hub", "org/tiny", {"main": MAIN, "v2": TAGGED})
    save_tiny_lm(folder / "snapshots" / MAIN, n_layer=1)
    save_tiny_lm(folder / "snapshots" / TAGGED, n_layer=2)
    env = {**os.environ, "HF_HOME": str(tmp_path), "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT / "src")}
    env.pop("HF_HUB_CACHE", None)
    out = subprocess.run(
        [sys.executable, "-c", OFFLINE_SCRIPT, "org/tiny", "org/tiny@v2", f"org/tiny@{MAIN}", "org/absent@v9"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    lines = dict(line.split(" ", 1) for line in out.stdout.splitlines())
    assert lines["org/tiny"] == "layers 1 <eos>", out.stderr[-2000:]
    assert lines["org/tiny@v2"] == "layers 2 <eos>"
    assert lines[f"org/tiny@{MAIN}"] == "layers 1 <eos>"
    missing = lines["org/absent@v9"]
    assert "model 'org/absent' at revision 'v9' could not be loaded (HF_HUB_OFFLINE=1" in missing
    assert "`hf download org/absent --revision v9`" in missing


def test_adapter_base_is_found_from_a_moved_results_tree(tmp_path, monkeypatch):
    """fine_tune records the workflow's path (results/<study>/...); the tree moves; the base is found above the adapter."""
    moved = tmp_path / "elsewhere" / "project"
    base = moved / "results" / "s" / "chains" / "c" / "g0" / "model"
    adapter = moved / "results" / "s" / "chains" / "c" / "g1" / "model"
    base.mkdir(parents=True)
    adapter.mkdir(parents=True)
    (adapter / "adapter_config.json").write_text(json.dumps({"base_model_name_or_path": "results/s/chains/c/g0/model"}))
    monkeypatch.chdir(tmp_path)  # not the project folder: the recorded path does not exist from here
    assert adapter_base(adapter) == str(base.resolve())
    (adapter / "adapter_config.json").write_text(json.dumps({"base_model_name_or_path": "org/base@v7"}))
    assert adapter_base(adapter) == "org/base@v7"  # a hub id (pinned) stays as recorded


def test_hub_sources_of_other_study_kinds():
    """Study 3 names its model under model.source and a hub data set by path alone; a .csv path is a local file."""
    config = validate(yaml.safe_load((ROOT / "presets" / "li2025-bias-inheritance.yaml").read_text()))
    assert [(s["key"], s["repo"], s["type"]) for s in hub_sources(config)] == [
        ("model.source", "meta-llama/Llama-3.1-8B-Instruct", "model"),
        ("scaling.generators.qwen7b.model.source", "Qwen/Qwen2.5-7B-Instruct", "model"),
        ("data.gender.path", "LabHC/bias_in_bios", "dataset"),
        ("data.culture.path", "Anthropic/llm_global_opinions", "dataset"),
    ]
