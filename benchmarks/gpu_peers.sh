#!/usr/bin/env bash
# Isaac-Cartpole-Direct kit-less on CUDA, side by side: our trainer vs Isaac Lab's own `isaaclab train
# --rl_library skrl`, 4096 environments, a few hundred PPO iterations each (issue 19 item 5).
#
#   benchmarks/gpu_peers.sh --dry-run     # print what would run; needs no GPU (checked on CPU-only machines)
#   benchmarks/gpu_peers.sh               # on a CUDA machine with .venv-isaaclab (scripts/setup-isaaclab-env.sh)
#
# Both sides run as whole processes under benchmarks/peer_clock.py (its hook only reads the clock), in
# interleaved rounds with the order alternating; each reports env steps/s between its first and last PPO
# update. The result (GPU named, steps/s per side, the ratio per round and its median) is written between
# the `bench:gpu-peers` markers of docs/benchmarks.md. Every command is printed before it runs.
#
# Environment: ITERATIONS (default 300), NUM_ENVS (4096), ROUNDS (2), ISAACLAB_VENV (<repo>/.venv-isaaclab),
# ISAACSIM_ASSET_ROOT (default <repo>/.cache/isaaclab-assets, the stand-in assets the setup script makes).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${ISAACLAB_VENV:-$repo/.venv-isaaclab}"
iterations="${ITERATIONS:-300}"
num_envs="${NUM_ENVS:-4096}"
rounds="${ROUNDS:-2}"
task="Isaac-Cartpole-Direct"
dry_run=0

usage() { sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

case "${1:-}" in
  -h | --help) usage; exit 0 ;;
  --dry-run) dry_run=1 ;;
  "") ;;
  *) echo "gpu_peers.sh: unknown argument: $1 (accepted: --dry-run, --help)" >&2; exit 2 ;;
esac
for value in "$iterations" "$num_envs" "$rounds"; do
  [[ "$value" =~ ^[1-9][0-9]*$ ]] || { echo "gpu_peers.sh: ITERATIONS, NUM_ENVS and ROUNDS take whole numbers >= 1" >&2; exit 2; }
done

out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
export ISAACSIM_ASSET_ROOT="${ISAACSIM_ASSET_ROOT:-$repo/.cache/isaaclab-assets}"
python="$venv/bin/python"

ours=(-m training rl --task "$task" --num-envs "$num_envs" --max-iterations "$iterations" --device cuda
  --physics newton_mjwarp --seed 42)
peer=(-m isaaclab train --rl_library skrl --task "$task-v0" --num_envs "$num_envs" --max_iterations "$iterations"
  --headless --device cuda:0 --seed 42 presets=newton_mjwarp)

run() {  # run NAME ROUND ARGV...: one process under the clock; marks in $out/NAME-ROUND.json
  local name="$1" round="$2"; shift 2
  local cmd=("$python" -m benchmarks.peer_clock "$out/$name-$round.json" "$@")
  echo "+ ${cmd[*]}" >&2
  if (( dry_run )); then return 0; fi
  (cd "$repo" && "${cmd[@]}" >"$out/$name-$round.log" 2>&1) || {
    echo "gpu_peers.sh: $name (round $round) failed; last lines:" >&2; tail -20 "$out/$name-$round.log" >&2; exit 1; }
}

if (( ! dry_run )); then
  command -v nvidia-smi >/dev/null || { echo "gpu_peers.sh: no nvidia-smi: this needs a CUDA machine" >&2; exit 1; }
  [[ -x "$python" ]] || { echo "gpu_peers.sh: $python missing; run scripts/setup-isaaclab-env.sh" >&2; exit 1; }
  "$python" -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' \
    || { echo "gpu_peers.sh: torch in $venv sees no CUDA device" >&2; exit 1; }
fi

for ((i = 0; i < rounds; i++)); do
  if (( i % 2 == 0 )); then
    run ours "$i" "${ours[@]}" --output-dir "$out/ours-$i"; run peer "$i" "${peer[@]}"
  else
    run peer "$i" "${peer[@]}"; run ours "$i" "${ours[@]}" --output-dir "$out/ours-$i"
  fi
done
if (( dry_run )); then echo "gpu_peers.sh: dry run, nothing ran" >&2; exit 0; fi

gpu="$(nvidia-smi --query-gpu=name --format=csv,noheader | head -1)"
(cd "$repo" && "$python" - "$out" "$rounds" "$num_envs" "$iterations" "$gpu" "${ours[*]}" "${peer[*]}" <<'PY'
import json, statistics, sys
from pathlib import Path
sys.path.insert(0, ".")
from benchmarks.common import machine_line, write_section
out, rounds, envs, iterations, gpu, ours, peer = sys.argv[1:]
def rate(name, i):
    m = json.loads((Path(out) / f"{name}-{i}.json").read_text())
    (t0, s0), (t1, s1) = m["updates"][0], m["updates"][-1]
    return (s1 - s0) * int(envs) / (t1 - t0)
o = [rate("ours", i) for i in range(int(rounds))]
p = [rate("peer", i) for i in range(int(rounds))]
r = [a / b for a, b in zip(o, p)]
body = "\n".join([
    "## Isaac-Cartpole-Direct on a GPU (benchmarks/gpu_peers.sh)", "",
    f"Machine: {machine_line()}; GPU: {gpu}. {envs} envs, {iterations} PPO iterations, {rounds} interleaved rounds.", "",
    "| side | command | env steps/s, median (spread) |", "|---|---|---|",
    f"| ours | `python {ours}` | {statistics.median(o):,.0f} ({min(o):,.0f}-{max(o):,.0f}) |",
    f"| Isaac Lab | `python {peer}` | {statistics.median(p):,.0f} ({min(p):,.0f}-{max(p):,.0f}) |",
    "", f"Ratio ours/Isaac Lab per round: {', '.join(f'{x:.3f}' for x in r)}; median **{statistics.median(r):.3f}**.",
])
write_section("gpu-peers", body)
print(body)
PY
)
