# Every arm's evaluation in one table; the figures of section 4 (and Figures 7a, 7b, 8, 9, 13).


rule metrics:
    input:
        PLAN.evaluations(),
    output:
        path("metrics"),
    log:
        log("metrics"),
    benchmark:
        bench("metrics")
    conda:
        "../../envs/synthloop.yaml"
    resources:
        **resources_for("analysis"),
    params:
        rows=PLAN.evaluation_rows(),
    script:
        "../../scripts/inheritance/metrics.py"


rule figure_by_ratio:
    input:
        path("metrics"),
    output:
        report(
            path("figure", figure="{figure}_by_ratio"),
            caption="../../report/inheritance/by_ratio.rst",
            category=STUDY,
            subcategory="bias ratio",
        ),
    log:
        log("figure_by_ratio", "{figure}"),
    benchmark:
        bench("figure_by_ratio", "{figure}")
    conda:
        "../../envs/synthloop.yaml"
    resources:
        **resources_for("analysis"),
    params:
        name=lambda wc: f"{wc.figure}_by_ratio",
    script:
        "../../scripts/inheritance/figure.py"


rule figure_by_type_average:
    input:
        path("metrics"),
    output:
        report(
            path("figure", figure="{figure}_by_type_average"),
            caption="../../report/inheritance/by_type_average.rst",
            category=STUDY,
            subcategory="bias ratio",
        ),
    log:
        log("figure_by_type_average", "{figure}"),
    benchmark:
        bench("figure_by_type_average", "{figure}")
    conda:
        "../../envs/synthloop.yaml"
    resources:
        **resources_for("analysis"),
    params:
        name=lambda wc: f"{wc.figure}_by_type_average",
    script:
        "../../scripts/inheritance/figure.py"


rule figure_rounds:
    input:
        path("metrics"),
    output:
        report(path("figure", figure="rounds"), caption="../../report/inheritance/rounds.rst", category=STUDY, subcategory="multi-round"),
    log:
        log("figure_rounds"),
    benchmark:
        bench("figure_rounds")
    conda:
        "../../envs/synthloop.yaml"
    resources:
        **resources_for("analysis"),
    params:
        name="rounds",
    script:
        "../../scripts/inheritance/figure.py"


rule figure_mitigations:
    input:
        path("metrics"),
    output:
        report(
            path("figure", figure="mitigations"),
            caption="../../report/inheritance/mitigations.rst",
            category=STUDY,
            subcategory="mitigation",
        ),
    log:
        log("figure_mitigations"),
    benchmark:
        bench("figure_mitigations")
    conda:
        "../../envs/synthloop.yaml"
    resources:
        **resources_for("analysis"),
    params:
        name="mitigations",
    script:
        "../../scripts/inheritance/figure.py"


rule figure_scaling:
    input:
        path("metrics"),
    output:
        report(
            path("figure", figure="scaling_{generator}"),
            caption="../../report/inheritance/scaling.rst",
            category=STUDY,
            subcategory="scaling",
        ),
    log:
        log("figure_scaling", "{generator}"),
    benchmark:
        bench("figure_scaling", "{generator}")
    conda:
        "../../envs/synthloop.yaml"
    resources:
        **resources_for("analysis"),
    params:
        name=lambda wc: f"scaling_{wc.generator}",
    script:
        "../../scripts/inheritance/figure.py"


rule unbiased_gender_shares:
    input:
        PLAN.unbiased_sets(),
    output:
        table=path("table", table="unbiased_gender_shares"),
        figure=report(
            path("figure", figure="unbiased_gender_shares"),
            caption="../../report/inheritance/unbiased_gender_shares.rst",
            category=STUDY,
            subcategory="analysis",
        ),
    log:
        log("unbiased_gender_shares"),
    benchmark:
        bench("unbiased_gender_shares")
    conda:
        "../../envs/synthloop.yaml"
    resources:
        **resources_for("analysis"),
    script:
        "../../scripts/inheritance/unbiased_gender_shares.py"


rule value_alignment:
    input:
        real=path("real", bias="culture"),
        augmentation=[entry["path"] for entry in PLAN.value_sets()],
    output:
        table=path("table", table="value_alignment"),
        figure=report(
            path("figure", figure="value_alignment"),
            caption="../../report/inheritance/value_alignment.rst",
            category=STUDY,
            subcategory="analysis",
        ),
    log:
        log("value_alignment"),
    benchmark:
        bench("value_alignment")
    conda:
        "../../envs/synthloop.yaml"
    resources:
        **resources_for("analysis"),
    params:
        sets=[{"bias_type": e["bias_type"], "seed": e["seed"]} for e in PLAN.value_sets()],
    script:
        "../../scripts/inheritance/value_alignment.py"


rule embeddings:
    input:
        unpack(lambda wc: PLAN.embedding_inputs(wc.bias)),
    output:
        points=path("embeddings", bias="{bias}"),
        figure=report(
            path("figure", figure="embeddings_{bias}"),
            caption="../../report/inheritance/embeddings.rst",
            category=STUDY,
            subcategory="analysis",
        ),
    log:
        log("embeddings", "{bias}"),
    benchmark:
        bench("embeddings", "{bias}")
    conda:
        "../../envs/synthloop.yaml"
    threads: threads_for("score", 2)
    resources:
        **resources_for("score"),
    params:
        model=PLAN.base_model(),
        embeddings=canonical(config["analysis"]["embeddings"]),
        seed=PLAN.study_seed("embeddings"),
    script:
        "../../scripts/inheritance/embeddings.py"
