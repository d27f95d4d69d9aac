# One chain, generation by generation: synthesize (fresh generator on g-1's training set, samples,
# FID, filtering, FIFO -> g's training set), then classify (every classifier on g's training set).


rule synthesize:
    input:
        unpack(lambda wc: PLAN.synthesize_inputs(wc.chain, int(wc.gen))),
    output:
        train=path("image_train", chain="{chain}", gen="{gen}"),
        generated=path("image_generated", chain="{chain}", gen="{gen}"),
        summary=path("synthesis", chain="{chain}", gen="{gen}"),
    log:
        log("synthesize", "{chain}/g{gen}"),
    benchmark:
        bench("synthesize", "{chain}/g{gen}")
    conda:
        "../../envs/synthloop.yaml"
    threads: threads_for("finetune", 1)
    resources:
        **resources_for("finetune"),
    params:
        generator=lambda wc: PLAN.chains[wc.chain].generator,
        ratio=lambda wc: PLAN.chains[wc.chain].ratio,
        gen=lambda wc: int(wc.gen),
        seed=lambda wc: PLAN.seed(wc.chain, int(wc.gen), "synthesize"),
        filter_classifier=PLAN.filter_classifier(),
        config=lambda wc: canonical(PLAN.synthesis_config(wc.chain)),
    script:
        "../../scripts/image_loop/synthesize.py"


rule classify:
    input:
        unpack(lambda wc: PLAN.classify_inputs(wc.chain, int(wc.gen))),
    output:
        classifiers=directory(path("classifiers", chain="{chain}", gen="{gen}")),
        predictions=path("predictions", chain="{chain}", gen="{gen}"),
    log:
        log("classify", "{chain}/g{gen}"),
    benchmark:
        bench("classify", "{chain}/g{gen}")
    conda:
        "../../envs/synthloop.yaml"
    threads: threads_for("finetune", 1)
    resources:
        **resources_for("finetune"),
    params:
        seed=lambda wc: PLAN.seed(wc.chain, int(wc.gen), "classify"),
        config=lambda wc: canonical(PLAN.classify_config(wc.chain)),
    script:
        "../../scripts/image_loop/classify.py"
