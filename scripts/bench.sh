#!/usr/bin/env bash
# `make bench`: figures and ratios for the pool, all taken in this one run on this machine.
#  1. CPU per 1,000 heartbeats: the pool vs a hand-written Apache Thrift Python heartbeater
#     (one thread per server), same servers, same nodes, same 1 s interval.
#  2. The pool at 1,000 and 10,000 nodes at 1 s: CPU share of one core, RSS, schedule lateness.
#  Both beside the floor: bench/floor_heartbeater.c, the same heartbeats from a bare epoll loop in
#  C with nothing decoded — what the kernel alone charges for them on this machine.
#  3. The dashboard: render + diff time of a 200x50 frame of 1,000 nodes, and the UI loop's own
#     CPU share over 60 s of `thrifttop --demo` in a real terminal (tmux).
# Knobs (environment): PROXY_ONLY=1 skips sections 1-3; ROUNDS, COMPARE_SECONDS, BENCH_SECONDS,
# RENDER_FRAMES, UI_SECONDS shorten them.
# It ends with `== summary ==`: one key=value a line, numbers only, this run's figures, for
# scripts and for comparing runs. Each section appends its keys to $summary as it goes; keep the
# block last (new keys: append them in their section).
# Servers run in their own process pinned to CPU 1, the client under test pinned to CPU 0
# (loopback cost depends on CPU placement: compare only figures taken the same way).
set -euo pipefail
cd "$(dirname "$0")/.."
COMPARE_NODES=${COMPARE_NODES:-500}
SECONDS_MEASURED=${BENCH_SECONDS:-20}

swift build -c release --product thrifttop -Xswiftc -warnings-as-errors >/dev/null
bin="$(swift build -c release --show-bin-path)/thrifttop"
# The C compiler that ships with the Swift toolchain (any cc will do).
cc=$(dirname "$(command -v swift)")/clang
[ -x "$cc" ] || cc=cc
pin() { if command -v taskset >/dev/null; then taskset -c "$1" "${@:2}"; else "${@:2}"; fi; }

out=$(mktemp -d)
summary="$out/summary"
: >"$summary"
"$cc" -O2 -Wall -Werror -o "$out/floor" bench/floor_heartbeater.c
server_pid=""
# Everything else a section starts in the background (proxies, demo servers, idle clients): killed
# by PID on exit, as the servers are; and the tmux server of a --demo run, by its socket name.
bg_pids=""
tmux_sock=""
cleanup() {
  for pid in $server_pid $bg_pids; do kill "$pid" 2>/dev/null || true; done
  [ -n "$tmux_sock" ] && tmux -L "$tmux_sock" kill-server 2>/dev/null || true
  rm -rf "$out"
}
trap cleanup EXIT
# `launch CPU CMD...`: CMD in the background, pinned to CPU ("any": not pinned), its PID in
# $launched (the command's own: taskset execs it, and `&` is inside, not on, the function call).
launch() {
  if [ "$1" = any ] || ! command -v taskset >/dev/null; then "${@:2}" & else taskset -c "$1" "${@:2}" & fi
  launched=$!
  bg_pids="$bg_pids $launched"
}

# `start_servers N [CPU]`: N fb303 listeners in one process, pinned to CPU (default 1; "any":
# not pinned); their ports in $ports.
start_servers() {
  # Not through `pin`: a backgrounded shell function is a subshell, and $! would be its PID,
  # not the server's (a kill would then leave the servers running).
  if [ "${2:-1}" = any ] || ! command -v taskset >/dev/null; then
    "$bin" bench-servers --listeners "$1" --duration 3600 >"$out/servers" 2>&1 &
  else
    taskset -c "${2:-1}" "$bin" bench-servers --listeners "$1" --duration 3600 >"$out/servers" 2>&1 &
  fi
  server_pid=$!
  for _ in $(seq 1 200); do grep -q '^PORTS ' "$out/servers" && break; sleep 0.05; done
  ports=$(sed -n 's/^PORTS //p' "$out/servers")
  [ -n "$ports" ] || { echo "bench servers did not start:"; cat "$out/servers"; exit 1; }
}
stop_servers() { kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""; }
field() { /usr/bin/python3 -c "import json,sys; print(json.load(open('$1'))['$2'])"; }

echo "== thrifttop bench ($(nproc) cores, $(date -u +%FT%TZ)) =="
# Sections 1-3 (not indented: their Python heredocs end at column 0).
if [ "${PROXY_ONLY:-0}" != 1 ]; then
start_servers 100
# This machine's noise moves single figures by 20 % or more: take the three heartbeaters in
# turn, ROUNDS times, and report medians.
ROUNDS=${ROUNDS:-3}
COMPARE_SECONDS=${COMPARE_SECONDS:-10}
echo "-- CPU per 1,000 heartbeats, $COMPARE_NODES nodes, 1 s interval, $ROUNDS rounds of ${COMPARE_SECONDS}s each"
for round in $(seq 1 "$ROUNDS"); do
  pin 0 "$bin" bench-pool --ports "$ports" --nodes "$COMPARE_NODES" --seconds "$COMPARE_SECONDS" --warmup 10 >"$out/pool-r$round.json"
  pin 0 /usr/bin/python3 bench/py_heartbeater.py --ports "$ports" --nodes "$COMPARE_NODES" --seconds "$COMPARE_SECONDS" --warmup 5 >"$out/py-r$round.json"
  pin 0 "$out/floor" --ports "$ports" --nodes "$COMPARE_NODES" --seconds "$COMPARE_SECONDS" --warmup 3 >"$out/floor-r$round.json"
