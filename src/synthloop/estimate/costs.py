"""The cost model: what one job of each rule does (tokens trained, generated, scored; images) from the config,
turned into seconds, GPU memory and bytes written with the calibration's throughputs and start-up seconds.

A job's seconds are its start-up (imports, model load, vLLM's engine) plus its work at the calibrated
tokens/s. Figures are per job and averaged over the rule's jobs; the job counts come from `jobs`.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from synthloop.estimate.calibration import Calibration
from synthloop.estimate.jobs import path_helper, results_of

GB = 1e9
BYTES_BF16 = 2
FP32_EVALUATION = 2.0  # inheritance evaluation's time in fp32 against bf16 (assumed)
RESOURCE_KIND = {  # the `resources_for` kind each rule asks for (rules/<kind>/*.smk; checked by tests/test_estimate.py)
    "finetune": "finetune",
    "train_base_model": "finetune",
    "convert_base_model": "finetune",
    "convert_model": "finetune",
    "synthesize": "finetune",
    "classify": "finetune",
    "train_feature_net": "finetune",
    "generate": "generate",
    "generate_base": "generate",
    "augment": "generate",
    "evaluate": "generate",
    "score": "score",
    "score_base": "score",
    "select_synthetic": "score",
    "clusters": "score",
    "lean_scores": "score",
    "train_lean_embedding": "score",
    "neuron_values": "score",
    "embeddings": "score",
}


@dataclass
class RuleCost:
    rule: str
    jobs: int
    gpu: bool  # asks for a GPU (resources.<kind>.gpu)
    seconds: float = 0.0  # per job, start-up included
    startup: float = 0.0  # per job
    gpu_memory_gb: float | None = None  # peak per job (None: no GPU)
    disk_bytes: float = 0.0  # per job
    notes: list[str] = field(default_factory=list)

    @property
    def hours(self) -> float:
        return self.jobs * self.seconds / 3600

    @property
    def disk_total(self) -> float:
        return self.jobs * self.disk_bytes


class Model:
    """The cost model for one validated config, one device kind and one calibration."""

    def __init__(self, config: dict, device: str, calibration: Calibration):
        self.config, self.device, self.cal = config, device, calibration
        self.assume = calibration.assumptions
        self.used: dict[tuple, dict] = {}  # calibration entries used, by (device, task, params)
        self.notes: list[str] = []
        self.assumed: dict[str, object] = {}  # the assumptions a figure rests on, printed with it

    # -- helpers -------------------------------------------------------------------------------------
    def on_gpu(self, rule: str) -> bool:
        kind = RESOURCE_KIND.get(rule, "analysis")
        return bool(self.config["resources"].get(kind, {}).get("gpu", 0))

    def device_for(self, rule: str) -> str:
        return self.device if self.on_gpu(rule) else "cpu"

    def rate(self, rule: str, task: str, params: float) -> float:
        device = self.device_for(rule)
        if task == "vllm_tokens_per_s" and not any(e["device"] == device and task in e for e in self.cal.data["entries"]):
            task = "generate_tokens_per_s"
        tokens_per_s, entry = self.cal.throughput(device, task, params)
        self.used[(device, task, entry["params"])] = entry
        return tokens_per_s

    def model(self, source) -> dict:
        """Parameters, layers and width of a model: the calibration's table, a local config.json, or the
        study's scratch model; an unknown hub id is assumed to be of the 1 B class (and said so)."""
        if isinstance(source, dict):
            source = source.get("source")
        known = self.cal.models.get(source) or self.cal.models.get(str(source).split("@")[0])
        if known:
            return known
        if source == "scratch":
            s = self.config.get("base_model", {}).get("scratch", {})
            return gpt2_size(s.get("n_layer", 2), s.get("n_embd", 128), s.get("vocab_size", 4096), s.get("context", 256))
        local = Path(str(source)) / "config.json"
        if local.is_file():
            c = json.loads(local.read_text())
            if "n_layer" in c:
                return gpt2_size(c["n_layer"], c["n_embd"], c["vocab_size"], c.get("n_positions", 1024))
            if "num_hidden_layers" in c:
                h, layers = c["hidden_size"], c["num_hidden_layers"]
                return {"params": layers * 12 * h * h + c.get("vocab_size", 32000) * h, "layers": layers, "hidden": h}
        note = f"model {source!r}: size unknown, assumed 1.24 B parameters (add it under models: in the calibration)"
        if note not in self.notes:
            self.notes.append(note)
        return {"params": 1.24e9, "layers": 16, "hidden": 2048}

    def doc_tokens(self, dataset: str) -> float:
        spec = self.config["datasets"][dataset]
        if spec["source"] in ("lean_partition", "label_subset"):
            return self.doc_tokens(spec["from"])
        table = self.assume["document_tokens"]
        tokens = table.get(spec.get("path"), table.get(spec["source"], table["default"]))
        self.assumed[f"tokens per real document of {dataset}"] = tokens
        return tokens

    def load_s(self, params: float) -> float:
        return params * BYTES_BF16 / GB / self.cal.startup["model_load_gb_per_s"]

    def imports(self, kind: str) -> float:
        return self.cal.startup["imports_s"][kind]

    def gpu_memory(self, rule: str, gigabytes: float) -> float | None:
        return round(gigabytes, 1) if self.on_gpu(rule) else None

    def analysis(self, rule: str, jobs: int) -> RuleCost:
        local = self.cal.startup["local_job_s"]
        return RuleCost(rule, jobs, False, self.assume["analysis_job_s"] + local, self.imports("analysis") + local)


