#!/usr/bin/env bash
# The first run on a real GPU, in one command: refuses a software adapter (SwiftShader, lavapipe:
# createDevice's isSoftware), runs the test suite on the GPU, then `bench --quick --profile`
# (dispatch records, modeled times, each pass's GPU time from timestamp queries), `bench --quick`
# (measured against the CPU reference and TensorFlow.js on the same adapter) and `bench --quick
# --tune fast` (ours with its kernel forms timed on this GPU). Everything it writes lands in
# bench/results/gpu-check/<adapter>/, named by the adapter: tests.log, adapter.txt, and the
# bench's own result files.
#   bench/gpu-check.sh [--no-tests]
# Needs the GPU's Vulkan driver visible to Dawn (in Node); on a machine whose loader does not
# find it, point VK_ICD_FILENAMES (or VK_DRIVER_FILES) at the vendor's ICD JSON.
set -euo pipefail
cd "$(dirname "$0")/.."

tests=1
for arg in "$@"; do
  case "$arg" in
    --no-tests) tests=0 ;;
    *) echo "usage: bench/gpu-check.sh [--no-tests]" >&2; exit 2 ;;
  esac
done

export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$(mktemp -d)}"
[ -d node_modules ] || npm ci --no-audit --no-fund
npm run -s build

# The adapter createDevice picks by default, refused where it is software.
adapter=$(node --input-type=module -e '
  import { createDevice } from "./dist/node/index.js";
  const gpu = await createDevice({ quiet: true });
  const { vendor, architecture, description, isSoftware } = gpu.info;
  gpu.destroy();
  console.log(JSON.stringify({ vendor, architecture, description, isSoftware }));
')
echo "adapter: $adapter"
if node -e 'process.exit(JSON.parse(process.argv[1]).isSoftware ? 0 : 1)' "$adapter"; then
  echo "gpu-check: the adapter is a software one (a CPU implementation), not a GPU: install the GPU's Vulkan driver, or set VK_ICD_FILENAMES to its ICD." >&2
  exit 1
fi
name=$(node -e '
  const a = JSON.parse(process.argv[1]);
  console.log(`${a.vendor}-${a.architecture || a.description}`.toLowerCase().replace(/[^a-z0-9.]+/g, "-").replace(/^-|-$/g, ""));
' "$adapter")
out="bench/results/gpu-check/$name"
mkdir -p "$out"
echo "$adapter" >"$out/adapter.txt"

status=0
if [ "$tests" = 1 ]; then
  # RNN_EXPECT_ADAPTER=gpu: the suite itself refuses a software adapter too.
  RNN_EXPECT_ADAPTER=gpu npm test -- --reporter=dot 2>&1 | tee "$out/tests.log" || status=1
fi
npm run -s bench -- --quick --profile 2>&1 | tee "$out/profile.log" || status=1
cp bench/results/profile-quick.json bench/results/profile-quick.md "$out/" 2>/dev/null || status=1
npm run -s bench -- --quick 2>&1 | tee "$out/bench.log" || status=1
cp bench/results/latest.json bench/results/latest.md "$out/" 2>/dev/null || status=1
npm run -s bench -- --quick --tune fast --out "$out/tuned.json" 2>&1 | tee "$out/tuned.log" || status=1
echo "gpu-check: results in $out"
exit "$status"
