"""The model-side steps, each a job: model conversion, real data, augmentation, fine-tuning, evaluation (composition: mix.py)."""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path

import pandas as pd

from synthloop.core.seeds import stable_seed
from synthloop.lm.batches import Prompt
from synthloop.lm.generation import hf_continuations, load_generator
from synthloop.lm.prompts import format_example, format_prompt
from synthloop.scorers.judge import chat_completion, resolve_judge_model
from synthloop.studies.inheritance import evaluate as ev
from synthloop.studies.inheritance.augment import culture_prompts, gender_prompts, template_biographies
from synthloop.studies.inheritance.culture import survey_questions
from synthloop.studies.inheritance.parsers import parse_option, strip_preamble, text_gender

log = logging.getLogger(__name__)


# -- models ----------------------------------------------------------------------------------------


def convert_model(spec: dict, out_dir) -> None:
    """A GGUF model as a plain safetensors directory (loading it afterwards takes 0.1 s instead of ~21 s).

    A model loaded from GGUF refuses save_pretrained, so a plain model is built from its config
    and given its state dict.
    """
    import torch
    from transformers import AutoModelForCausalLM

    from synthloop.lm.models import load_causal_lm

    ref = resolve_judge_model({"model": spec["source"], "gguf_file": spec["gguf_file"]})
    source = ref.source
    model, tokenizer = load_causal_lm(ref, device=torch.device("cpu"), dtype=torch.float32)
    settings = model.config.to_dict()
    settings.pop("quantization_config", None)  # the GGUF quantisation does not carry over: the weights are dequantised
    plain = AutoModelForCausalLM.from_config(type(model.config).from_dict(settings), dtype=torch.float32, trust_remote_code=ref.trusted())
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
    questions = survey_questions(real)[["question", "options"]]
    return culture_prompts(entry["bias_type"], entry["count"], questions, slots, seed)


def openai_reply(instruction: str, params: dict, seed: int) -> str:
    """One chat completion from an OpenAI-compatible endpoint at the configured temperature, with a seed."""
    temperature = params["temperature"] if params["do_sample"] else 0.0
    return chat_completion(instruction, params["endpoint"], temperature=temperature, max_tokens=params["new_tokens"], seed=seed)


def write_replies(source: str, instructions: list[str], params: dict, backend: str, seed: int) -> list[str]:
    """One reply per instruction: transformers or vLLM on a local model, or an OpenAI-compatible endpoint
    (each request seeded from the job's seed and its position)."""
    if backend == "openai":
        from concurrent.futures import ThreadPoolExecutor

        seeds = [stable_seed(seed, "request", i) for i in range(len(instructions))]
        with ThreadPoolExecutor(max_workers=params["endpoint"]["concurrency"]) as pool:
            return list(pool.map(openai_reply, instructions, [params] * len(instructions), seeds))
    generate = {
        "new_tokens": params["new_tokens"],
        "batch_size": params["batch_size"],
        "do_sample": params["do_sample"],
        "temperature": params["temperature"],
        "min_p": params["min_p"],
        "backend": backend,
    }
    if backend == "hf" and is_adapter(source):  # a later round's generator: the previous round's adapter, merged in fp32
        model, tokenizer = load_exact(source)
        model, continuations = model.eval(), hf_continuations
    else:
        model, tokenizer, continuations = load_generator(source, generate, seed)
    prompts = [
        Prompt(i, tuple(tokenizer(format_prompt(text, tokenizer), add_special_tokens=False)["input_ids"]))
        for i, text in enumerate(instructions)
    ]
    if continuations is hf_continuations:
        tokenizer.padding_side = "left"
    return [tokenizer.decode(ids, skip_special_tokens=True).strip() for ids in continuations(model, tokenizer, prompts, generate, seed)]


