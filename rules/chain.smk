# One chain, generation by generation: compose the training set -> fine-tune -> generate.
# The recursion lives in the input functions (common.smk): g reads g-1's files.


rule compose_training_set:
    input:
        unpack(compose_inputs),
    output:
        train=path("train", chain="{chain}", gen="{gen}"),
        pool=path("pool", chain="{chain}", gen="{gen}"),
    params:
        gen=lambda wc: int(wc.gen),
        strategy=lambda wc: config["strategies"][chain_of(wc).strategy],
        ratio=lambda wc: chain_of(wc).ratio,
        generation0_labels=config["chains"]["generation0_labels"],
        seed=lambda wc: cfg.stable_seed(chain_of(wc).seed, wc.chain, wc.gen, "compose"),
        human_seed=lambda wc: cfg.stable_seed(chain_of(wc).seed, wc.chain, "human"),
    log:
        log("compose_training_set", "{chain}/g{gen}"),
    benchmark:
        bench("compose_training_set", "{chain}/g{gen}")
    conda:
        "../envs/synthloop.yaml"
    resources:
        **resources_for("analysis"),
    script:
        "../scripts/compose_training_set.py"


rule finetune:
    input:
        unpack(finetune_inputs),
    output:
        directory(path("model", chain="{chain}", gen="{gen}")),
    params:
        init=init_model,
        finetune=lambda wc: cfg.finetune_params(config, chain_of(wc).strategy),
        instruction=lambda wc: dataset_instruction(wc) if config["generate"]["mode"] == "instruction" else None,
        domain_instructions=domain_instructions,
        seed=lambda wc: cfg.stable_seed(chain_of(wc).seed, wc.chain, wc.gen, "finetune"),
        trust_remote_code=config["trust_remote_code"],
    threads: 1
    log:
        log("finetune", "{chain}/g{gen}"),
    benchmark:
        bench("finetune", "{chain}/g{gen}")
    conda:
        "../envs/synthloop.yaml"
    resources:
        **resources_for("finetune"),
    script:
        "../scripts/finetune.py"


rule generate:
    input:
        model=path("model", chain="{chain}", gen="{gen}"),
        prompts=path("train", chain="{chain}", gen="0"),
    output:
        path("generated", chain="{chain}", gen="{gen}"),
    params:
        gen=lambda wc: int(wc.gen),
        generate=config["generate"],
        instruction=dataset_instruction,
        domain_instructions=domain_instructions,
        n_texts=generation_count,
        seed=lambda wc: cfg.stable_seed(chain_of(wc).seed, wc.chain, wc.gen, "generate"),
    threads: 1
    log:
        log("generate", "{chain}/g{gen}"),
    benchmark:
        bench("generate", "{chain}/g{gen}")
    conda:
        "../envs/synthloop.yaml"
    resources:
        **resources_for("generate"),
    script:
        "../scripts/generate.py"
