#!/usr/bin/env bash
# The GPU figures of docs/performance.md in one go: fine-tuning GPT-2 small, synthloop vs the
# published pad-to-512 recipe; block generation on the model that run trained, batched vs the
# published one-block-at-a-time loop, in float32 (token identity) and bfloat16 (the workflow's
# dtype on a GPU); and the tests that need a GPU. Writes every log to $OUT (default /tmp/gpu-bench).
#
#     bash bench/gpu.sh                 # on a machine with a CUDA GPU, from the repository root
#     SIZE=tiny DEVICE=cpu bash bench/gpu.sh   # the same steps at toy size, to check the script
set -euo pipefail
OUT=${OUT:-/tmp/gpu-bench}
SIZE=${SIZE:-gpt2}
DEVICE=${DEVICE:-cuda}
DOCS=${DOCS:-512}
PROMPT_DOCS=${PROMPT_DOCS:-96}
BATCH=${BATCH:-256}
PYTHON=${PYTHON:-python3}
export PYTHONPATH="$PWD/src${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1
mkdir -p "$OUT"
model=$(mktemp -d)
trap 'rm -rf "$model"' EXIT
{ nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv || true
  $PYTHON -c "import torch, transformers; print('torch', torch.__version__, 'transformers', transformers.__version__)"; } 2>&1 | tee "$OUT/machine.txt"
$PYTHON bench/finetune.py --device "$DEVICE" --size "$SIZE" --docs "$DOCS" --packing --save "$model" 2>&1 | tee "$OUT/finetune.txt"
for dtype in float32 bfloat16; do
  $PYTHON bench/block_generation.py --device "$DEVICE" --model "$model" --docs "$PROMPT_DOCS" --batch-size "$BATCH" --dtype $dtype 2>&1 | tee "$OUT/block_generation_$dtype.txt"
done
if [ "$DEVICE" = cuda ]; then
  $PYTHON -m pytest -q -p no:cacheprovider tests/test_batching.py 2>&1 | tee "$OUT/pytest_gpu.txt"
fi
