"""The model-side steps, each a job: model conversion, real data, augmentation, fine-tuning, evaluation (composition: mix.py)."""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from synthloop.core.seeds import stable_seed
from synthloop.lm.batches import Prompt
from synthloop.lm.generation import hf_continuations, load_generator
from synthloop.lm.prompts import format_example, format_prompt
from synthloop.scorers.judge import chat_completion, resolve_judge_model
from synthloop.studies.inheritance import evaluate as ev
from synthloop.studies.inheritance.augment import culture_prompts, gender_prompts
from synthloop.studies.inheritance.parsers import text_gender

log = logging.getLogger(__name__)


# -- models ----------------------------------------------------------------------------------------


def convert_model(spec: dict, out_dir, trust_remote_code: bool = False) -> None:
    """A GGUF model as a plain safetensors directory (loading it afterwards takes 0.1 s instead of ~21 s).

    A model loaded from GGUF refuses save_pretrained, so a plain model is built from its config
    and given its state dict.
    """
    import torch
    from transformers import AutoModelForCausalLM

    from synthloop.lm.models import load_causal_lm

    source, gguf_file = resolve_judge_model({"model": spec["source"], "gguf_file": spec["gguf_file"]})
    model, tokenizer = load_causal_lm(source, trust_remote_code, gguf_file, device=torch.device("cpu"), dtype=torch.float32)
    settings = model.config.to_dict()
    settings.pop("quantization_config", None)  # the GGUF quantisation does not carry over: the weights are dequantised
    plain = AutoModelForCausalLM.from_config(type(model.config).from_dict(settings), dtype=torch.float32, trust_remote_code=trust_remote_code)
    missing, unexpected = plain.load_state_dict(model.state_dict(), strict=False)
    if unexpected or [k for k in missing if "lm_head" not in k]:
        raise RuntimeError(f"converting {source}: missing weights {missing}, unexpected {unexpected}")
    plain.tie_weights()
    probe = tokenizer("Write a 100 words biography of a nurse.", return_tensors="pt")["input_ids"]
    with torch.no_grad():
        if not torch.allclose(model(probe).logits, plain(probe).logits, atol=1e-4):
            raise RuntimeError(f"converting {source}: the plain model's logits differ from the GGUF model's")
    plain.save_pretrained(out_dir, safe_serialization=True)
    tokenizer.save_pretrained(out_dir)


# -- augmentation ----------------------------------------------------------------------------------


def augmentation_prompts(entry: dict, slots: dict, seed, real: pd.DataFrame | None = None) -> pd.DataFrame:
    if entry["bias"] == "gender":
        return gender_prompts(entry["bias_type"], entry["count"], slots, seed)
    questions = real.drop_duplicates("question_id")[["question", "options"]].reset_index(drop=True)
    return culture_prompts(entry["bias_type"], entry["count"], questions, slots, seed)


def write_replies(source: str, instructions: list[str], params: dict, backend: str, seed: int) -> list[str]:
    """One reply per instruction: transformers or vLLM on a local model, or an OpenAI-compatible endpoint."""
    if backend == "openai":
        endpoint = {**params["endpoint"], "max_new_tokens": params["new_tokens"]}
        return [chat_completion(instruction, endpoint) for instruction in instructions]
    generate = {"new_tokens": params["new_tokens"], "batch_size": params["batch_size"], "do_sample": params["do_sample"],
                "temperature": params["temperature"], "min_p": params["min_p"], "backend": backend}
    model, tokenizer, continuations = load_generator(source, generate, seed)
    prompts = [Prompt(i, tuple(tokenizer(format_prompt(text, tokenizer), add_special_tokens=False)["input_ids"])) for i, text in enumerate(instructions)]
    if continuations is hf_continuations:
        tokenizer.padding_side = "left"
    return [tokenizer.decode(ids, skip_special_tokens=True).strip() for ids in continuations(model, tokenizer, prompts, generate, seed)]


