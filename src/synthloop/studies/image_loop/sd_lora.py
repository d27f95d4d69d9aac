"""Stable Diffusion fine-tuned with LoRA: the paper's generator for Hard ImageNet (clusters only).

Each generation loads the pre-trained pipeline afresh (so the generator is "re-initialised" to the
pre-trained weights, as the paper fine-tunes rather than trains from scratch), adds a fresh LoRA
adapter to the UNet's attention projections, trains it on the current training set with the usual
noise-prediction loss on VAE latents and one prompt per class ("a photo of a {name}"), and samples
class-conditionally. Checkpoints hold only the LoRA weights and their optimizer state.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from synthloop.core.seeds import stable_seed
from synthloop.studies.image_loop import checkpoints
from synthloop.studies.image_loop.training import as_tensor

TARGETS = ["to_q", "to_k", "to_v", "to_out.0"]


class LoraWeights:
    """The UNet's LoRA weights, with the state_dict interface the checkpoints expect."""

    def __init__(self, unet):
        self.unet = unet

    def state_dict(self):
        from peft import get_peft_model_state_dict

        return get_peft_model_state_dict(self.unet)

    def load_state_dict(self, state):
        from peft import set_peft_model_state_dict

        set_peft_model_state_dict(self.unet, state)


def load_pipeline(source: str, device: torch.device):
    """A diffusers Stable Diffusion pipeline from a hub id or a local directory, without the safety checker."""
    from diffusers import StableDiffusionPipeline

    pipe = StableDiffusionPipeline.from_pretrained(source, safety_checker=None, requires_safety_checker=False)
    pipe.set_progress_bar_config(disable=True)
    return pipe.to(device)


def prompts(labels, params: dict) -> list[str]:
    names = params["class_names"]
    return [params["prompt"].format(name=names[int(y)] if int(y) < len(names) else f"class {int(y)}") for y in labels]


def _encode_prompts(pipe, texts, device):
    ids = pipe.tokenizer(
        texts, padding="max_length", max_length=pipe.tokenizer.model_max_length, truncation=True, return_tensors="pt"
    ).input_ids
    with torch.no_grad():
        return pipe.text_encoder(ids.to(device))[0]


def train_and_sample(
    images: np.ndarray,
    labels: np.ndarray,
    sample_labels: np.ndarray,
    params: dict,
    seed: int,
    checkpoint_dir,
    stop_after: int | None = None,
    pipe=None,
) -> np.ndarray | None:
    """Fine-tune a fresh LoRA on (images, labels), then sample one image per entry of `sample_labels` (uint8 NHWC).

    `pipe` may be given (tests build a tiny random one); otherwise params['model'] is loaded.
    Returns None when `stop_after` steps of this call ended it early (its checkpoint resumes it, if the
    parameters and inputs are unchanged: checkpoints.run_steps).
    """
    from peft import LoraConfig

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    torch.manual_seed(stable_seed(seed, "sd_lora", "init"))
    pipe = pipe if pipe is not None else load_pipeline(params["model"], device)
    unet, vae = pipe.unet, pipe.vae
    for module in (unet, vae, pipe.text_encoder):
        module.requires_grad_(False)
    unet.add_adapter(LoraConfig(r=params["rank"], lora_alpha=params["alpha"], init_lora_weights="gaussian", target_modules=TARGETS))
    trainable = [p for p in unet.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=params["learning_rate"])
    lora = LoraWeights(unet)
    rng = torch.Generator().manual_seed(stable_seed(seed, "sd_lora", "train"))
    x, texts = as_tensor(images), prompts(labels, params)
    from diffusers import DDPMScheduler

    scheduler = DDPMScheduler.from_config(pipe.scheduler.config)  # the noise schedule of training (as diffusers' LoRA example)

    def one_step(state: dict) -> dict:
        batch = torch.randint(len(x), (params["batch_size"],), generator=rng)
        with torch.no_grad():
            latents = vae.encode(x[batch].to(device)).latent_dist.sample(generator=rng) * vae.config.scaling_factor
        noise = torch.randn(latents.shape, generator=rng).to(device)
        t = torch.randint(scheduler.config.num_train_timesteps, (len(batch),), generator=rng).to(device)
        hidden = _encode_prompts(pipe, [texts[i] for i in batch.tolist()], device)
        optimizer.zero_grad()
        loss = F.mse_loss(unet(scheduler.add_noise(latents, noise, t), t, encoder_hidden_states=hidden).sample, noise)
        loss.backward()
        optimizer.step()
        return {"mse": loss.item()}

    def sample() -> np.ndarray:
        unet.eval()
        size = images.shape[1]
        sample_rng = torch.Generator(device=device).manual_seed(stable_seed(seed, "sd_lora", "sample"))
        out = []
        for start in range(0, len(sample_labels), params["sample_batch_size"]):
            chunk = sample_labels[start : start + params["sample_batch_size"]]
            result = pipe(
                prompts(chunk, params),
                height=size,
                width=size,
                num_inference_steps=params["inference_steps"],
                guidance_scale=params["guidance_scale"],
                generator=sample_rng,
                output_type="np",
            )
            out.append(np.round(np.clip(result.images, 0, 1) * 255).astype(np.uint8))
        return np.concatenate(out)

    unet.train()
    fingerprint = checkpoints.fingerprint(params, seed, images, labels, kind="sd_lora")
    return checkpoints.run_steps(
        checkpoint_dir,
        fingerprint,
        params["steps"],
        one_step,
        sample,
        modules={"lora": lora},
        optimizers={"adamw": optimizer},
        generators={"train": rng},
        what="sd_lora",
        checkpoint_every=params["checkpoint_every"],
        log_every=params["log_every"],
        stop_after=stop_after,
    )
