#!/usr/bin/env bash
# train-gpu.sh: the embedded model's recipe (small HIT tokenizer, then the small H-VAR on its cached tokens, a bundle with its
# card, the held-back evaluation against bicubic and one example upscale) scaled to fill about 8 minutes of a real GPU
# (Dawn's Vulkan backend); every step runs under a time limit and the whole under a 470 s deadline; all output in one folder.
#
# Usage: scripts/train-gpu.sh [OUT_DIR] [--quick]
#   OUT_DIR  default runs/gpu-<UTC date-time>
#   --quick  a smoke run of the same steps here: tiny configurations, 16/32 px crops, a few steps each
# A training step that reaches its limit is stopped; its last checkpoint (weights included, every --every steps) is what the
# later steps use, and `hvar train ... --out DIR --resume` continues it. Needs node and node_modules; builds dist/ when missing.
# Where no Vulkan loader is installed and .gl/*.deb exist, it unpacks them (as root); an NVIDIA ICD under /usr/local/nvidia is
# used when VK_DRIVER_FILES is unset.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
usage() { sed -n '6,8p' "$0" | sed 's/^# \{0,1\}//'; }
. "$root/scripts/gpu-steps.sh"
gpu_args train-gpu.sh "$@"
out=${out:-$root/runs/gpu-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$out" || exit 1
out=$(cd "$out" && pwd)
cd "$root" || exit 1
t0=$(date +%s)
deadline=$((t0 + 470))

if [ ! -f dist/hvar.mjs ]; then
  node scripts/build.mjs --quiet --no-types || { echo "train-gpu.sh: building dist/ failed" >&2; exit 1; }
fi

gpu_init

hvar="node dist/hvar.mjs"
if [ $quick = 1 ]; then
  tok="--config tiny --crop 32 --batch 2 --steps 3 --every 1 --sample-every 3 --warmup 1"
  hv="--config tiny --crop 16 --scale 2 --batch 2 --crops-per-image 1 --steps 3 --every 1 --warmup 1"
  ev="--size 32" lim_tok=120 lim_hv=150 example=$out/example_in.png
  node --input-type=module -e "
    import { readImageSync, writeImageSync } from '$root/dist/node.mjs';
    const a = readImageSync('$root/examples/images/wine_lr.png'), s = 12, d = new Float32Array(3 * s * s);
    for (let c = 0; c < 3; c++) for (let y = 0; y < s; y++) for (let x = 0; x < s; x++) d[(c * s + y) * s + x] = a.data[(c * a.h + y) * a.w + x];
    writeImageSync('$example', { data: d, c: 3, h: s, w: s });" || exit 1
else
  tok="--config small --crop 256 --batch 16 --steps 400 --every 25 --sample-every 100 --warmup 40"
  hv="--config small --crop 256 --scale 4 --batch 16 --crops-per-image 8 --steps 600 --every 25 --warmup 60 --dpo 0"
  ev="--size 256" lim_tok=170 lim_hv=210 example=examples/images/wine_lr.png
fi
step doctor 30 sh -c "$hvar doctor --json > '$out/doctor.json'"
step tokenizer $lim_tok $hvar train tokenizer --out "$out/tokenizer" $tok --seed 0
step hvar $lim_hv $hvar train hvar --vae "$out/tokenizer/vqvae.safetensors" --out "$out/hvar" $hv --seed 0
node -e '
  const [dir, quick] = process.argv.slice(1), fs = require("fs");
  const rows = (f) => { try { return fs.readFileSync(f, "utf8").trim().split("\n").filter(Boolean).map(JSON.parse); } catch { return []; } };
  const t = rows(dir + "/tokenizer/log.jsonl"), h = rows(dir + "/hvar/log.jsonl");
  const card = { name: quick === "1" ? "gpu-recipe-quick" : "gpu-recipe-small", data: "data/train-2k (held-back split excluded)",
    steps: h.length ? h[h.length - 1].step : 0, tokenizerSteps: t.length ? t[t.length - 1].step : 0,
    commands: fs.readFileSync(dir + "/steps.tsv", "utf8").trim().split("\n").slice(1).map((l) => l.split("\t")[4]),
    licence: "MIT (weights); training photos keep their own licences, data/train-2k/PROVENANCE.md", trainedWith: "scripts/train-gpu.sh" };
  fs.writeFileSync(dir + "/card.json.tmp", JSON.stringify(card, null, 2)); fs.renameSync(dir + "/card.json.tmp", dir + "/card.json");
' "$out" $quick
step bundle 60 $hvar bundle --vae "$out/tokenizer/vqvae.safetensors" --hvar "$out/hvar/hvar.safetensors" --card "$out/card.json" "$out/model.safetensors"
step eval 90 $hvar eval-upscaler --model "$out/model.safetensors" $ev --seed 0 --out "$out/eval"
step upscale 60 $hvar upscale "$example" --model "$out/model.safetensors" --seed 0 --out "$out/example"

elapsed=$(($(date +%s) - t0))
{
  echo "# train-gpu.sh run ($([ $quick = 1 ] && echo quick || echo full))"
  echo
  echo "- revision: $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown); wall ${elapsed} s"
  echo "- adapter: $(node -e 'try { const d = require(process.argv[1]); console.log([d.vendor, d.architecture, d.device, d.description].filter(Boolean).join(" / ")); } catch { console.log("(doctor.json missing or unreadable)"); }' "$out/doctor.json")"
  echo
  echo "| step | status | seconds | limit |"
  echo "|---|---|---:|---:|"
  tail -n +2 "$steps" | awk -F'\t' '{ printf "| %s | %s | %s | %s |\n", $1, $2, $3, $4 }'
  for n in tokenizer hvar; do echo; echo "## $n: last progress line"; echo; echo '```'; grep '^step ' "$out/$n.log" 2>/dev/null | tail -1; echo '```'; done
  if [ -f "$out/eval/report.md" ]; then echo; echo "## held-back evaluation"; echo; cat "$out/eval/report.md"; fi
} > "$out/summary.md.tmp" && mv "$out/summary.md.tmp" "$out/summary.md"
echo "train-gpu.sh: ${elapsed} s; results in $out (summary.md)"
# Success: the bundle, evaluation and example ran; the training steps may have been stopped by their limit.
for s in bundle eval upscale; do grep -q "^$s"$'\tok\t' "$steps" || exit 1; done
