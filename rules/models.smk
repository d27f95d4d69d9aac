rule train_base_model:
    input:
        path("pretrain_corpus"),
    output:
        directory(path("base_model")),
    params:
        scratch=config["base_model"].get("scratch", {}),
        seed=cfg.stable_seed(config["seeds"][0], "base_model"),
    threads: 2
    log:
        log("train_base_model"),
    benchmark:
        bench("train_base_model")
    conda:
        "../envs/synthloop.yaml"
    resources:
        **resources_for("finetune"),
    script:
        "../scripts/train_base_model.py"


rule train_lean_classifier:
    input:
        path("heldout_docs", dataset="{dataset}"),
    output:
        model=path("lean_model", dataset="{dataset}"),
        table=path("table", table="lean_classifier_{dataset}"),
    params:
        seed=lambda wc: cfg.stable_seed(config["seeds"][0], "lean", wc.dataset),
    log:
        log("train_lean_classifier", "{dataset}"),
    benchmark:
        bench("train_lean_classifier", "{dataset}")
    conda:
        "../envs/synthloop.yaml"
    resources:
        **resources_for("analysis"),
    script:
        "../scripts/train_lean_classifier.py"


rule train_quality_classifier:
    input:
        path("heldout_docs", dataset="{dataset}"),
    output:
        model=path("quality_model", dataset="{dataset}"),
        table=path("table", table="quality_classifier_{dataset}"),
    params:
        seed=lambda wc: cfg.stable_seed(config["seeds"][0], "quality", wc.dataset),
    log:
        log("train_quality_classifier", "{dataset}"),
    benchmark:
        bench("train_quality_classifier", "{dataset}")
    conda:
        "../envs/synthloop.yaml"
    resources:
        **resources_for("analysis"),
    script:
        "../scripts/train_quality_classifier.py"
