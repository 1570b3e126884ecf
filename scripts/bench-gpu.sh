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
quick=0 out=""
for a in "$@"; do
  case "$a" in
    --quick) quick=1 ;;
    -h|--help) usage; exit 0 ;;
    -*) echo "bench-gpu.sh: unknown option '$a'" >&2; usage >&2; exit 2 ;;
    *) if [ -n "$out" ]; then echo "bench-gpu.sh: one OUT_DIR only (got '$out' and '$a')" >&2; exit 2; fi; out=$a ;;
  esac
done
out=${out:-$root/bench/results/gpu-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$out" || exit 1
out=$(cd "$out" && pwd)
cd "$root" || exit 1
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp}
t0=$(date +%s)
deadline=$((t0 + 470))

# Vulkan loader and driver for Dawn.
if ! ldconfig -p 2>/dev/null | grep -q 'libvulkan\.so\.1'; then
  if ls .gl/*.deb >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    for f in .gl/*.deb; do dpkg -x "$f" /; done
    ldconfig
  fi
fi
nv_icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
if [ -z "${VK_DRIVER_FILES:-}" ] && [ -f "$nv_icd" ]; then export VK_DRIVER_FILES=$nv_icd; fi

if [ ! -f dist/hvar.mjs ] || [ ! -f dist/bench.mjs ] || [ ! -f dist/bench-paper.mjs ]; then
  node scripts/build.mjs --quiet --no-types || { echo "bench-gpu.sh: building dist/ failed" >&2; exit 1; }
fi

steps="$out/steps.tsv"
printf 'step\tstatus\tseconds\tlimit\tcommand\n' > "$steps"
# step NAME LIMIT_S CMD...: runs CMD with its output in NAME.log, under min(LIMIT_S, time left before the deadline).
step() {
  local name=$1 limit=$2; shift 2
  local left=$((deadline - $(date +%s)))
  [ "$left" -lt "$limit" ] && limit=$left
  if [ "$limit" -lt 5 ]; then printf '%s\tskipped (deadline)\t0\t0\t%s\n' "$name" "$*" >> "$steps"; echo "[$name] skipped: deadline"; return; fi
  echo "[$name] $* (limit ${limit} s)"
  local s=$(date +%s.%N)
  timeout -k 10 "$limit" "$@" > "$out/$name.log" 2>&1
  local rc=$? e=$(date +%s.%N) status
  case $rc in 0) status=ok ;; 124|137) status="timed out" ;; *) status="failed ($rc)" ;; esac
  printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$status" "$(awk "BEGIN { printf \"%.1f\", $e - $s }")" "$limit" "$*" >> "$steps"
  echo "[$name] $status"
}

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