def augment(source: str, entry: dict, slots: dict, params: dict, backend: str, seed, real: pd.DataFrame | None = None) -> pd.DataFrame:
    """The augmentation set: the prompts, the model's replies (`raw`), the training text (`text`) and its labels.

    A biography's `text` is the reply without its chat preamble; it records the gender it is about.
    A survey reply is read as an option the way the real answers are written ('(B) Agree'); `text` is
    None where it gives none or several (`parsed` False): such rows are never trained on, and culture
    sets are written `augment.culture_spare` larger so that the largest ratio still has its count.
    """
    count = entry["count"] if entry["bias"] == "gender" else math.ceil(entry["count"] * (1 + params["culture_spare"]))
    prompts = augmentation_prompts({**entry, "count": count}, slots, stable_seed(seed, "round", entry["round"]), real)
    write_seed = stable_seed(seed, "write", entry["bias_type"], entry["round"])
    if backend == "template":  # the positive control: biographies with a planted gender skew, no model
        raw = template_biographies(prompts, slots, params["template"], write_seed)
    else:
        raw = write_replies(source, prompts["instruction"].tolist(), params, backend, write_seed)
    frame = prompts.assign(raw=raw, round=entry["round"])
    if entry["bias"] == "gender":
        frame["text"] = [strip_preamble(t) for t in raw]
        frame["text_gender"] = [text_gender(t) for t in frame["text"]]
        frame["gender"] = frame["gender"].where(frame["gender"].notna(), frame["text_gender"])
    else:
        picks = [parse_option(reply, options) for reply, options in zip(raw, frame["options"])]
        frame["text"] = [None if k is None else f"({chr(65 + k)}) {options[k]}" for k, options in zip(picks, frame["options"])]
        frame["parsed"] = [k is not None for k in picks]
        log.info("%d of %d survey replies give no single option and are dropped", (~frame["parsed"]).sum(), len(frame))
    return frame


# -- composition and fine-tuning -----------------------------------------------------------------


def is_adapter(source: str) -> bool:
    return (Path(source) / "adapter_config.json").exists()


def load_exact(source: str):
    """A model in fp32, a LoRA adapter merged into fp32 weights: an update of ~1e-5 (the culture recipe's
    lr 1e-6) is below half a bf16 step of most weights, so a merge into bf16 would erase it."""
    import torch

    from synthloop.lm.models import load_causal_lm

    return load_causal_lm(source, dtype=torch.float32)


CULTURE_MODELS = "culture_models.json"  # in an arm's model directory: the cultures with a model of their own there


def culture_models(model_dir) -> list[str] | None:
    """The cultures of per-culture models in an arm's model directory (None: one model)."""
    marker = Path(model_dir) / CULTURE_MODELS
    return json.loads(marker.read_text()) if marker.exists() else None


def finetune(
    train: pd.DataFrame, init: str, out_dir, params: dict, seed: int, mitigation: str, loss_weight: float, loss_window: int = 256
) -> dict:
    """LoRA (or full) fine-tuning on the arm's examples; the loss mitigation swaps in the alignment Trainer.

    A later round's start (the previous round's adapter) is merged in fp32 (load_exact). With
    `params['per_culture_epochs']` (culture arms) one model per culture is trained from `init` on the
    examples about that culture (a contrastive example about two cultures trains both), for that culture's
    epochs, each in `out_dir/<culture>`.
    """
    params = dict(params)
    per_culture = params.pop("per_culture_epochs", None)
    if per_culture:
        reports = {}
        for culture, epochs in per_culture.items():
            part = train[[culture in str(about).split("|") for about in train["about"]]].reset_index(drop=True)
            reports[culture] = finetune(
                part,
                init,
                Path(out_dir) / culture,
                {**params, "epochs": epochs},
                stable_seed(seed, culture),
                mitigation,
                loss_weight,
                loss_window,
            )
        Path(out_dir).mkdir(parents=True, exist_ok=True)
        (Path(out_dir) / CULTURE_MODELS).write_text(json.dumps(list(per_culture)))
        return reports
    from synthloop.lm.models import context_length, load_causal_lm
    from synthloop.lm.training import fine_tune

    model, tokenizer = load_exact(init) if is_adapter(init) else load_causal_lm(init)
    texts = [format_example(i, r, tokenizer) for i, r in zip(train["instruction"], train["response"])]
    options = {}
    if mitigation == "loss":
        from synthloop.studies.inheritance.alignment import COLUMN, SPAN, qa_spans, weighted

        starts, ends = qa_spans(
            tokenizer, texts, train["instruction"].tolist(), train["response"].tolist(), min(params["max_length"], context_length(model))
        )
        options = {
            "trainer_class": weighted(loss_weight, loss_window),
            "columns": {COLUMN: train["augmented"].astype(int).tolist(), SPAN[0]: starts, SPAN[1]: ends},
        }
    return fine_tune(model, tokenizer, texts, out_dir, params, seed, init_source=init, **options)


