# Study 2 (Kovac et al.): datasets split into clusters whose properties differ; chains run on
# each cluster; the relative shift of each metric is regressed on the cluster properties.
# The number of clusters is configured, so one job writes them all and no checkpoint is needed.

rule clusters:
    input:
        path("finetune_docs", dataset="{dataset}"),
    output:
        clusters=[path("cluster_docs", dataset="{dataset}", cluster=c) for c in cfg.cluster_ids(config) if c],
        properties=path("cluster_properties", dataset="{dataset}"),
        members=path("cluster_members", dataset="{dataset}"),
    params:
        spec=config["chains"].get("clusters"),
        embedder=lambda wc: config["embedders"].get(config["chains"]["clusters"]["embedder"], {"model": "minilm"}),
        seed=lambda wc: cfg.stable_seed(config["chains"]["clusters"]["seed"], "clusters", wc.dataset),
    threads: 2
    log:
        log("clusters", "{dataset}"),
    benchmark:
        bench("clusters", "{dataset}")
    conda:
        "../envs/synthloop.yaml"
    resources:
        **resources_for("score"),
    script:
        "../scripts/clusters.py"


rule regress:
    input:
        metrics=path("metrics"),
        properties=[path("cluster_properties", dataset=d) for d in cfg.chain_datasets(config)],
    output:
        coefficients=path("regression", table="coefficients"),
        table1=report(path("table1"), category="regression"),
        figure=report(path("coefficients"), category="regression"),
    params:
        regression=REGRESSION,
    log:
        log("regress"),
    benchmark:
        bench("regress")
    conda:
        "../envs/synthloop.yaml"
    resources:
        **resources_for("analysis"),
    script:
        "../scripts/regress.py"


# Multi-domain (mixed) clusters: each joins one cluster of every domain in chains.mixed.domains;
# mixed chains then run like cluster chains, and each domain's shift is regressed on the
# properties of all the mixed cluster's component clusters (the published Figure 4).

rule mixed_clusters:
    input:
        clusters=[path("cluster_docs", dataset=d, cluster=c) for d in cfg.mixed_domains(config) for c in cfg.cluster_ids(config) if c],
    output:
        clusters=[path("cluster_docs", dataset=cfg.MIXED, cluster=m) for m in cfg.mixed_ids(config)],
        components=path("mixed_components"),
    params:
        domains=cfg.mixed_domains(config),
        instructions={d: config["datasets"][d]["instruction"] for d in cfg.mixed_domains(config)},
        seed=cfg.stable_seed(config["chains"]["mixed"]["seed"], "mixed") if cfg.mixed_ids(config) else None,
    log:
        log("mixed_clusters"),
    benchmark:
        bench("mixed_clusters")
    conda:
        "../envs/synthloop.yaml"
    resources:
        **resources_for("analysis"),
    script:
        "../scripts/mixed_clusters.py"


rule regress_mixed:
    input:
        metrics=path("metrics"),
        components=path("mixed_components"),
        properties=[path("cluster_properties", dataset=d) for d in cfg.mixed_domains(config)],
    output:
        coefficients=path("regression", table="mixed_coefficients"),
        figure=report(path("mixed_figure"), category="regression"),
    params:
        regression=REGRESSION,
        domains=cfg.mixed_domains(config),
    log:
        log("regress_mixed"),
    benchmark:
        bench("regress_mixed")
    conda:
        "../envs/synthloop.yaml"
    resources:
        **resources_for("analysis"),
    script:
        "../scripts/regress_mixed.py"
