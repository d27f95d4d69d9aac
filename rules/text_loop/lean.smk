# Study 2 (Kovac et al.): political lean partitions. A dataset with `source: lean_partition` is
# drawn from another dataset's fine-tuning texts, scored once by the configured lean scorer;
# chains run on it like on any dataset; lean_analysis compares final with initial lean and
# follows the shares of eight lean buckets over generations.
rule lean_scores:
    """The source's fine-tuning texts with a 0-100 lean per text (column `lean`), scored once for all its partitions."""
    input:
        docs=path("finetune_docs", dataset="{dataset}"),
        assets=lambda wc: PLAN.products(PLAN.scorer_assets(config["scorers"][wc.scorer], wc.dataset).values()),
    output:
        path("lean_scores", dataset="{dataset}", scorer="{scorer}"),
    log:
        log("lean_scores", "{dataset}.{scorer}"),
    benchmark:
        bench("lean_scores", "{dataset}.{scorer}")
    conda:
        "../../envs/synthloop.yaml"
    threads: threads_for("score", 1)
    resources:
        **resources_for("score"),
    params:
        spec=lambda wc: canonical(PLAN.lean_scores_spec(wc.scorer)),
        assets=lambda wc: PLAN.scorer_assets(config["scorers"][wc.scorer], wc.dataset),
    script:
        "../../scripts/text_loop/lean_scores.py"


# A partition's fine-tuning set comes from this rule, every other dataset's from prepare_dataset.
ruleorder: lean_partition > prepare_dataset


rule lean_partition:
    input:
        lambda wc: PLAN.lean_scores_input(wc.dataset),
    output:
        path("finetune_docs", dataset="{dataset}"),
    log:
        log("lean_partition", "{dataset}"),
    benchmark:
        bench("lean_partition", "{dataset}")
    wildcard_constraints:
        dataset="|".join(map(re.escape, PLAN.partitions)) or "(?!)",  # (?!): matches nothing
    conda:
        "../../envs/synthloop.yaml"
    resources:
        **resources_for("analysis"),
    params:
        spec=lambda wc: canonical(config["datasets"][wc.dataset]),
        seed=lambda wc: PLAN.study_seed("lean-partition", config["datasets"][wc.dataset]["from"]),
    script:
        "../../scripts/text_loop/lean_partition.py"


rule lean_analysis:
    input:
        partitions=[path("finetune_docs", dataset=d) for d in PLAN.partitions],
        texts=[p for entry in PLAN.lean_entries() for p in entry["texts"]],
    output:
        final=path("lean_table", table="final_vs_initial"),
        buckets=path("lean_table", table="buckets"),
        final_figure=report(
            path("lean_figure", table="final_vs_initial"),
            caption="../../report/text_loop/lean_final.rst",
            category=STUDY,
            subcategory="lean partitions",
        ),
        buckets_figure=report(
            path("lean_figure", table="buckets"),
            caption="../../report/text_loop/lean_buckets.rst",
            category=STUDY,
            subcategory="lean partitions",
        ),
    log:
        log("lean_analysis"),
    benchmark:
        bench("lean_analysis")
    conda:
        "../../envs/synthloop.yaml"
    resources:
        **resources_for("analysis"),
    params:
        partitions=PLAN.partitions,
        entries=keys_of(PLAN.lean_entries(), "texts"),
    script:
        "../../scripts/text_loop/lean_analysis.py"
