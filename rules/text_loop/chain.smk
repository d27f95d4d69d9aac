# One chain, generation by generation: compose the training set -> fine-tune -> generate.
# The recursion lives in the plan (synthloop.studies.text_loop.plan): g reads g-1's files.
#
# On a cluster a chain generation's fine-tune and generate are one group job (one sbatch): generate reads
# only that fine-tune's model and nothing else waits for the fine-tune alone, so no independent work is
# serialised. SLURM is asked for the larger of the two jobs' memory, GPUs and CPUs and the sum of their
# runtimes; a failed group fails whole (a retried generate re-runs its fine-tune). Local runs ignore groups.
MODEL_GROUP = "model_{chain}_g{gen}"


rule compose_training_set:
    input:
        unpack(lambda wc: PLAN.compose_inputs(wc.chain, int(wc.gen))),
    output:
        train=path("train", chain="{chain}", gen="{gen}"),
        pool=path("pool", chain="{chain}", gen="{gen}"),
        mix=path("mix_row", chain="{chain}", gen="{gen}"),
    log:
        log("compose_training_set", "{chain}/g{gen}"),
    benchmark:
        bench("compose_training_set", "{chain}/g{gen}")
    conda:
        "../../envs/synthloop.yaml"
    resources:
        **resources_for("analysis"),
    params:
        gen=lambda wc: int(wc.gen),
        strategy=lambda wc: canonical(PLAN.compose_strategy(wc.chain)),
        ratio=lambda wc: PLAN.chains[wc.chain].ratio,
        seed=lambda wc: PLAN.seed(wc.chain, wc.gen, "compose"),
        real_seed=lambda wc: PLAN.seed(wc.chain, "real"),
    script:
        "../../scripts/text_loop/compose_training_set.py"


# A strategy's select step (docs/selection.md): g-1's texts scored and kept or dropped before g's compose
# reads them; its table of scores, copies and kept flags stays for audit.
rule select_synthetic:
    input:
        unpack(lambda wc: PLAN.select_inputs(wc.chain, int(wc.gen))),
    output:
        path("selection", chain="{chain}", gen="{gen}"),
    log:
        log("select_synthetic", "{chain}/g{gen}"),
    benchmark:
        bench("select_synthetic", "{chain}/g{gen}")
    conda:
        "../../envs/synthloop.yaml"
    threads: threads_for("score", 1)
    resources:
        **resources_for("score"),
    params:
        step=lambda wc: canonical(PLAN.selection(wc.chain)),
        scorer=lambda wc: canonical(PLAN.selection_scorer(wc.chain)),
        keep_count=lambda wc: PLAN.selection_count(wc.chain),
        seed=lambda wc: PLAN.seed(wc.chain, wc.gen, "select"),
    script:
        "../../scripts/text_loop/select_synthetic.py"


# Every generation's realised mix of one chain (synthetic share, selection rate, source generations), as each
# generation's compose wrote and checked it; made for every chain of a study where some strategy selects.
rule chain_mix:
    input:
        unpack(lambda wc: PLAN.mix_inputs(wc.chain)),
    output:
        path("chain_mix", chain="{chain}"),
    log:
        log("chain_mix", "{chain}"),
    benchmark:
        bench("chain_mix", "{chain}")
    conda:
        "../../envs/synthloop.yaml"
    resources:
        **resources_for("analysis"),
    params:
        chain_keys=lambda wc: PLAN.chains[wc.chain].keys(),
    script:
        "../../scripts/text_loop/chain_mix.py"


rule finetune:
    input:
        unpack(lambda wc: PLAN.finetune_inputs(wc.chain, int(wc.gen))),
    output:
        directory(path("model", chain="{chain}", gen="{gen}")),
    log:
        log("finetune", "{chain}/g{gen}"),
    benchmark:
        bench("finetune", "{chain}/g{gen}")
    group:
        MODEL_GROUP
    conda:
        "../../envs/synthloop.yaml"
    threads: threads_for("finetune", 1)
    resources:
        **resources_for("finetune"),
    params:
        init=lambda wc: PLAN.init_model(wc.chain, int(wc.gen)),
        finetune=lambda wc: canonical(PLAN.finetune(wc.chain)),
        instructions=lambda wc: PLAN.instructions(wc.chain),
        seed=lambda wc: PLAN.seed(wc.chain, wc.gen, "finetune"),
    script:
        "../../scripts/text_loop/finetune.py"


rule generate:
    input:
        model=path("model", chain="{chain}", gen="{gen}"),
        prompts=lambda wc: PLAN.prompts(wc.chain),
        labels=lambda wc: PLAN.control_labels(wc.chain),
    output:
        path("generated", chain="{chain}", gen="{gen}"),
    log:
        log("generate", "{chain}/g{gen}"),
    benchmark:
        bench("generate", "{chain}/g{gen}")
    group:
        MODEL_GROUP
    conda:
        "../../envs/synthloop.yaml"
    threads: threads_for("generate", 1)
    resources:
        **resources_for("generate"),
    params:
        gen=lambda wc: int(wc.gen),
        generate=canonical(config["generate"]),
        instructions=lambda wc: PLAN.instructions(wc.chain),
        n_texts=lambda wc: PLAN.generation_count(wc.chain),
        seed=lambda wc: PLAN.seed(wc.chain, wc.gen, "generate"),
    script:
        "../../scripts/text_loop/generate.py"