def augment(source: str, entry: dict, slots: dict, params: dict, backend: str, seed, real: pd.DataFrame | None = None) -> pd.DataFrame:
    """The augmentation set: the prompts, the model's replies (`text`) and, for biographies, the gender they are about."""
    prompts = augmentation_prompts(entry, slots, stable_seed(seed, "round", entry["round"]), real)
    texts = write_replies(source, prompts["instruction"].tolist(), params, backend, stable_seed(seed, "write", entry["bias_type"], entry["round"]))
    frame = prompts.assign(text=texts, round=entry["round"])
    if entry["bias"] == "gender":
        frame["text_gender"] = [text_gender(t) for t in texts]
        frame["gender"] = frame["gender"].where(frame["gender"].notna(), frame["text_gender"])
    return frame


# -- composition and fine-tuning -----------------------------------------------------------------


def finetune(train: pd.DataFrame, init: str, out_dir, params: dict, seed: int, mitigation: str, loss_weight: float,
             trust_remote_code: bool = False) -> dict:
    """LoRA (or full) fine-tuning on the arm's examples; the loss mitigation swaps in the alignment Trainer."""
    from synthloop.lm.models import load_causal_lm
    from synthloop.lm.training import fine_tune

    model, tokenizer = load_causal_lm(init, trust_remote_code)
    texts = [format_example(i, r, tokenizer) for i, r in zip(train["instruction"], train["response"])]
    options = {}
    if mitigation == "loss":
        from synthloop.studies.inheritance.alignment import COLUMN, weighted

        options = {"trainer_class": weighted(loss_weight), "columns": {COLUMN: train["augmented"].astype(int).tolist()}}
    return fine_tune(model, tokenizer, texts, out_dir, params, seed, init_source=init, **options)


# -- evaluation ------------------------------------------------------------------------------------


def evaluate(model_dir: str, tasks: list[str], test: pd.DataFrame | None, evaluation: dict, slots: dict, seed) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every configured task on one model: tidy metric rows and the raw replies."""
    from synthloop.lm.models import load_causal_lm
    from synthloop.studies.inheritance import culture

    model, tokenizer = load_causal_lm(model_dir)
    model.eval()
    batch = evaluation["batch_size"]
    metrics, replies = [], []
    if "profession" in tasks:
        answers = ev.classify_professions(model, tokenizer, test[test["task"] == "profession"], slots["professions"], {**evaluation["profession"], "batch_size": batch})
        metrics += ev.profession_metrics(answers)
        replies.append(answers.assign(task="profession"))
    if "hiring" in tasks:
        answers = ev.run_hiring(model, tokenizer, ev.hiring_items(slots, evaluation["hiring"]["repeats"], seed), {**evaluation["hiring"], "batch_size": batch})
        metrics += ev.hiring_metrics(answers, slots)
        replies.append(answers.assign(task="hiring", candidates=answers["candidates"].map(lambda c: ", ".join(x["name"] for x in c))))
    if "salary" in tasks:
        answers = ev.run_salary(model, tokenizer, test[test["task"] == "salary"], {**evaluation["salary"], "batch_size": batch})
        metrics += ev.salary_metrics(answers)
        replies.append(answers)
    if "story" in tasks:
        answers = ev.run_story(model, tokenizer, ev.story_items(slots, evaluation["story"]["names_per_group"], seed), {**evaluation["story"], "batch_size": batch})
        metrics += ev.story_metrics(answers)
        replies.append(answers.assign(task="story"))
    if "culture_tasks" in tasks:
        answers = pd.concat([culture.run_culture_task(model, tokenizer, culture.task_items(spec, seed), spec, batch) for spec in evaluation["culture_tasks"]])
        metrics += culture.culture_task_metrics(answers)
        replies.append(answers)
    table = pd.DataFrame(metrics, columns=ev.METRIC_COLUMNS)
    return table, pd.concat(replies, ignore_index=True).astype({"reply": "string"}) if replies else pd.DataFrame()


def save_replies(replies: pd.DataFrame, path) -> None:
    """Replies hold mixed-type columns (per task); stored as text so one parquet holds them all."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    replies.astype({c: "string" for c in replies.columns if replies[c].dtype == object}).to_parquet(path)
