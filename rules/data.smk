rule pretraining_corpus:
    output:
        path("pretrain_corpus"),
    params:
        years=config["base_model"].get("scratch", {}).get("corpus_years", [1790, 2026]),
    log:
        log("pretraining_corpus"),
    benchmark:
        bench("pretraining_corpus")
    conda:
        "../envs/synthloop.yaml"
    resources:
        **resources_for("analysis"),
    script:
        "../scripts/pretraining_corpus.py"


rule prepare_dataset:
    output:
        finetune=path("finetune_docs", dataset="{dataset}"),
        heldout=path("heldout_docs", dataset="{dataset}"),
    params:
        spec=lambda wc: dataset_loading_spec(wc.dataset),
        seed=lambda wc: cfg.stable_seed(config["seeds"][0], "split", wc.dataset),
    log:
        log("prepare_dataset", "{dataset}"),
    benchmark:
        bench("prepare_dataset", "{dataset}")
    conda:
        "../envs/synthloop.yaml"
    resources:
        **resources_for("analysis"),
    script:
        "../scripts/prepare_dataset.py"