done
/usr/bin/python3 - "$out" "$ROUNDS" "$summary" "$COMPARE_NODES" <<'PY'
import json, statistics, sys
out, rounds, summary, nodes = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
load = lambda name: [json.load(open(f"{out}/{name}-r{i}.json")) for i in range(1, rounds + 1)]
pool, py, floor = load("pool"), load("py"), load("floor")
per = lambda r: r["cpu_s"] / (r["heartbeats"] / 1000) * 1000  # ms of CPU per 1,000 heartbeats
med = lambda runs: statistics.median(per(r) for r in runs)
each = lambda runs: ", ".join(f"{per(r):.1f}" for r in runs)
print(f"   pool:            {med(pool):8.2f} ms CPU / 1,000 heartbeats  (median; rounds: {each(pool)})")
print(f"   python threads:  {med(py):8.2f} ms CPU / 1,000 heartbeats  (median; rounds: {each(py)}; {sum(r['failed'] for r in py)} failed)")
print(f"   floor (C epoll): {med(floor):8.2f} ms CPU / 1,000 heartbeats  (median; rounds: {each(floor)})")
ratio = statistics.median(per(p) / per(q) for p, q in zip(pool, py))
floor_ratio = statistics.median(per(f) / per(q) for f, q in zip(floor, py))
pool_floor = statistics.median(per(p) / per(f) for p, f in zip(pool, floor))
print(f"   ratio pool/python: {ratio:.3f}  (median of rounds)")
print(f"   ratio floor/python: {floor_ratio:.3f}  (the least any heartbeater could score here)")
print(f"   ratio pool/floor: {pool_floor:.2f}  (median of rounds; target <= 1.3: {'met' if pool_floor <= 1.3 else 'NOT met'})")
with open(summary, "a") as f:
    f.write(f"pool_python_ratio_{nodes}={ratio:.3f}\nfloor_python_ratio_{nodes}={floor_ratio:.3f}\npool_floor_ratio_{nodes}={pool_floor:.3f}\n")
PY
stop_servers

for nodes in 1000 10000; do
  start_servers 100
  echo "-- pool at $nodes nodes, 1 s interval, ${SECONDS_MEASURED}s measured in 5 windows (the median window is reported)"
  pin 0 "$bin" bench-pool --ports "$ports" --nodes "$nodes" --seconds "$SECONDS_MEASURED" --windows 5 --warmup 30 >"$out/pool-$nodes.json"
  pin 0 "$out/floor" --ports "$ports" --nodes "$nodes" --seconds "$SECONDS_MEASURED" --windows 5 --warmup 3 >"$out/floor-$nodes.json"
  /usr/bin/python3 - "$out/pool-$nodes.json" "$out/floor-$nodes.json" "$summary" <<'PY'
import json, sys
r, floor = (json.load(open(p)) for p in sys.argv[1:3])
summary, nodes = sys.argv[3], r["nodes"]
share = r["cpu_s"] / r["wall_s"] * 100
floor_share = floor["cpu_s"] / floor["wall_s"] * 100
print(f"   up: {r['up_after']}/{r['nodes']}   heartbeats: {r['heartbeats']} ({r['heartbeats']/r['wall_s']:.0f}/s)   per heartbeat: {r['user_s']/r['heartbeats']*1e6:.1f} µs user + {r['system_s']/r['heartbeats']*1e6:.1f} µs system")
windows = lambda r: ", ".join(f"{w:.1f}" for w in r["window_shares"])
pool_floor = share / floor_share
print(f"   CPU share of one core: {share:5.2f} %   (windows: {windows(r)})")
target = f"   (target at 10,000 nodes <= 1.5: {'met' if pool_floor <= 1.5 else 'NOT met'})" if nodes == 10000 else ""
print(f"   floor (C epoll) share: {floor_share:5.2f} %   (windows: {windows(floor)})   pool/floor: {pool_floor:.2f}{target}")
if nodes == 10000:
    with open(summary, "a") as f:
        f.write(f"pool_floor_ratio_{nodes}={pool_floor:.3f}\n")
