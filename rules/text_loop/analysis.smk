# The metrics table in two steps: one table per chain (made with the chain: a slice makes its own), then
# their concatenation. The study-wide job reads one file per chain instead of one per chain, generation and
# scorer (2.16 million in the full study 2), so the analysis step of a sliced study plans in little memory.
rule chain_metrics:
    input:
        lambda wc: [entry["path"] for entry in PLAN.chain_score_entries(wc.chain)],
    output:
        path("chain_metrics", chain="{chain}"),
    log:
        log("chain_metrics", "{chain}"),
    benchmark:
        bench("chain_metrics", "{chain}")
    conda:
        "../../envs/synthloop.yaml"
    resources:
        **resources_for("analysis"),
    params:
        entries=lambda wc: keys_of(PLAN.chain_score_entries(wc.chain), "path"),
    script:
        "../../scripts/text_loop/chain_metrics.py"


rule metrics:
    input:
        [path("chain_metrics", chain=chain) for chain in PLAN.chains],
    output:
        table=path("metrics"),
        csv=report(
            path("table", table="metrics"), caption="../../report/text_loop/metrics_table.rst", category=STUDY, subcategory="generations"
        ),
    log:
        log("metrics"),
    benchmark:
        bench("metrics")
    conda:
        "../../envs/synthloop.yaml"
    resources:
        **resources_for("analysis"),
    script:
        "../../scripts/text_loop/metrics.py"


rule figure:
    input:
        path("metrics"),
    output:
        report(path("figure", scorer="{scorer}"), caption="../../report/text_loop/figure.rst", category=STUDY, subcategory="generations"),
    log:
        log("figure", "{scorer}"),
    benchmark:
        bench("figure", "{scorer}")
    conda:
        "../../envs/synthloop.yaml"
    resources:
        **resources_for("analysis"),
    script:
        "../../scripts/text_loop/figure.py"


# Each selection mode against the unselected chains of the same compose (docs/selection.md), over seeds.
if PLAN.selects():

    rule selection_effect:
        input:
            path("metrics"),
        output:
            report(
                path("table", table="selection_effect"),
                caption="../../report/text_loop/metrics_table.rst",
                category=STUDY,
                subcategory="selection",
            ),
        log:
            log("selection_effect"),
        benchmark:
            bench("selection_effect")
        conda:
            "../../envs/synthloop.yaml"
        resources:
            **resources_for("analysis"),
        params:
            pairs=PLAN.selection_baselines(),
        script:
            "../../scripts/text_loop/selection_effect.py"
