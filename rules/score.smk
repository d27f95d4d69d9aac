rule score:
    """Every configured scorer on one text set in one job: each model loads once, and each
    embedder runs once, its vectors shared by every embedding-based scorer (and kept)."""
    input:
        unpack(score_inputs),
    output:
        summaries=[path("score", chain="{chain}", gen="{gen}", scorer=s) for s in SCORER_NAMES],
        texts=[path("score_texts", chain="{chain}", gen="{gen}", scorer=s) for s in SCORER_NAMES],
        embeddings=[path("embeddings", chain="{chain}", gen="{gen}", embedder=e) for e in EMBEDDERS_USED],
    params:
        scorers=SCORER_NAMES,
        specs=config["scorers"],
        embedders={e: config["embedders"][e] for e in EMBEDDERS_USED},
        assets=scored_domains,
    threads: 1
    log:
        log("score", "{chain}/g{gen}"),
    benchmark:
        bench("score", "{chain}/g{gen}")
    conda:
        "../envs/synthloop.yaml"
    resources:
        **resources_for("score"),
    script:
        "../scripts/score.py"
