"""The base model shipped with the project (models/sotu-gpt2-small): the one config.yaml names, small, safe to load, and trained as documented."""

import json

import pytest
import torch
import yaml
from conftest import ROOT
from safetensors import safe_open

from synthloop.lm.basemodel import SHIPPED_FILES, ship
from synthloop.lm.models import load_causal_lm

SHIPPED = ROOT / "models" / "sotu-gpt2-small"


def test_config_names_the_shipped_model():
    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    assert (ROOT / config["base_model"]["source"]).resolve() == SHIPPED.resolve()


def test_shipped_files_are_small_and_never_pickles():
    names = sorted(p.name for p in SHIPPED.iterdir())
    assert set(names) <= set(SHIPPED_FILES) | {"train.yaml"}, names
    assert "model.safetensors" in names
    for path in SHIPPED.iterdir():
        assert path.stat().st_size < 8 * 2**20, f"{path.name}: {path.stat().st_size} bytes"  # a clone stays light (weights: 5.3 MB)


def test_shipped_model_matches_its_recipe():
    """Architecture and step count as train.yaml asks: the shipped weights are that rule's output."""
    recipe = yaml.safe_load((SHIPPED / "train.yaml").read_text())["base_model"]["scratch"]
    config = json.loads((SHIPPED / "config.json").read_text())
    assert (config["n_layer"], config["n_embd"], config["n_head"], config["n_positions"]) == (
        recipe["n_layer"],
        recipe["n_embd"],
        recipe["n_head"],
        recipe["context"],
    )
    assert config["vocab_size"] <= recipe["vocab_size"]
    assert json.loads((SHIPPED / "training.json").read_text())["steps"] == recipe["steps"]
    with safe_open(str(SHIPPED / "model.safetensors"), "pt") as weights:
        assert weights.get_tensor("transformer.wte.weight").shape == (config["vocab_size"], recipe["n_embd"])


def test_shipped_model_predicts_sotu_text_better_than_chance():
    """Mean next-token loss on a sentence of its domain well under log(vocab) (an untrained model's), and greedy text without word runs."""
    model, tokenizer = load_causal_lm(str(SHIPPED), device=torch.device("cpu"), dtype=torch.float32)
    ids = tokenizer(
        "The state of our Union is strong, and together we will build a better future for the American people.", return_tensors="pt"
    )["input_ids"]
    with torch.no_grad():
        loss = model(ids, labels=ids).loss.item()
    assert loss < 0.6 * torch.log(torch.tensor(float(len(tokenizer)))).item()
    out = model.generate(
        tokenizer("We must", return_tensors="pt")["input_ids"], max_new_tokens=32, do_sample=False, pad_token_id=tokenizer.eos_token_id
    )
    words = tokenizer.decode(out[0]).lower().split()
    assert not any(len(set(words[i : i + 4])) == 1 for i in range(len(words) - 3)), words


def test_ship_copies_only_safe_files(tmp_path):
    trained = tmp_path / "trained"
    trained.mkdir()
    for name in ("model.safetensors", "config.json", "tokenizer.json", "training_args.bin", "optimizer.pt"):
        (trained / name).write_bytes(b"x")
    copied = ship(trained, tmp_path / "out")
    assert sorted(p.name for p in copied) == ["config.json", "model.safetensors", "tokenizer.json"]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["config.json", "model.safetensors", "tokenizer.json"]


def test_ship_refuses_a_directory_without_weights(tmp_path):
    (tmp_path / "trained").mkdir()
    (tmp_path / "trained" / "config.json").write_text("{}")
    with pytest.raises(FileNotFoundError, match="no model.safetensors"):
        ship(tmp_path / "trained", tmp_path / "out")
