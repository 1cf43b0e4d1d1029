#!/usr/bin/env bash
# Builds the ThriftFuzz target with libFuzzer + AddressSanitizer and runs it for a bounded time
# over a corpus seeded with the golden Apache Thrift messages. Prints executions and crashes;
# fails when a crash was found.
set -euo pipefail
seconds=${1:-60}
scratch=${2:-.build-fuzz}
cd "$(dirname "$0")/.."
export SWIFT_BACKTRACE=enable=no
swift build -c release --scratch-path "$scratch" --product ThriftFuzz \
  --sanitize=fuzzer -Xswiftc -sanitize=fuzzer,address -Xswiftc -use-ld=lld \
  -Xswiftc -DFUZZING -Xswiftc -parse-as-library
bin="$(swift build -c release --scratch-path "$scratch" --show-bin-path)/ThriftFuzz"
corpus=.fuzz-corpus
artifacts=fuzz-artifacts
mkdir -p "$corpus" "$artifacts"
cp Tests/FuzzCorpus/* "$corpus"/
log=$(mktemp)
set +e
"$bin" "$corpus" -max_total_time="$seconds" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
  -artifact_prefix="$artifacts/" -print_final_stats=1 2>"$log"
status=$?
set -e
runs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' || echo "?")
crashes=$(find "$artifacts" -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) | wc -l)
tail -5 "$log"
echo "fuzz: ${seconds}s, ${runs} executions, ${crashes} crashes/timeouts (libFuzzer exit ${status})"
rm -f "$log"
if [ "$status" -ne 0 ] || [ "$crashes" -ne 0 ]; then
  echo "fuzz: FAILED — reproduce with: $bin $artifacts/<file>" >&2
  exit 1
fi
