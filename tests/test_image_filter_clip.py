"""The CLIP filter scorer (the paper's second expert) on a tiny randomly initialised CLIP saved to disk: no downloads."""

import json

import numpy as np
import pytest
import torch

from synthloop.studies.image_loop import filtering

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def tiny_clip(tmp_path_factory):
    from transformers import CLIPConfig, CLIPImageProcessor, CLIPModel, CLIPProcessor, CLIPTokenizer

    tmp = tmp_path_factory.mktemp("clip")
    letters = "abcdefghijklmnopqrstuvwxyz0123456789"
    vocab = {
        "<|startoftext|>": 0,
        "<|endoftext|>": 1,
        **{c: 2 + i for i, c in enumerate(letters)},
        **{c + "</w>": 40 + i for i, c in enumerate(letters)},
    }
    (tmp / "vocab.json").write_text(json.dumps(vocab))
    (tmp / "merges.txt").write_text("#version: 0.2\n")
    tokenizer = CLIPTokenizer(str(tmp / "vocab.json"), str(tmp / "merges.txt"), model_max_length=64)
    images = CLIPImageProcessor(size={"shortest_edge": 16}, crop_size={"height": 16, "width": 16})
    CLIPProcessor(image_processor=images, tokenizer=tokenizer).save_pretrained(tmp / "clip")
    torch.manual_seed(0)
    config = CLIPConfig(
        text_config={
            "vocab_size": 80,
            "hidden_size": 16,
            "intermediate_size": 32,
            "num_attention_heads": 2,
            "num_hidden_layers": 1,
            "max_position_embeddings": 64,
            "bos_token_id": 0,
            "eos_token_id": 1,
            "pad_token_id": 1,
        },
        vision_config={
            "hidden_size": 16,
            "intermediate_size": 32,
            "num_attention_heads": 2,
            "num_hidden_layers": 1,
            "image_size": 16,
            "patch_size": 8,
        },
        projection_dim=8,
    )
    CLIPModel(config).save_pretrained(tmp / "clip")
    return tmp / "clip"


def test_clip_uncertainty_is_the_entropy_of_its_zero_shot_probabilities(tiny_clip):
    from transformers import CLIPModel, CLIPProcessor

    prompts = filtering.class_prompts(3, ["zero", "one"], "a photo of the number {name}")
    assert prompts == ["a photo of the number zero", "a photo of the number one", "a photo of the number 2"]
    images = np.random.default_rng(0).integers(0, 256, (5, 8, 8, 3), dtype=np.uint8)
    scores = filtering.clip_uncertainty(str(tiny_clip), prompts, batch_size=2)(images)
    # independently: CLIP's logits for all five images at once, softmax, entropy by hand
    model, processor = CLIPModel.from_pretrained(tiny_clip).eval(), CLIPProcessor.from_pretrained(tiny_clip)
    with torch.no_grad():
        p = model(**processor(text=prompts, images=list(images), return_tensors="pt", padding=True)).logits_per_image.softmax(1).numpy()
    assert scores == pytest.approx(-(p * np.log(p)).sum(1), rel=1e-4)
    assert np.all((scores >= 0) & (scores <= np.log(3) + 1e-6))


def test_filter_scorer_follows_the_config(tiny_clip):
    from synthloop.studies.image_loop.steps import filter_scorer

    off = {"enabled": False, "scorer": "classifier"}
    assert filter_scorer(off, None, 3, 0) is None
    clip = {"enabled": True, "scorer": "clip", "clip_model": str(tiny_clip), "class_names": [], "prompt": "{name}", "mc_samples": 1}
    assert filter_scorer(clip, None, 3, 0)(np.zeros((2, 8, 8, 3), dtype=np.uint8)).shape == (2,)


def test_combined_scorer_is_the_mean_of_clip_and_the_mc_dropout_classifier(tiny_clip, tmp_path):
    from synthloop.studies.image_loop import classifiers
    from synthloop.studies.image_loop.steps import filter_scorer, load_classifier, save_classifier

    torch.manual_seed(0)
    net = classifiers.build("mlp", (3, 8, 8), 3, {"dropout": 0.5})
    path = tmp_path / "mlp.safetensors"
    save_classifier(net, {"name": "mlp", "options": {"dropout": 0.5}, "shape": [3, 8, 8], "n_classes": 3}, path)
    spec = {"enabled": True, "scorer": "combined", "clip_model": str(tiny_clip), "class_names": [], "prompt": "{name}", "mc_samples": 10}
    images = np.random.default_rng(1).integers(0, 256, (6, 8, 8, 3), dtype=np.uint8)
    combined = filter_scorer(spec, path, 3, seed=7)(images)
    clip = filtering.clip_uncertainty(str(tiny_clip), filtering.class_prompts(3, [], "{name}"))(images)
    mc = filtering.classifier_uncertainty(load_classifier(path), 10, 7)(images)
    assert combined == pytest.approx((clip + mc) / 2, rel=1e-6)
    # MC dropout: ten passes with dropout on are not the single deterministic pass
    single = filtering.classifier_uncertainty(load_classifier(path), 1, 7)(images)
    assert not np.allclose(mc, single)


def test_the_gpu_presets_filter_with_both_experts_and_mc_dropout():
    import yaml
    from conftest import ROOT

    from synthloop.studies import validate

    for preset in ("zhang2024-self-consuming", "zhang2024-cifar"):
        config = validate(yaml.safe_load((ROOT / "presets" / f"{preset}.yaml").read_text()))
        filt = config["filter"]
        assert (
            filt["scorer"] == "combined" and filt["mc_samples"] > 1 and filt["classifier"] == "torchvision:alexnet"
        )  # dropout in its head
    assert len(config["filter"]["class_names"]) == 20  # CIFAR-20's superclasses, one prompt each