def gpt2_size(layers: int, hidden: int, vocab: int, positions: int) -> dict:
    return {"params": 12 * layers * hidden * hidden + (vocab + positions) * hidden, "layers": layers, "hidden": hidden}


def activations_gb(batch: int, length: float, model: dict) -> float:
    """Training activations in bf16 without recomputation: ~34 bytes per token, layer and unit (Korthikanti et al. 2022)."""
    return 34 * batch * length * model["layers"] * model["hidden"] / GB


def lora_params(r: int, model: dict) -> float:
    """Adapter parameters over every linear projection: ~r x (in + out) summed over a block's 7 projections (~23 h)."""
    return r * model["layers"] * 23 * model["hidden"]


def finetune_cost(m: Model, rule: str, jobs: int, tokens: float, models: list[dict], params: dict) -> RuleCost:
    """A fine-tune of `tokens` trained tokens (epochs included) from one of `models` (averaged), full or LoRA."""
    lora = params.get("lora")
    mean = {k: sum(x[k] for x in models) / len(models) for k in ("params", "layers", "hidden")}
    rate = m.rate(rule, "finetune_tokens_per_s", mean["params"])
    startup = m.imports("finetune") + (m.imports("lora") if lora else 0) + m.load_s(mean["params"])
    saved = lora_params(lora["r"], mean) * 4 if lora else mean["params"] * 4
    length = min(params.get("max_length", 512), 512)
    memory = (2 if lora else 16) * mean["params"] / GB + activations_gb(params.get("batch_size", 8), length, mean)
    cost = RuleCost(
        rule,
        jobs,
        m.on_gpu(rule),
        startup + tokens / rate + saved / GB / m.cal.startup["model_load_gb_per_s"],
        startup,
        m.gpu_memory(rule, memory),
        saved,
    )
    if cost.gpu_memory_gb and cost.gpu_memory_gb > m.cal.memory_gb(m.device):
        cost.notes.append(
            f"needs ~{cost.gpu_memory_gb:.0f} GB, more than one {m.device} ({m.cal.memory_gb(m.device):.0f} GB): "
            "use LoRA (finetune.lora) or gradient_checkpointing, or a larger GPU"
        )
    return cost