print(f"   RSS: {r['rss_mb']:.1f} MB (peak {r['peak_rss_mb']:.1f} MB)   (target < 200 MB: {'met' if r['peak_rss_mb'] < 200 else 'NOT met'})")
print(f"   schedule lateness over all windows: p50 {r['lateness_p50_ms']:.2f} ms, p99 {r['lateness_p99_ms']:.2f} ms, max {r['lateness_max_ms']:.2f} ms   (target p99 < 50 ms: {'met' if r['lateness_p99_ms'] < 50 else 'NOT met'})")
PY
  if [ "$nodes" = 10000 ]; then
    # What the dashboard adds: a reader taking snapshots at 10 Hz, as `thrifttop` does, and
    # reading every row of each new one (sorted by P99), as a frame does.
    pin 0 "$bin" bench-pool --ports "$ports" --nodes "$nodes" --seconds "$SECONDS_MEASURED" --windows 5 --warmup 30 --snapshot-hz 10 >"$out/pool-$nodes-read.json"
    /usr/bin/python3 - "$out/pool-$nodes.json" "$out/pool-$nodes-read.json" "$summary" <<'PY'
import json, sys
r, rr = (json.load(open(p)) for p in sys.argv[1:3])
summary, nodes = sys.argv[3], r["nodes"]
share, read_share = r["cpu_s"] / r["wall_s"] * 100, rr["cpu_s"] / rr["wall_s"] * 100
overhead = read_share / share
reader = rr["reader"]
rss = max(r["peak_rss_mb"], rr["peak_rss_mb"])
print(f"   with a dashboard reading snapshots at 10 Hz: {read_share:5.2f} % of one core (windows: {', '.join(f'{w:.1f}' for w in rr['window_shares'])}); "
      f"{reader['snapshots']} new of {reader['reads']} taken, {reader['rows_read']} rows read in {reader['cpu_s']:.2f} s of the reader's own CPU (whole run); peak RSS {rr['peak_rss_mb']:.1f} MB")
print(f"   reader overhead: {overhead:.2f}x the CPU without it   (target <= 1.15: {'met' if overhead <= 1.15 else 'NOT met'})")
print(f"   lateness p99 with the reader: {rr['lateness_p99_ms']:.2f} ms   (target < 20 ms: {'met' if rr['lateness_p99_ms'] < 20 else 'NOT met'})")
with open(summary, "a") as f:
    f.write(f"reader_overhead_ratio_{nodes}={overhead:.3f}\nrss_mb_{nodes}={rss:.1f}\n"
            f"lateness_p99_ms_{nodes}={r['lateness_p99_ms']:.3f}\nlateness_p99_ms_{nodes}_reader={rr['lateness_p99_ms']:.3f}\n")
PY
  fi
  stop_servers
done

echo "-- dashboard: render + diff of one 200x50 frame, 1,000 nodes"
pin 0 "$bin" bench-render --nodes 1000 --frames "${RENDER_FRAMES:-300}" >"$out/render.json"
/usr/bin/python3 - "$out/render.json" "$summary" <<'PY'
import json, sys
r, summary = json.load(open(sys.argv[1])), sys.argv[2]
e, c = r["every_frame"], r["cadence"]
ct = c["timing"]
print(f"   new snapshot every frame: p50 {e['p50_ms']:.2f} ms, p99 {e['p99_ms']:.2f} ms, mean {e['mean_ms']:.2f} ms over {e['frames']} frames   (target p50 < 2 ms: {'met' if e['p50_ms'] < 2 else 'NOT met'})")
print(f"   dashboard cadence (a frame per held key at {c['key_fps']}/s, a new snapshot {c['snapshot_hz']}/s; key handling included): "
      f"p50 {ct['p50_ms']:.2f} ms, p99 {ct['p99_ms']:.2f} ms, mean {ct['mean_ms']:.2f} ms over {ct['frames']} frames")
with open(summary, "a") as f:
    f.write(f"render_p50_ms_{r['nodes']}={e['p50_ms']:.3f}\n")
PY

UI_SECONDS=${UI_SECONDS:-60}
echo "-- dashboard UI loop CPU over ${UI_SECONDS}s of thrifttop --demo (tmux, 150x42)"
sock="thrifttop-bench-$$"
tmux -L "$sock" new-session -d -s b -x 150 -y 42 "env LANG=C.UTF-8 TERM=tmux-256color $bin --demo --ui-stats $out/ui.json --exit-after $UI_SECONDS"
for _ in $(seq 1 $((UI_SECONDS * 10 + 200))); do [ -s "$out/ui.json" ] && break; sleep 0.1; done
tmux -L "$sock" kill-server 2>/dev/null || true
/usr/bin/python3 - "$out/ui.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
share = r["ui_cpu_s"] / r["wall_s"] * 100
print(f"   UI loop: {r['ui_cpu_s']:.2f} s CPU in {r['wall_s']:.1f} s = {share:.2f} % of one core, {r['frames']} frames   (target < 3 %: {'met' if share < 3 else 'NOT met'})")
PY
fi  # PROXY_ONLY

# Last, so that a script can read everything after this line.
echo "== summary =="
cat "$summary"
