#!/usr/bin/env bash
# bench-gpu.sh: on a machine with a real GPU (Dawn's Vulkan backend, e.g. on NVIDIA), runs the doctor, the kernel benchmark
# and the paper benchmark (d16 and small) and writes every result into one folder with a summary.md; each step runs under a
# time limit and the whole run under a deadline of 470 s, so that it ends within 8 minutes.
#
# Usage: scripts/bench-gpu.sh [OUT_DIR] [--quick]
#   OUT_DIR  default bench/results/gpu-<UTC date-time>
#   --quick  a smoke run of the same steps: one kernel case without tfjs, the paper bench at the test size 'tiny', 1 repeat
# Needs node and node_modules (webgpu; @tensorflow/* for the tfjs peer); builds dist/ (esbuild) only when it is missing. Where
# no Vulkan loader is installed and .gl/*.deb exist (libvulkan1 and friends downloaded on another machine), it unpacks them
# (as root); an NVIDIA ICD under /usr/local/nvidia is used when VK_DRIVER_FILES is unset.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
usage() { sed -n '6,11p' "$0" | sed 's/^# \{0,1\}//'; }
. "$root/scripts/gpu-steps.sh"
gpu_args bench-gpu.sh "$@"
out=${out:-$root/bench/results/gpu-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$out" || exit 1
out=$(cd "$out" && pwd)
cd "$root" || exit 1
t0=$(date +%s)
deadline=$((t0 + 470))

if [ ! -f dist/hvar.mjs ] || [ ! -f dist/bench.mjs ] || [ ! -f dist/bench-paper.mjs ]; then
  node scripts/build.mjs --quiet --no-types || { echo "bench-gpu.sh: building dist/ failed" >&2; exit 1; }
fi

gpu_init

hvar="node dist/hvar.mjs"
step doctor 30 sh -c "$hvar doctor --json > '$out/doctor.json'"
if [ $quick = 1 ]; then
  step kernels 90 $hvar bench kernels 'd16 layerNorm' --repeats 1 --warmup 0 --no-tfjs --out "$out"
  step paper-tiny 90 $hvar bench paper --size tiny --repeats 1 --warmup 0 --out "$out"
else
  step kernels 150 $hvar bench kernels --repeats 5 --warmup 1 --budget 10 --out "$out"
  step paper-small 60 $hvar bench paper --size small --repeats 3 --warmup 1 --out "$out"
  step paper-d16 200 $hvar bench paper --size d16 --repeats 3 --warmup 1 --out "$out"
fi

node scripts/bench-summary.mjs "$out" $([ $quick = 1 ] && echo --quick) || exit 1
elapsed=$(($(date +%s) - t0))
echo "bench-gpu.sh: ${elapsed} s; results in $out (summary.md)"
grep -q $'\tok\t' "$steps" && ! grep -qv -e $'\tok\t' -e '^step' "$steps"
