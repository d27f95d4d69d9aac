"""Stable Diffusion + LoRA (the Hard ImageNet generator) at a tiny randomly initialised size: no downloads.

The pipeline is saved to disk and loaded back through the same loading code the cluster preset uses.
"""

import json

import numpy as np
import pytest
import torch

pytestmark = pytest.mark.slow

PARAMS = {
    "class_names": ["dog", "cat"],
    "prompt": "a photo of a {name}",
    "rank": 2,
    "alpha": 2,
    "learning_rate": 1e-3,
    "steps": 3,
    "batch_size": 2,
    "inference_steps": 2,
    "guidance_scale": 2.0,
    "checkpoint_every": 1,
    "log_every": 1,
    "sample_batch_size": 2,
}


def tiny_tokenizer(tmp_path):
    from transformers import CLIPTokenizer

    letters = "abcdefghijklmnopqrstuvwxyz"
    vocab = {
        "<|startoftext|>": 0,
        "<|endoftext|>": 1,
        **{c: 2 + i for i, c in enumerate(letters)},
        **{c + "</w>": 28 + i for i, c in enumerate(letters)},
    }
    (tmp_path / "vocab.json").write_text(json.dumps(vocab))
    (tmp_path / "merges.txt").write_text("#version: 0.2\n")
    return CLIPTokenizer(str(tmp_path / "vocab.json"), str(tmp_path / "merges.txt"), model_max_length=16)


@pytest.fixture(scope="module")
def tiny_pipeline_dir(tmp_path_factory):
    from diffusers import AutoencoderKL, PNDMScheduler, StableDiffusionPipeline, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel

    tmp = tmp_path_factory.mktemp("sd")
    torch.manual_seed(0)
    unet = UNet2DConditionModel(
        block_out_channels=(8, 16),
        layers_per_block=1,
        sample_size=8,
        in_channels=4,
        out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=16,
        norm_num_groups=4,
        attention_head_dim=2,
    )
    vae = AutoencoderKL(
        block_out_channels=(8, 16),
        in_channels=3,
        out_channels=3,
        down_block_types=("DownEncoderBlock2D",) * 2,
        up_block_types=("UpDecoderBlock2D",) * 2,
        latent_channels=4,
        norm_num_groups=4,
        sample_size=16,
    )
    text = CLIPTextModel(
        CLIPTextConfig(
            vocab_size=60,
            hidden_size=16,
            intermediate_size=32,
            num_attention_heads=2,
            num_hidden_layers=1,
            max_position_embeddings=16,
            bos_token_id=0,
            eos_token_id=1,
            pad_token_id=1,
        )
    )
    scheduler = PNDMScheduler(skip_prk_steps=True, num_train_timesteps=50, steps_offset=1)
    pipe = StableDiffusionPipeline(
        vae=vae,
        text_encoder=text,
        tokenizer=tiny_tokenizer(tmp),
        unet=unet,
        scheduler=scheduler,
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )
    pipe.save_pretrained(tmp / "pipe")
    return tmp / "pipe"


def test_lora_trains_resumes_and_samples_by_class(tiny_pipeline_dir, tmp_path):
    from synthloop.studies.image_loop import sd_lora

    rng = np.random.default_rng(0)
    images, labels = rng.integers(0, 256, (4, 16, 16, 3), dtype=np.uint8), np.array([0, 0, 1, 1])
    params = {**PARAMS, "model": str(tiny_pipeline_dir)}
    whole = sd_lora.train_and_sample(images, labels, np.array([0, 1, 1]), params, 0, tmp_path / "a")
    assert whole.shape == (3, 16, 16, 3) and whole.dtype == np.uint8
    # a killed run resumes from its LoRA checkpoint and ends where an uninterrupted one does
    assert sd_lora.train_and_sample(images, labels, np.array([0, 1, 1]), params, 0, tmp_path / "b", stop_after=2) is None
    assert (tmp_path / "b").exists()
    resumed = sd_lora.train_and_sample(images, labels, np.array([0, 1, 1]), params, 0, tmp_path / "b")
    assert np.array_equal(whole, resumed)


def test_only_lora_weights_train(tiny_pipeline_dir):
    from peft import LoraConfig

    from synthloop.studies.image_loop import sd_lora

    pipe = sd_lora.load_pipeline(str(tiny_pipeline_dir), torch.device("cpu"))
    pipe.unet.requires_grad_(False)
    pipe.unet.add_adapter(LoraConfig(r=2, lora_alpha=2, target_modules=sd_lora.TARGETS))
    names = [n for n, p in pipe.unet.named_parameters() if p.requires_grad]
    assert names and all("lora" in n for n in names)
    assert sd_lora.prompts([1, 0, 5], PARAMS) == ["a photo of a cat", "a photo of a dog", "a photo of a class 5"]
