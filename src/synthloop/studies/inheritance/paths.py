"""Where an inheritance study's files live: the rules make these paths and the tests read the same table."""

PATHS = {
    "base_model": "results/{study}/models/base",
    "real": "results/{study}/data/{bias}/real.parquet",
    "test": "results/{study}/data/{bias}/test.parquet",
    "augmentation": "results/{study}/augment/{key}/s{seed}.parquet",
    "train": "results/{study}/arms/{arm}/s{seed}/train.parquet",
    "model": "results/{study}/arms/{arm}/s{seed}/model",
    "evaluation": "results/{study}/arms/{arm}/s{seed}/evaluation.parquet",
    "replies": "results/{study}/arms/{arm}/s{seed}/replies.parquet",
    "metrics": "results/{study}/metrics.parquet",
    "embeddings": "results/{study}/analysis/embeddings_{bias}.parquet",
    "figure": "results/{study}/figures/{figure}.png",
}
