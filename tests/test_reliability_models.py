"""A truncated model.safetensors is named with its directory and how to re-make it."""

import shutil

import pytest

from synthloop.lm.models import check_weights, load_causal_lm


def test_a_truncated_model_names_its_directory_and_the_fix(tiny_lm, tmp_path):
    broken = tmp_path / "g1_model"
    shutil.copytree(tiny_lm, broken)
    weights = broken / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])
    with pytest.raises(OSError, match=r"model directory '.*g1_model': model.safetensors is truncated.*delete .* re-run"):
        load_causal_lm(str(broken))


def test_a_cut_header_is_named_too(tiny_lm, tmp_path):
    broken = tmp_path / "m"
    shutil.copytree(tiny_lm, broken)
    (broken / "model.safetensors").write_bytes((broken / "model.safetensors").read_bytes()[:20])
    with pytest.raises(OSError, match="header is cut off"):
        check_weights(broken)


def test_an_intact_model_passes_and_loads(tiny_lm):
    check_weights(tiny_lm)
    model, _ = load_causal_lm(str(tiny_lm))
    assert model.config.n_layer == 2
