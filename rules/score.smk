rule score:
    input:
        unpack(score_inputs),
    output:
        summary=path("score", chain="{chain}", gen="{gen}", scorer="{scorer}"),
        texts=path("score_texts", chain="{chain}", gen="{gen}", scorer="{scorer}"),
    params:
        spec=lambda wc: config["scorers"][wc.scorer],
        assets=score_assets,
    threads: 1
    log:
        log("score", "{chain}/g{gen}/{scorer}"),
    benchmark:
        bench("score", "{chain}/g{gen}/{scorer}")
    conda:
        "../envs/synthloop.yaml"
    resources:
        **resources_for("score"),
    script:
        "../scripts/score.py"


rule embed:
    """Sentence embeddings of one text set, shared by every embedding-based scorer."""
    input:
        path("generated", chain="{chain}", gen="{gen}"),
    output:
        path("embeddings", chain="{chain}", gen="{gen}", embedder="{embedder}"),
    params:
        spec=lambda wc: config["embedders"][wc.embedder],
    threads: 1
    log:
        log("embed", "{chain}/g{gen}/{embedder}"),
    benchmark:
        bench("embed", "{chain}/g{gen}/{embedder}")
    conda:
        "../envs/synthloop.yaml"
    resources:
        **resources_for("score"),
    script:
        "../scripts/embed.py"
