from synthloop.data.documents import local_inputs


rule pretraining_corpus:
    output:
        path("pretrain_corpus"),
    log:
        log("pretraining_corpus"),
    benchmark:
        bench("pretraining_corpus")
    conda:
        "../../envs/synthloop.yaml"
    resources:
        **resources_for("analysis"),
    params:
        years=config["base_model"].get("scratch", {}).get("corpus_years", [1790, 2026]),
    script:
        "../../scripts/text_loop/pretraining_corpus.py"


rule prepare_dataset:
    input:
        local=lambda wc: local_inputs(PLAN.loading_spec(wc.dataset)),
    output:
        finetune=path("finetune_docs", dataset="{dataset}"),
        heldout=path("heldout_docs", dataset="{dataset}"),
    log:
        log("prepare_dataset", "{dataset}"),
    benchmark:
        bench("prepare_dataset", "{dataset}")
    conda:
        "../../envs/synthloop.yaml"
    resources:
        **resources_for("analysis"),
    params:
        spec=lambda wc: canonical(PLAN.loading_spec(wc.dataset)),
        seed=lambda wc: PLAN.study_seed("split", wc.dataset),
    script:
        "../../scripts/text_loop/prepare_dataset.py"


# A label subset's fine-tuning set comes from this rule (every document of its labels in its source,
# not only the source's balanced set: study 1's center-only setup), every loaded dataset's from prepare_dataset.
ruleorder: label_subset > prepare_dataset


rule label_subset:
    input:
        local=lambda wc: local_inputs(PLAN.loading_spec(config["datasets"][wc.dataset]["from"])),
    output:
        path("finetune_docs", dataset="{dataset}"),
    log:
        log("label_subset", "{dataset}"),
    benchmark:
        bench("label_subset", "{dataset}")
    wildcard_constraints:
        dataset="|".join(map(re.escape, PLAN.subsets)) or "(?!)",  # (?!): matches nothing
    conda:
        "../../envs/synthloop.yaml"
    resources:
        **resources_for("analysis"),
    params:
        spec=lambda wc: canonical(config["datasets"][wc.dataset]),
        source_spec=lambda wc: canonical(PLAN.loading_spec(config["datasets"][wc.dataset]["from"])),
        seed=lambda wc: PLAN.study_seed("label-subset", wc.dataset),
    script:
        "../../scripts/text_loop/label_subset.py"