def generate_cost(
    m: Model, rule: str, jobs: int, texts: float, new_tokens: float, prompt_tokens: float, model: dict, spec: dict
) -> RuleCost:
    """`texts` continuations of `new_tokens` each by `model`, with the hf or vllm backend of `spec` (generate: or augment:)."""
    vllm = spec.get("backend") == "vllm" and m.on_gpu(rule)
    rate = m.rate(rule, "vllm_tokens_per_s" if vllm else "generate_tokens_per_s", model["params"])
    # vLLM also loads the model a second time: an adapter is merged and saved for it (lm.vllm_backend.merged_model_dir)
    startup = m.imports("generate") + m.load_s(model["params"]) * (3 if vllm else 1) + (m.cal.startup["vllm_engine_s"] if vllm else 0)
    tokens = texts * new_tokens
    batch = spec.get("batch_size", 64)
    if vllm:
        memory = spec.get("vllm_engine", {}).get("gpu_memory_utilization", 0.9) * m.cal.memory_gb(m.device)
    elif batch == "auto":
        memory = 0.9 * m.cal.memory_gb(m.device)  # batch_size auto fills the free memory
    else:
        kv = batch * (prompt_tokens + new_tokens) * model["layers"] * model["hidden"] * 2 * BYTES_BF16 / GB
        memory = model["params"] * BYTES_BF16 / GB + kv
    written = tokens * m.assume["bytes_per_token_stored"]
    return RuleCost(rule, jobs, m.on_gpu(rule), startup + tokens / rate, startup, m.gpu_memory(rule, memory), written)


def forward_cost(m: Model, rule: str, jobs: int, tokens: float, model: dict, extra_s: float = 0.0, kind: str = "score") -> RuleCost:
    """A forward pass over `tokens` (embedding, perplexity, classifiers): a third of a training step's work (2 N against 6 N FLOPs)."""
    rate = 3 * m.rate(rule, "finetune_tokens_per_s", model["params"])
    startup = m.imports(kind) + m.load_s(model["params"])
    memory = model["params"] * BYTES_BF16 / GB + activations_gb(32, 256, model) / model["layers"]
    return RuleCost(rule, jobs, m.on_gpu(rule), startup + tokens / rate + extra_s, startup, m.gpu_memory(rule, memory))


