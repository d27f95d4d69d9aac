# The real data (training and test tables, subgroups included) and the FID's feature network.


rule prepare_images:
    input:
        **PLAN.data_inputs(),
    output:
        real_train=path("real_train"),
        real_test=path("real_test"),
        train_g0=path("train_g0"),
    log:
        log("prepare_images"),
    benchmark:
        bench("prepare_images")
    conda:
        "../../envs/synthloop.yaml"
    resources:
        **resources_for("analysis"),
    params:
        data=canonical(config["data"]),
        seed=PLAN.data_seed(),
    script:
        "../../scripts/image_loop/prepare_data.py"


rule train_feature_net:
    input:
        real_train=path("real_train"),
    output:
        path("feature_net"),
        path("feature_net") + ".json",
    log:
        log("train_feature_net"),
    benchmark:
        bench("train_feature_net")
    conda:
        "../../envs/synthloop.yaml"
    threads: threads_for("finetune", 1)
    resources:
        **resources_for("finetune"),
    params:
        fid=canonical(config["fid"]),
        training=canonical(config["training"]),
        seed=PLAN.data_seed(),
    script:
        "../../scripts/image_loop/train_feature_net.py"
