#!/usr/bin/env bash
# train-embedded.sh: the recipe of the embedded model models/hvar-small.safetensors on this kind of machine (lavapipe, 2
# cores): the small HIT tokenizer, the small H-VAR on its cached tokens (CE only: the DPO ablation in docs/runs/hvar-small),
# the f16 bundle, the held-back evaluation.
# Every stage resumes from its checkpoint when run again (runs can span sessions), and a finished stage is skipped.
#
# Usage: scripts/train-embedded.sh [RUNS_DIR] [--bundle OUT]
#   RUNS_DIR  default runs; stages write RUNS_DIR/tokenizer-small, RUNS_DIR/hvar-small-nodpo, RUNS_DIR/eval-small
#   --bundle  where the bundle goes (default models/hvar-small.safetensors); its card is RUNS_DIR/hvar-small-nodpo/card.json
# The step counts below are the ones the shipped model was trained with (see models/hvar-small.md for wall times).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
runs=runs bundle=models/hvar-small.safetensors
while [ $# -gt 0 ]; do
  case "$1" in
    --bundle) bundle=${2:?--bundle needs a file}; shift 2 ;;
    -h|--help) sed -n '6,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "train-embedded.sh: unknown option '$1'" >&2; exit 2 ;;
    *) runs=$1; shift ;;
  esac
done
cd "$root"
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp}
[ -f dist/hvar.mjs ] || node scripts/build.mjs --quiet --no-types
hvar="node dist/hvar.mjs"

TOK_STEPS=350 HV_STEPS=${HV_STEPS:-160}
# stage DIR STEPS ARGS...: a fresh run, or --resume of DIR's checkpoint; nothing when its log already reached STEPS.
stage() {
  local kind=$1 dir=$2 steps=$3; shift 3
  if [ -f "$dir/log.jsonl" ] && tail -1 "$dir/log.jsonl" | grep -q "\"step\":$steps,"; then echo "[$kind] $dir: done ($steps steps)"; return; fi
  if [ -f "$dir/checkpoint.safetensors" ]; then $hvar train "$kind" --out "$dir" --resume --steps "$steps"
  else $hvar train "$kind" --out "$dir" --steps "$steps" "$@"; fi
}
stage tokenizer "$runs/tokenizer-small" $TOK_STEPS --config small --crop 128 --batch 4 --every 25 --sample-every 100 --seed 0
stage hvar "$runs/hvar-small-nodpo" $HV_STEPS --vae "$runs/tokenizer-small/vqvae.safetensors" --config small --crop 128 --scale 4 \
  --crops-per-image 16 --batch 8 --lr 5e-4 --warmup 15 --every 20 --seed 0 --dpo 0
[ -f "$runs/hvar-small-nodpo/card.json" ] || { echo "train-embedded.sh: write $runs/hvar-small-nodpo/card.json (the model card) first" >&2; exit 1; }
$hvar bundle --vae "$runs/tokenizer-small/vqvae.safetensors" --hvar "$runs/hvar-small-nodpo/hvar.safetensors" --card "$runs/hvar-small-nodpo/card.json" --dtype f16 "$bundle"
$hvar eval-upscaler --model "$bundle" --size 256 --seed 0 --out "$runs/eval-small"
