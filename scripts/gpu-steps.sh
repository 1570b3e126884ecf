# gpu-steps.sh: sourced by bench-gpu.sh and train-gpu.sh: `gpu_args` parses their common arguments, `gpu_init` brings the
# Vulkan loader and the NVIDIA driver for Dawn where they are missing and starts steps.tsv, `step` runs one timed, limited step.

# gpu_args SCRIPT "$@": sets quick (0/1) and out ('' when not given); exits 2 naming a bad argument (SCRIPT defines usage).
gpu_args() {
  local name=$1 a; shift
  quick=0 out=""
  for a in "$@"; do
    case "$a" in
      --quick) quick=1 ;;
      -h|--help) usage; exit 0 ;;
      -*) echo "$name: unknown option '$a'" >&2; usage >&2; exit 2 ;;
      *) if [ -n "$out" ]; then echo "$name: one OUT_DIR only (got '$out' and '$a')" >&2; exit 2; fi; out=$a ;;
    esac
  done
}

# gpu_init: run from the repository root with $out and $deadline set.
gpu_init() {
  export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp}
  # Vulkan loader and driver for Dawn: .gl/*.deb (libvulkan1 and friends downloaded on another machine) unpacked as root where
  # no loader is installed; an NVIDIA ICD under /usr/local/nvidia used when VK_DRIVER_FILES is unset.
  if ! ldconfig -p 2>/dev/null | grep -q 'libvulkan\.so\.1'; then
    if ls .gl/*.deb >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
      for f in .gl/*.deb; do dpkg -x "$f" /; done
      ldconfig
    fi
  fi
  nv_icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
  if [ -z "${VK_DRIVER_FILES:-}" ] && [ -f "$nv_icd" ]; then export VK_DRIVER_FILES=$nv_icd; fi

  steps="$out/steps.tsv"
  printf 'step\tstatus\tseconds\tlimit\tcommand\n' > "$steps"
}

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
