# The base model before any fine-tuning (Wang et al.'s Figure 2): it continues each chain dataset's
# generation-0 prompts exactly as every generation does, and its texts are scored like every
# generation's; the metrics table gives every chain of the dataset a `base` row (generation -1).
rule generate_base:
    input:
        unpack(lambda wc: PLAN.base_generate_inputs(wc.dataset)),
    output:
        path("base_generated", dataset="{dataset}"),
    log:
        log("generate_base", "{dataset}"),
    benchmark:
        bench("generate_base", "{dataset}")
    conda:
        "../../envs/synthloop.yaml"
    threads: threads_for("generate", 1)
    resources:
        **resources_for("generate"),
    params:
        model=PLAN.base_source(),
        gen=-1,
        generate=canonical(config["generate"]),
        instructions=lambda wc: PLAN.base_instructions(wc.dataset),
        n_texts=PLAN.base_generation_count(),
        seed=lambda wc: PLAN.study_seed("generate", "base", wc.dataset),
    script:
        "../../scripts/text_loop/generate.py"


rule score_base:
    """The base model's texts, scored by every configured scorer in one job, as rule score does per generation."""
    input:
        unpack(lambda wc: PLAN.base_score_inputs(wc.dataset)),
    output:
        summaries=[path("base_score", dataset="{dataset}", scorer=s) for s in PLAN.scorers],
        texts=[path("base_score_texts", dataset="{dataset}", scorer=s) for s in PLAN.scorers],
        embeddings=[path("base_embeddings", dataset="{dataset}", embedder=e) for e in PLAN.embedders],
    log:
        log("score_base", "{dataset}"),
    benchmark:
        bench("score_base", "{dataset}")
    conda:
        "../../envs/synthloop.yaml"
    threads: threads_for("score", 1)
    resources:
        **resources_for("score"),
    params:
        scorers=PLAN.scorers,
        specs=canonical(config["scorers"]),
        embedders=canonical({e: config["embedders"][e] for e in PLAN.embedders}),
        assets=lambda wc: PLAN.base_scored_domains(wc.dataset),
        eval_sample=lambda wc: PLAN.base_eval_sample(wc.dataset),
    script:
        "../../scripts/text_loop/score.py"
