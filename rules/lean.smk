# Study 2 (Kovac et al.): political lean partitions. A dataset with `source: lean_partition` is
# drawn from another dataset's fine-tuning texts, scored once by the configured lean scorer;
# chains run on it like on any dataset; lean_analysis compares final with initial lean and
# follows the shares of eight lean buckets over generations.


rule lean_scores:
    """The source's fine-tuning texts with a 0-100 lean per text (column `lean`), scored once for all its partitions."""
    input:
        unpack(lean_scores_inputs),
    output:
        path("lean_scores", dataset="{dataset}", scorer="{scorer}"),
    params:
        spec=lambda wc: config["scorers"][wc.scorer],
        assets=lean_scorer_assets,
    threads: 1
    log:
        log("lean_scores", "{dataset}.{scorer}"),
    benchmark:
        bench("lean_scores", "{dataset}.{scorer}")
    conda:
        "../envs/synthloop.yaml"
    resources:
        **resources_for("score"),
    script:
        "../scripts/lean_scores.py"


# A partition's fine-tuning set comes from this rule, every other dataset's from prepare_dataset.
ruleorder: lean_partition > prepare_dataset


rule lean_partition:
    input:
        lean_partition_input,
    output:
        path("finetune_docs", dataset="{dataset}"),
    wildcard_constraints:
        dataset=PARTITION_PATTERN,
    params:
        spec=lambda wc: config["datasets"][wc.dataset],
        seed=lambda wc: cfg.stable_seed(config["seeds"][0], "lean-partition", config["datasets"][wc.dataset]["from"]),
    log:
        log("lean_partition", "{dataset}"),
    benchmark:
        bench("lean_partition", "{dataset}")
    conda:
        "../envs/synthloop.yaml"
    resources:
        **resources_for("analysis"),
    script:
        "../scripts/lean_partition.py"


rule lean_analysis:
    input:
        partitions=[path("finetune_docs", dataset=d) for d in LEAN_PARTITIONS],
        texts=[p for entry in lean_entries() for p in entry["texts"]],
    output:
        final=path("lean_table", table="final_vs_initial"),
        buckets=path("lean_table", table="buckets"),
        final_figure=report(path("lean_figure", table="final_vs_initial"), category=STUDY, subcategory="lean partitions"),
        buckets_figure=report(path("lean_figure", table="buckets"), category=STUDY, subcategory="lean partitions"),
    params:
        partitions=LEAN_PARTITIONS,
        entries=lean_entries(),
    log:
        log("lean_analysis"),
    benchmark:
        bench("lean_analysis")
    conda:
        "../envs/synthloop.yaml"
    resources:
        **resources_for("analysis"),
    script:
        "../scripts/lean_analysis.py"
