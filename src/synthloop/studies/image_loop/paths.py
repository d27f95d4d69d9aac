"""Where an image-loop study's files live: the rules make these paths and the tests read the same table."""

PATHS = {
    "real_train": "results/{study}/data/real_train.parquet",
    "real_test": "results/{study}/data/real_test.parquet",
    "train_g0": "results/{study}/data/train_g0.parquet",
    "feature_net": "results/{study}/models/fid_features.safetensors",
    # a bias arm's own real data and FID feature net (arms.bias; a study without that axis uses the four above)
    "arm_real_train": "results/{study}/data/{bias}/real_train.parquet",
    "arm_real_test": "results/{study}/data/{bias}/real_test.parquet",
    "arm_train_g0": "results/{study}/data/{bias}/train_g0.parquet",
    "arm_feature_net": "results/{study}/models/{bias}/fid_features.safetensors",
    "image_train": "results/{study}/chains/{chain}/g{gen}/train.parquet",
    "image_generated": "results/{study}/chains/{chain}/g{gen}/generated.parquet",
    "synthesis": "results/{study}/chains/{chain}/g{gen}/synthesis.json",
    "classifiers": "results/{study}/chains/{chain}/g{gen}/classifiers",
    "predictions": "results/{study}/chains/{chain}/g{gen}/predictions.parquet",
    "image_metrics": "results/{study}/metrics.parquet",
    "fid_metrics": "results/{study}/fid.parquet",
    "image_figure": "results/{study}/figures/{figure}.png",
}
