# Mechanistic analysis of study 1 (Wang et al.): every model version's feed-forward output units
# get a weight value and a mean activation on a fixed probe set; across the versions of each
# chain, first differences of a metric are regressed on each unit's first differences with
# Newey-West errors (differences and lags never span two chains).
rule neuron_values:
    """All versions of one chain in one job: loading torch costs more than the probe pass itself."""
    input:
        models=lambda wc: [path("model", chain=wc.chain, gen=g) for g in GENERATIONS],
        probes=lambda wc: PLAN.neuron_probes(wc.chain)[0],
    output:
        [path("neurons", chain="{chain}", gen=g) for g in GENERATIONS],
    log:
        log("neuron_values", "{chain}"),
    benchmark:
        bench("neuron_values", "{chain}")
    conda:
        "../../envs/synthloop.yaml"
    threads: threads_for("score", 1)
    resources:
        **resources_for("score"),
    params:
        probe_size=config["neurons"]["probe_size"],
        max_length=config["neurons"]["probe_max_length"],
        batch_size=config["neurons"]["batch_size"],
        seed=lambda wc: PLAN.neuron_probes(wc.chain)[1],
    script:
        "../../scripts/text_loop/neuron_values.py"


rule neuron_analysis:
    input:
        values=[v["path"] for v in PLAN.neuron_versions()],
        metrics=path("metrics"),
    output:
        per_neuron=path("neuron_results"),
        set_sizes=path("neuron_set_sizes"),
        overlap=path("neuron_overlap"),
        venn=report(path("neuron_venn"), caption="../../report/text_loop/neuron_venn.rst", category=STUDY, subcategory="neurons"),
        correlations=report(
            path("neuron_correlations"), caption="../../report/text_loop/neuron_correlations.rst", category=STUDY, subcategory="neurons"
        ),
    log:
        log("neuron_analysis"),
    benchmark:
        bench("neuron_analysis")
    conda:
        "../../envs/synthloop.yaml"
    resources:
        **resources_for("analysis"),
    params:
        versions=keys_of(PLAN.neuron_versions(), "path"),
        metrics=canonical(PLAN.neuron_metrics()),
        maxlags=config["neurons"]["maxlags"],
        alpha=config["neurons"]["alpha"],
    script:
        "../../scripts/text_loop/neuron_analysis.py"