# -- text_loop -----------------------------------------------------------------------------------------------
def text_loop(m: Model, counts: dict[str, int]) -> list[RuleCost]:
    from synthloop.studies.text_loop.plan import Plan

    config, results = m.config, results_of(m.config)
    plan = Plan(config, path_helper(results), results)
    generate, instruction = config["generate"], config["generate"]["mode"] == "instruction"
    new_share = m.assume["generated_share_of_new_tokens"] if instruction else 1.0
    if instruction:
        m.assumed["a sampled text's length, of generate.new_tokens"] = new_share
    base = m.model("smollm2" if config["base_model"].get("gguf_file") else config["base_model"]["source"])
    models = [m.model(c) for c in config["chains"]["base_models"]] if config["chains"]["init"] == "draw" else [base]

    # Each distinct (dataset, strategy, ratio) once, weighted by its chains' owned generations.
    owned_by, standing = Counter(), {}
    for cid, c in plan.chains.items():
        key = (c.dataset, c.strategy, c.ratio, c.domains)
        owned_by[key] += sum(plan.owns(cid, g) for g in plan.generations)
        standing.setdefault(key, cid)
    train_tokens = gen_texts = scored = scored_tokens = weight = 0.0
    for key, cid in standing.items():
        dataset, strategy, ratio, domains = key
        datasets = domains or (dataset,)
        doc = sum(m.doc_tokens(d) for d in datasets) / len(datasets)
        spec = config["strategies"][strategy]
        finetune = {**config["finetune"], **spec.get("finetune", {})}
        length = min(finetune.get("max_length", 512), 1e9)
        generated_doc = generate["new_tokens"] * new_share if instruction else doc
        real_n = (
            config["datasets"][dataset]["finetune_size"]
            if dataset in config["datasets"] and "finetune_size" in config["datasets"][dataset]
            else config["datasets"].get(dataset, {}).get("size") or 1000
        )
        for g in plan.generations:
            docs, synthetic_share = training_docs(spec, g, real_n, ratio)
            tokens_per_doc = min(length, (1 - synthetic_share) * doc + synthetic_share * generated_doc)
            n = owned_by[key] / len(plan.generations)
            train_tokens += n * docs * tokens_per_doc * finetune["epochs"]
            texts = plan.generation_count(cid) if instruction else real_n * (1 + math.ceil(doc / generate["block_tokens"]))
            gen_texts += n * texts
            scored += n * (plan.eval_size() or real_n)
            scored_tokens += n * (plan.eval_size() or real_n) * generated_doc
            weight += n
    weight = weight or 1
    out = []
    for rule, jobs in counts.items():
        if rule == "finetune":
            out.append(finetune_cost(m, rule, jobs, train_tokens / weight, models, config["finetune"]))
        elif rule in ("generate", "generate_base"):
            texts = gen_texts / weight if rule == "generate" else (plan.base_generation_count() if instruction else gen_texts / weight)
            prompt = 32 if instruction else generate["block_tokens"]
            out.append(
                generate_cost(
                    m, rule, jobs, texts, generate["new_tokens"] * new_share, prompt, models[0] if rule == "generate" else base, generate
                )
            )
        elif rule in ("score", "score_base"):
            out.append(score_cost(m, rule, jobs, scored / weight, scored_tokens / max(scored, 1), base))
        elif rule == "select_synthetic":  # one scorer on every text a generation wrote (not on the scored sample)
            steps = [spec["select"]["scorer"] for spec in config["strategies"].values() if spec.get("select")]
            out.append(
                score_cost(
                    m,
                    rule,
                    jobs,
                    gen_texts / weight,
                    scored_tokens / max(scored, 1),
                    base,
                    [config["scorers"][name] for name in dict.fromkeys(steps)],
                )
            )
        elif rule == "train_base_model":
            s = config["base_model"].get("scratch", {})
            tokens = s.get("steps", 400) * s.get("batch_size", 16) * s.get("context", 256)
            out.append(
                finetune_cost(m, rule, jobs, tokens, [base], {"batch_size": s.get("batch_size", 16), "max_length": s.get("context", 256)})
            )
        elif rule == "convert_base_model":
            out.append(RuleCost(rule, jobs, m.on_gpu(rule), 30.0, 30.0, m.gpu_memory(rule, 0), base["params"] * 4))
        elif rule == "neuron_values":
            n = config["neurons"]
            tokens = len(plan.generations) * n["probe_size"] * n["probe_max_length"]
            cost = forward_cost(m, rule, jobs, tokens, base)
            cost.seconds += (len(plan.generations) - 1) * m.load_s(base["params"])
            cost.disk_bytes = len(plan.generations) * 2 * base["layers"] * base["hidden"] * 4 * 4
            out.append(cost)
        elif rule in ("clusters", "lean_scores", "train_lean_embedding"):  # one embedding pass over a dataset's documents
            embedder = config["embedders"].get((config["chains"].get("clusters") or {}).get("embedder", "minilm"), {"model": "minilm"})
            docs = max((spec.get("finetune_size", 0) for spec in config["datasets"].values()), default=1000)
            cost = forward_cost(m, rule, jobs, docs * 100, m.model(embedder["model"]), extra_s=m.assume["gaussianity_compile_s"])
            cost.disk_bytes = docs * m.assume["bytes_per_token_stored"] * 100
            out.append(cost)
        else:
            out.append(m.analysis(rule, jobs))
    return out


def training_docs(strategy: dict, g: int, real_n: int, ratio: float | None) -> tuple[float, float]:
    """Documents in generation g's training set and the share of them that a model wrote (loop.strategies)."""
    compose = strategy["compose"]
    if compose == "pool":
        pool = strategy["pool"]
        if g == 0:
            return pool["n0"], 0.0
        if pool.get("mode", "accumulate_subsample") == "accumulate":
            return g * pool["n"], ratio or 0.0
        return pool["n"], ratio or 0.0
    if g == 0:
        return real_n, 0.0
    if compose == "accumulate":
        return (g + 1) * real_n, g / (g + 1)
    if compose == "preserve":
        return real_n, 1 - strategy["real_fraction"]
    return real_n, 1.0


