#!/usr/bin/env bash
# run_fuzz.sh: runs the libFuzzer target for a bounded time on a fresh
# corpus made of the builder seeds (gen_seeds) plus small modules from a few
# spec .wast files when the spec corpus and wast2json are available.
# usage: run_fuzz.sh FUZZER GEN_SEEDS WORK_DIR SECONDS [SPEC_DIR WAST2JSON]
set -euo pipefail
fuzzer=$1 gen_seeds=$2 work=$3 seconds=$4 spec_dir=${5:-} wast2json=${6:-}

rm -rf "$work"
mkdir -p "$work/corpus" "$work/artifacts"
"$gen_seeds" "$work/corpus"
if [[ -n $spec_dir && -d $spec_dir && -n $wast2json && -x $wast2json ]]; then
  for name in binary br_table call_indirect elem data global if memory_copy select table_init; do
    [[ -f $spec_dir/$name.wast ]] || continue
    mkdir -p "$work/spec/$name"
    "$wast2json" "$spec_dir/$name.wast" -o "$work/spec/$name/$name.json" >/dev/null 2>&1 || true
  done
  find "$work/spec" -name '*.wasm' -size -4k -exec cp {} "$work/corpus/" \;
fi
echo "corpus: $(ls "$work/corpus" | wc -l) files; fuzzing for ${seconds}s"
exec "$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
  -artifact_prefix="$work/artifacts/" -print_final_stats=1 "$work/corpus"
