#!/usr/bin/env bash
# Load test of the scoring service with wrk, on 127.0.0.1 only. For each series it starts the service, warms it up,
# and runs DURATION seconds at each of CONNECTIONS: requests/s, p50/p99 latency, errors (non-2xx and socket errors)
# and the service's working set (VmRSS) before and after. Series:
#   sru          the SRU model, PredictionEngine pool
#   sru-swap     the same while the model file is replaced every SWAP_EVERY seconds (two SRU models in turn)
#   sru-batch    the SRU model, batched Transform (Scoring:Engine=Batch)
#   sdca         an ML.NET SdcaMaximumEntropy model of the same data, PredictionEngine pool
# Models are trained first with the MNIST sample unless MODEL_DIR already holds mnist-sru.zip, mnist-sru-b.zip
# and mnist-sdca.zip. Bounded in time (about 4 × 3 × DURATION s plus training); stops the service by itself.
#
#   bash samples/Sru.ScoringService/loadtest.sh                 # 60 s per point
#   DURATION=20 SERIES="sru sdca" bash samples/Sru.ScoringService/loadtest.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

DURATION=${DURATION:-60}
CONNECTIONS=${CONNECTIONS:-"1 8 64"}
SERIES=${SERIES:-"sru sru-swap sru-batch sdca"}
SWAP_EVERY=${SWAP_EVERY:-5}
PORT=${PORT:-5080}
OUT=${OUT:-$PWD/loadtest-results}
MODEL_DIR=${MODEL_DIR:-$OUT/models}
URL="http://127.0.0.1:$PORT"
mkdir -p "$OUT" "$MODEL_DIR"
RESULTS="$OUT/results.md"

if ! command -v wrk >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq wrk
fi

dotnet build -c Release samples/Sru.ScoringService -v quiet -nologo
dotnet build -c Release samples/Sru.MnistSample -v quiet -nologo
SERVICE=samples/Sru.ScoringService/bin/Release/net10.0/Sru.ScoringService.dll

sample() { dotnet samples/Sru.MnistSample/bin/Release/net10.0/Sru.MnistSample.dll "$@"; }
if [ ! -f "$MODEL_DIR/mnist-sru.zip" ] || [ ! -f "$MODEL_DIR/mnist-sdca.zip" ]; then
  echo "== training the SRU (defaults, 3 epochs) and SdcaMaximumEntropy on MNIST"
  sample compare --models sru sdca --save "$MODEL_DIR" | tee "$OUT/training.txt"
fi
if [ ! -f "$MODEL_DIR/mnist-sru-b.zip" ]; then
  echo "== training a second SRU to swap with (1 epoch, seed 2)"
  sample train --epochs 1 --seed 2 --output "$MODEL_DIR/mnist-sru-b.zip" | tail -3 | tee -a "$OUT/training.txt"
fi

# Request bodies: the first 200 MNIST test images, pixels scaled to [0, 1], sent in turn.
MNIST=${SRU_MNIST_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/sru-mlnet/mnist}
python3 - "$MNIST" "$OUT/bodies.lua" <<'PY'
import gzip, os, sys
folder, target = sys.argv[1], sys.argv[2]
name = os.path.join(folder, "t10k-images-idx3-ubyte")
data = open(name, "rb").read() if os.path.exists(name) else gzip.open(name + ".gz").read()
bodies = []
for n in range(200):
    pixels = data[16 + n * 784: 16 + (n + 1) * 784]
    bodies.append('{"pixels":[' + ",".join("%.4g" % (p / 255) for p in pixels) + ']}')
with open(target, "w") as f:
    f.write('wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nlocal bodies = {\n')
    f.write(",\n".join("[[" + b + "]]" for b in bodies))
    f.write('\n}\nlocal i = 0\nrequest = function()\n  i = i % #bodies + 1\n  return wrk.format(nil, nil, nil, bodies[i])\nend\n')
PY

SERVICE_PID=""
SWAPPER_PID=""
stop_all() {
  [ -n "$SWAPPER_PID" ] && kill "$SWAPPER_PID" 2>/dev/null && wait "$SWAPPER_PID" 2>/dev/null || true
  [ -n "$SERVICE_PID" ] && kill "$SERVICE_PID" 2>/dev/null && wait "$SERVICE_PID" 2>/dev/null || true
  SWAPPER_PID=""; SERVICE_PID=""
}
trap stop_all EXIT