def score_cost(
    m: Model, rule: str, jobs: int, texts: float, tokens_per_text: float, base: dict, specs: list[dict] | None = None
) -> RuleCost:
    """Every scorer (or those of `specs`) on one text set: each embedder once, perplexity and classifiers a forward pass,
    the rest on the CPU."""
    config = m.config
    specs = list(config["scorers"].values()) if specs is None else specs
    forward, extra, disk, compile_s = [], 0.0, 0.0, 0.0
    for spec in specs:
        kind = spec["kind"]
        if kind == "perplexity":
            forward.append((base if spec.get("model", "base") == "base" else m.model(spec["model"]), texts * tokens_per_text))
        elif kind == "hf_classifier":
            forward.append((m.model(spec.get("model")), texts * tokens_per_text))
        elif kind == "llm_judge":
            if spec.get("backend") == "openai":
                note = "llm_judge with backend openai: the judge server's own GPU time is not counted"
                if note not in m.notes:
                    m.notes.append(note)
            else:
                judge = m.model(spec.get("model"))
                extra += texts * len(spec.get("aspects", [1])) * 16 / m.rate(rule, "generate_tokens_per_s", judge["params"])
        elif kind == "gaussianity":
            compile_s = m.assume["gaussianity_compile_s"]
        extra += texts / m.assume["score_texts_per_s_cpu"]
    for name in sorted({s["embedder"] for s in specs if "embedder" in s}):
        embedder = config["embedders"].get(name, {"model": "minilm"})
        forward.append((m.model(embedder["model"]), texts * tokens_per_text))
        dims = m.assume["embedding_dim"]
        disk += texts * dims.get(embedder["model"], dims["default"]) * 4
    biggest = max((model for model, _ in forward), key=lambda x: x["params"], default=m.model("minilm"))
    cost = forward_cost(m, rule, jobs, 0, biggest, extra_s=extra + compile_s)
    cost.startup += compile_s  # UMAP's compilation, paid by every score job that fits one
    cost.seconds += sum(tokens / (3 * m.rate(rule, "finetune_tokens_per_s", model["params"])) for model, tokens in forward)
    cost.seconds += sum(m.load_s(model["params"]) for model, _ in forward if model is not biggest)
    cost.disk_bytes = disk + texts * 64
    return cost


# -- inheritance ------------------------------------------------------------------------------------------------
def inheritance(m: Model, counts: dict[str, int]) -> list[RuleCost]:
    from synthloop.studies.inheritance.plan import Plan

    config, results = m.config, results_of(m.config)
    plan = Plan(config, path_helper(results), results)
    model = m.model(config["model"]["source"] if not plan.converts_model() else "smollm2")
    table = m.assume["document_tokens"]
    doc = table.get((config["data"].get("gender") or {}).get("path"), table["default"])
    m.assumed["tokens per example"] = doc
    sets = plan.augment_sets()
    evaluation = config["evaluation"]
    out = []
    for rule, jobs in counts.items():
        if rule == "augment":
            texts = sum(e["count"] for e in sets.values()) / max(1, len(sets))
            out.append(generate_cost(m, rule, jobs, texts, config["augment"]["new_tokens"], 200, model, config["augment"]))
        elif rule == "finetune":
            per_bias = [plan.total(name) * config["train"][a.bias]["epochs"] * doc for name, a in plan.arms.items()]
            train = {**next(iter(config["train"].values()))}
            out.append(finetune_cost(m, rule, jobs, sum(per_bias) / len(per_bias), [model], train))
        elif rule == "evaluate":
            professions = len((config["data"].get("gender") or {}).get("profession_values") or {}) or 6
            forward = evaluation["profession"]["per_profession"] * professions * professions * doc
            generated = (evaluation["hiring"]["repeats"] + evaluation["salary"]["per_profession"]) * professions * 20
            generated += evaluation["story"]["names_per_group"] * 8 * evaluation["story"]["new_tokens"]
            cost = generate_cost(m, rule, jobs, generated / 20, 20, doc, model, {"batch_size": evaluation["batch_size"]})
            cost.seconds += forward / (3 * m.rate(rule, "finetune_tokens_per_s", model["params"]))
            # Evaluation reads fp32 weights (an adapter merged in bf16 would lose a small update): twice the weight
            # memory, and taken as twice the time (memory-bound decoding; compute-bound passes may be slower still).
            cost.seconds = cost.startup + (cost.seconds - cost.startup) * FP32_EVALUATION
            if cost.gpu_memory_gb:
                cost.gpu_memory_gb += model["params"] * (4 - BYTES_BF16) / GB
            cost.notes.append("evaluation in fp32: twice the weights' memory, assumed twice the time of bf16")
            cost.disk_bytes = generated * m.assume["bytes_per_token_stored"]
            out.append(cost)
        elif rule == "embeddings":
            out.append(forward_cost(m, rule, jobs, config["analysis"]["embeddings"]["texts"] * (1 + len(sets)) * doc, model))
        elif rule == "convert_model":
            out.append(RuleCost(rule, jobs, m.on_gpu(rule), 30.0, 30.0, m.gpu_memory(rule, 0), model["params"] * 4))
        else:
            out.append(m.analysis(rule, jobs))
    return out


