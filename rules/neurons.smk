# Mechanistic analysis of study 1 (Wang et al.): every model version's feed-forward output units
# get a weight value and a mean activation on a fixed probe set; across the versions of each
# chain, first differences of a metric are regressed on each unit's first differences with
# Newey-West errors (differences and lags never span two chains).

rule neuron_values:
    """All versions of one chain in one job: loading torch costs more than the probe pass itself."""
    input:
        models=lambda wc: [path("model", chain=wc.chain, gen=g) for g in GENERATIONS],
        probes=lambda wc: path("finetune_docs", dataset=chain_of(wc).dataset),
    output:
        [path("neurons", chain="{chain}", gen=g) for g in GENERATIONS],
    params:
        probe_size=NEURONS["probe_size"],
        max_length=NEURONS["probe_max_length"],
        batch_size=NEURONS["batch_size"],
        seed=lambda wc: cfg.stable_seed(config["seeds"][0], "neuron_probes", chain_of(wc).dataset),
        trust_remote_code=config["trust_remote_code"],
    threads: 1
    log:
        log("neuron_values", "{chain}"),
    benchmark:
        bench("neuron_values", "{chain}")
    conda:
        "../envs/synthloop.yaml"
    resources:
        **resources_for("score"),
    script:
        "../scripts/neuron_values.py"


rule neuron_analysis:
    input:
        values=[v["path"] for v in neuron_versions()],
        metrics=path("metrics"),
    output:
        per_neuron=path("neuron_results"),
        set_sizes=path("neuron_set_sizes"),
        overlap=path("neuron_overlap"),
        venn=report(path("neuron_venn"), category="neurons"),
        correlations=report(path("neuron_correlations"), category="neurons"),
    params:
        versions=neuron_versions(),
        metrics=neuron_metrics(),
        maxlags=NEURONS["maxlags"],
        alpha=NEURONS["alpha"],
    log:
        log("neuron_analysis"),
    benchmark:
        bench("neuron_analysis")
    conda:
        "../envs/synthloop.yaml"
    resources:
        **resources_for("analysis"),
    script:
        "../scripts/neuron_analysis.py"
