#!/usr/bin/env bash
# Builds the ThriftFuzz target with libFuzzer + AddressSanitizer and runs it for a bounded time
# per decoder family — "wire" (framed and unframed splitters, binary/compact/JSON envelopes and
# a schema-less walk of the body), "header" (THeader frames, zlib included) and "json" (the
# TJSONProtocol reader alone) — each over a corpus seeded with golden Apache Thrift messages.
# Prints executions and crashes per family; fails when any crashed.
set -euo pipefail
seconds=${1:-60}
scratch=${2:-.build-fuzz}
cd "$(dirname "$0")/.."
export SWIFT_BACKTRACE=enable=no
swift build -c release --scratch-path "$scratch" --product ThriftFuzz \
  --sanitize=fuzzer -Xswiftc -sanitize=fuzzer,address -Xswiftc -use-ld=lld \
  -Xswiftc -DFUZZING -Xswiftc -parse-as-library
bin="$(swift build -c release --scratch-path "$scratch" --show-bin-path)/ThriftFuzz"
artifacts=fuzz-artifacts
mkdir -p "$artifacts"
failed=0
for family in wire header json; do
  corpus=.fuzz-corpus/$family
  mkdir -p "$corpus"
  cp Tests/FuzzCorpus/* "$corpus"/
  log=$(mktemp)
  set +e
  THRIFTTOP_FUZZ=$family "$bin" "$corpus" -max_total_time="$seconds" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$artifacts/$family-" -print_final_stats=1 2>"$log"
  status=$?
  set -e
  runs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' || echo "?")
  crashes=$(find "$artifacts" -type f -name "$family-*" \( -name '*crash-*' -o -name '*leak-*' -o -name '*timeout-*' -o -name '*oom-*' \) | wc -l)
  tail -3 "$log"
  echo "fuzz $family: ${seconds}s, ${runs} executions, ${crashes} crashes/timeouts (libFuzzer exit ${status})"
  rm -f "$log"
  if [ "$status" -ne 0 ] || [ "$crashes" -ne 0 ]; then failed=1; fi
done
if [ "$failed" -ne 0 ]; then
  echo "fuzz: FAILED — reproduce with: THRIFTTOP_FUZZ=FAMILY $bin $artifacts/<file>" >&2
  exit 1
fi