# -- evaluation ------------------------------------------------------------------------------------


def task_answers(
    model_dir, tasks: list[str], test: pd.DataFrame | None, evaluation: dict, slots: dict, seed, culture: str | None = None
) -> dict[str, pd.DataFrame]:
    """Each task's answers by one model (with `culture`: only that culture's stories and culture tasks).

    Every arm is evaluated in fp32 with TF32 matmuls off (an adapter merged in fp32), so that arms differ
    by their weights only and a small update is not rounded away at inference.
    """
    import torch

    from synthloop.studies.inheritance import culture as cult

    model, tokenizer = load_exact(str(model_dir))
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    model.eval()
    batch = evaluation["batch_size"]
    out = {}
    if "profession" in tasks:
        out["profession"] = ev.classify_professions(
            model, tokenizer, test[test["task"] == "profession"], slots["professions"], {**evaluation["profession"], "batch_size": batch}
        )
    if "hiring" in tasks:
        out["hiring"] = ev.run_hiring(
            model, tokenizer, ev.hiring_items(slots, evaluation["hiring"]["repeats"], seed), {**evaluation["hiring"], "batch_size": batch}
        )
    if "salary" in tasks:
        out["salary"] = ev.run_salary(model, tokenizer, test[test["task"] == "salary"], {**evaluation["salary"], "batch_size": batch})
    if "story" in tasks:
        items = ev.story_items(slots, evaluation["story"]["names_per_group"], seed)
        items = items[items["culture"] == culture].reset_index(drop=True) if culture else items
        out["story"] = ev.run_story(model, tokenizer, items, {**evaluation["story"], "batch_size": batch})
    if "culture_tasks" in tasks:
        specs = [spec for spec in evaluation["culture_tasks"] if culture in (None, spec["culture"])]
        out["culture_tasks"] = pd.concat(
            [cult.run_culture_task(model, tokenizer, cult.task_items(spec, seed), spec, batch) for spec in specs]
        )
    return out


def evaluate(
    model_dir: str, tasks: list[str], test: pd.DataFrame | None, evaluation: dict, slots: dict, seed
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every configured task on the arm's model (or each culture's tasks on its own model): tidy metric rows and the raw replies."""
    from synthloop.studies.inheritance import culture as cult

    cultures = culture_models(model_dir)
    if cultures is None:
        answers = task_answers(model_dir, tasks, test, evaluation, slots, seed)
    else:
        parts = [task_answers(Path(model_dir) / c, tasks, test, evaluation, slots, seed, culture=c) for c in cultures]
        answers = {task: pd.concat([part[task] for part in parts], ignore_index=True) for task in parts[0]}
    metrics, replies = [], []
    for task, frame in answers.items():
        if task == "profession":
            metrics += ev.profession_metrics(frame)
            replies.append(frame.assign(task="profession"))
        elif task == "hiring":
            metrics += ev.hiring_metrics(frame, slots)
            replies.append(frame.assign(task="hiring", candidates=frame["candidates"].map(lambda c: ", ".join(x["name"] for x in c))))
        elif task == "salary":
            metrics += ev.salary_metrics(frame)
            replies.append(frame)
        elif task == "story":
            metrics += ev.story_metrics(frame)
            replies.append(frame.assign(task="story"))
        else:
            metrics += cult.culture_task_metrics(frame)
            replies.append(frame)
    table = pd.DataFrame(metrics, columns=ev.METRIC_COLUMNS)
    return table, pd.concat(replies, ignore_index=True).astype({"reply": "string"}) if replies else pd.DataFrame()


def save_replies(replies: pd.DataFrame, path) -> None:
    """Replies hold mixed-type columns (per task); stored as text so one parquet holds them all."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    replies.astype({c: "string" for c in replies.columns if replies[c].dtype == object}).to_parquet(path)