rss_mib() { awk '/^VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status"; }

install_model() {  # the README's way: a temporary name in the same folder, then a rename over the served file
  cp "$1" "$2.partial" && mv -f "$2.partial" "$2"
}

start_service() {  # model file, engine, log
  local serve="$OUT/serve"
  mkdir -p "$serve"
  install_model "$1" "$serve/model.zip"
  dotnet "$SERVICE" --urls "$URL" --Scoring:ModelPath="$serve/model.zip" --Scoring:Engine="$2" > "$3" 2>&1 &
  SERVICE_PID=$!
  for _ in $(seq 1 240); do
    if curl -sf "$URL/health" >/dev/null; then return 0; fi
    kill -0 "$SERVICE_PID" 2>/dev/null || { echo "the service exited; see $3" >&2; exit 1; }
    sleep 0.5
  done
  echo "the service did not become healthy within 120 s; see $3" >&2
  exit 1
}

echo "| series | connections | requests/s | p50 | p99 | requests | errors | working set start → end (MiB) |" > "$RESULTS"
echo "| --- | --- | --- | --- | --- | --- | --- | --- |" >> "$RESULTS"

run_series() {  # name, model, engine, swap (0/1)
  local name=$1 model=$2 engine=$3 swap=$4 log="$OUT/service-$1.log"
  echo "== $name: $(basename "$model"), engine $engine, swap $swap"
  start_service "$model" "$engine" "$log"
  wrk -t2 -c8 -d5s -s "$OUT/bodies.lua" "$URL/predict" > /dev/null   # warm-up: JIT, engine pools
  if [ "$swap" = 1 ]; then
    ( models=("$MODEL_DIR/mnist-sru-b.zip" "$MODEL_DIR/mnist-sru.zip"); n=0
      while sleep "$SWAP_EVERY"; do install_model "${models[$((n % 2))]}" "$OUT/serve/model.zip"; n=$((n + 1)); echo "$n" > "$OUT/swaps"; done ) &
    SWAPPER_PID=$!
  fi
  for c in $CONNECTIONS; do
    local threads=$(( c < 2 ? c : 2 )) before after report
    before=$(rss_mib "$SERVICE_PID")
    report=$(wrk -t"$threads" -c"$c" -d"${DURATION}s" --timeout 10s --latency -s "$OUT/bodies.lua" "$URL/predict")
    after=$(rss_mib "$SERVICE_PID")
    echo "$report" > "$OUT/wrk-$name-$c.txt"
    local rps p50 p99 total non2xx socket
    rps=$(awk '/^Requests\/sec/ { printf "%.0f", $2 }' <<< "$report")
    p50=$(awk '$1 == "50%" { print $2 }' <<< "$report")
    p99=$(awk '$1 == "99%" { print $2 }' <<< "$report")
    total=$(awk '/requests in/ { print $1 }' <<< "$report")
    non2xx=$(awk '/Non-2xx/ { print $NF }' <<< "$report"); non2xx=${non2xx:-0}
    socket=$(awk '/Socket errors/ { gsub(",", ""); print $4 + $6 + $8 + $10 }' <<< "$report"); socket=${socket:-0}
    echo "| $name | $c | $rps | $p50 | $p99 | $total | $((non2xx + socket)) | $before → $after |" | tee -a "$RESULTS"
  done
  if [ "$swap" = 1 ]; then
    kill "$SWAPPER_PID"; wait "$SWAPPER_PID" 2>/dev/null || true; SWAPPER_PID=""
    sleep 2   # the last swap's load
    echo "swaps written: $(cat "$OUT/swaps" 2>/dev/null || echo 0); models served: $(grep -c 'Serving model' "$log"); refused: $(grep -c 'Refused model' "$log" || true)" | tee -a "$OUT/swaps.txt"
  fi
  stop_all
}

for series in $SERIES; do
  case $series in
    sru) run_series sru "$MODEL_DIR/mnist-sru.zip" Pool 0 ;;
    sru-swap) run_series sru-swap "$MODEL_DIR/mnist-sru.zip" Pool 1 ;;
    sru-batch) run_series sru-batch "$MODEL_DIR/mnist-sru.zip" Batch 0 ;;
    sdca) run_series sdca "$MODEL_DIR/mnist-sdca.zip" Pool 0 ;;
    *) echo "unknown series '$series' (sru, sru-swap, sru-batch, sdca)" >&2; exit 2 ;;
  esac
done
echo "== results ($DURATION s per point, $(nproc) cores; wrk runs on the same machine): $RESULTS"
cat "$RESULTS"
