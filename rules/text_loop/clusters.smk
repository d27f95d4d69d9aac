# Study 2 (Kovac et al.): datasets split into clusters whose properties differ; chains run on
# each cluster; the relative shift of each metric is regressed on the cluster properties.
# The number of clusters is configured, so one job writes them all and no checkpoint is needed.
rule clusters:
    input:
        path("finetune_docs", dataset="{dataset}"),
        quality=lambda wc: PLAN.cluster_quality_inputs(wc.dataset),
    output:
        clusters=[path("cluster_docs", dataset="{dataset}", cluster=c) for c in cluster_ids(config) if c],
        properties=path("cluster_properties", dataset="{dataset}"),
        members=path("cluster_members", dataset="{dataset}"),
    log:
        log("clusters", "{dataset}"),
    benchmark:
        bench("clusters", "{dataset}")
    conda:
        "../../envs/synthloop.yaml"
    threads: threads_for("score", 2)
    resources:
        **resources_for("score"),
    params:
        spec=canonical(config["chains"].get("clusters")),
        cluster_ids=[c for c in cluster_ids(config) if c],
        embedder=lambda wc: canonical(config["embedders"].get(config["chains"]["clusters"]["embedder"], {"model": "minilm"})),
        seed=lambda wc: stable_seed(config["chains"]["clusters"]["seed"], "clusters", wc.dataset),
        quality=lambda wc: canonical(PLAN.cluster_quality(wc.dataset)),
    script:
        "../../scripts/text_loop/clusters.py"


rule regress:
    input:
        metrics=path("metrics"),
        properties=[path("cluster_properties", dataset=d) for d in chain_datasets(config)],
    output:
        coefficients=path("regression", table="coefficients"),
        table1=report(path("table1"), caption="../../report/text_loop/table1.rst", category=STUDY, subcategory="cluster regression"),
        figure=report(
            path("coefficients"), caption="../../report/text_loop/coefficients.rst", category=STUDY, subcategory="cluster regression"
        ),
    log:
        log("regress"),
    benchmark:
        bench("regress")
    conda:
        "../../envs/synthloop.yaml"
    resources:
        **resources_for("analysis"),
    params:
        regression=canonical(config["regression"]),
        datasets=chain_datasets(config),
    script:
        "../../scripts/text_loop/regress.py"


# Multi-domain (mixed) clusters: each joins one cluster of every domain in chains.mixed.domains;
# mixed chains then run like cluster chains, and each domain's shift is regressed on the
# properties of all the mixed cluster's component clusters (the published Figure 4).


rule mixed_clusters:
    input:
        clusters=[path("cluster_docs", dataset=d, cluster=c) for d, c in mixed_components(config)],
    output:
        clusters=[path("cluster_docs", dataset=MIXED, cluster=m) for m in mixed_ids(config)],
        components=path("mixed_components"),
    log:
        log("mixed_clusters"),
    benchmark:
        bench("mixed_clusters")
    conda:
        "../../envs/synthloop.yaml"
    resources:
        **resources_for("analysis"),
    params:
        domains=mixed_domains(config),
        components=mixed_components(config),
        mixed_ids=mixed_ids(config),
        instructions={d: config["datasets"][d]["instruction"] for d in mixed_domains(config)},
        seed=stable_seed(config["chains"]["mixed"]["seed"], "mixed") if mixed_ids(config) else None,
    script:
        "../../scripts/text_loop/mixed_clusters.py"


rule regress_mixed:
    input:
        metrics=path("metrics"),
        components=path("mixed_components"),
        properties=[path("cluster_properties", dataset=d) for d in mixed_domains(config)],
    output:
        coefficients=path("regression", table="mixed_coefficients"),
        figure=report(
            path("mixed_figure"), caption="../../report/text_loop/mixed_figure.rst", category=STUDY, subcategory="cluster regression"
        ),
    log:
        log("regress_mixed"),
    benchmark:
        bench("regress_mixed")
    conda:
        "../../envs/synthloop.yaml"
    resources:
        **resources_for("analysis"),
    params:
        regression=canonical(config["regression"]),
        domains=mixed_domains(config),
    script:
        "../../scripts/text_loop/regress_mixed.py"