# -- image_loop --------------------------------------------------------------------------------------------------
def image_loop(m: Model, counts: dict[str, int]) -> list[RuleCost]:
    config = m.config
    data = config["data"]
    sizes = m.assume["image_train_examples"]
    examples = sizes.get(data.get("path"), sizes["default"])
    m.assumed["real training images"] = examples
    m.assumed["seconds per training step (H200, 32 x 32)"] = m.assume["image_step_s"]
    step, sample = m.assume["image_step_s"], m.assume["image_sample_s"]
    pixels = max((data.get("size", 8) / 32) ** 2, 1)  # the per-image work against a 32 x 32 image (smaller ones: per-step bound)
    # The step times are an H200's; another GPU kind runs them at its fine-tuning throughput's ratio (a GPT-2-small-sized model).
    gpu_ratio = m.cal.throughput("h200", "finetune_tokens_per_s", 1e8)[0] / m.cal.throughput(m.device, "finetune_tokens_per_s", 1e8)[0]

    def factor(rule):
        return gpu_ratio * pixels if m.on_gpu(rule) else m.assume["cpu_factor_images"]["synthesize" if rule == "synthesize" else "classify"]

    out = []
    for rule, jobs in counts.items():
        if rule == "synthesize":
            per = [
                config["generator_params"][g].get("steps", 0) * step.get(g, 0) + examples * config["ratios"][0] * sample.get(g, 0)
                for g in config["generators"]
            ]  # the control generator trains nothing and samples copies: no cost of its own
            seconds = sum(per) / len(per) * factor(rule)
            out.append(
                RuleCost(
                    rule,
                    jobs,
                    m.on_gpu(rule),
                    seconds + m.imports("finetune"),
                    m.imports("finetune"),
                    m.gpu_memory(rule, 10),
                    examples * config["ratios"][0] * data.get("size", 8) ** 2 * 3,
                )
            )
        elif rule in ("classify", "train_feature_net"):
            training = config["training"]
            steps = training["epochs"] * examples * 2 / training["batch_size"]
            names = config["classifiers"] if rule == "classify" else [config["fid"].get("network", "lenet")]
            classifiers = len(names)
            weights = sum(100e6 if ":" in name else 1e6 for name in names)  # library models (torchvision:resnet50) ~100 MB, built-ins ~1 MB
            seconds = steps * step["classifier"] * classifiers * factor(rule)
            out.append(
                RuleCost(rule, jobs, m.on_gpu(rule), seconds + m.imports("finetune"), m.imports("finetune"), m.gpu_memory(rule, 8), weights)
            )
        else:
            out.append(m.analysis(rule, jobs))
    return out


COSTERS = {"text_loop": text_loop, "inheritance": inheritance, "image_loop": image_loop}
