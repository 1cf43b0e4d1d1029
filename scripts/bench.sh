#!/usr/bin/env bash
# `make bench`: figures and ratios for the pool, all taken in this one run on this machine.
#  1. CPU per 1,000 heartbeats: the pool vs a hand-written Apache Thrift Python heartbeater
#     (one thread per server), same servers, same nodes, same 1 s interval.
#  2. The pool at 1,000 and 10,000 nodes at 1 s: CPU share of one core, RSS, schedule lateness.
#  Both beside the floor: bench/floor_heartbeater.c, the same heartbeats from a bare epoll loop in
#  C with nothing decoded — what the kernel alone charges for them on this machine.
#  3. The dashboard: render + diff time of a 200x50 frame of 1,000 nodes, and the UI loop's own
#     CPU share over 60 s of `thrifttop --demo` in a real terminal (tmux).
#  4. The proxy (`thrifttop serve`), driven by bench/proxy_load_client.c (strict-binary fb303
#     calls from raw sockets, framed, THeader or HTTP, each round trip timed): the latency one hop
#     adds (client, proxy and server pinned to CPU 0; also from a THeader and an HTTP client, the
#     proxy translating to the framed server), throughput over 16 connections through / direct,
#     the CPU per call that per-method accounting adds (the same load with `[metrics]
#     max_methods = 0`), the slow node's share of calls with p2c-peak-ewma (one node of four 10x
#     slower; round-robin beside it), RSS and idle CPU with 10,000 idle client connections, and
#     `thrifttop --demo`'s whole-process CPU at its default traffic (tmux). Latency and throughput
#     beside a floor, bench/relay_floor.c: a bare C epoll relay in the proxy's place, what the
#     kernel alone charges for one more hop.
#  5. The admin endpoint: what each client of /v1/stream (an attached dashboard) costs `serve`
#     at 1,000 nodes, and the stream's bytes per second.
#  6. Shared state: a drain on one instance until another routes by it, through a real etcd,
#     beside etcd's own put → watch delay.
#  7. TLS: CPU per 1,000 heartbeats at 500 nodes over TLS against plaintext (same servers, in
#     turn), and the latency a hop through `serve` adds when it speaks TLS to the server.
# Knobs (environment): PROXY_ONLY=1 runs section 4 alone; ROUNDS, COMPARE_SECONDS, BENCH_SECONDS,
# RENDER_FRAMES, UI_SECONDS shorten 1-3; PROXY_ROUNDS (3), PROXY_LATENCY_CALLS (40000),
# PROXY_SECONDS (5, each throughput run), PROXY_SLOW_SECONDS (4, each balancer run),
# PROXY_IDLE_CONNECTIONS (10000), PROXY_IDLE_SECONDS (10), DEMO_CPU_SECONDS (30) shorten 4;
# ADMIN_ONLY=1 runs section 5 alone (with the recording figures), ADMIN_NODES (1000), ADMIN_SECONDS (20) and RECORD_SECONDS (60) shorten it;
# ETCD_ONLY=1 runs section 6 alone, ETCD_DRAINS (200) shortens it; TLS_ONLY=1 runs section 7
# alone (ROUNDS, COMPARE_SECONDS, PROXY_ROUNDS, PROXY_LATENCY_CALLS shorten it).
# It ends with `== summary ==`: one key=value a line, numbers only, this run's figures, for
# scripts and for comparing runs. Each section appends its keys to $summary as it goes; keep the
# block last (new keys: append them in their section).
# Servers run in their own process pinned to CPU 1, the client under test pinned to CPU 0
# (loopback cost depends on CPU placement: compare only figures taken the same way); section 4
# says its own placement in each heading.
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
"$cc" -O2 -Wall -Werror -pthread -o "$out/load" bench/proxy_load_client.c
"$cc" -O2 -Wall -Werror -o "$out/relay" bench/relay_floor.c
server_pid=""
# Everything else a section starts in the background (proxies, demo servers, idle clients): killed
# by PID on exit, as the servers are; and the tmux server of a --demo run, by its socket name.
bg_pids=""
tmux_sock=""
cleanup() {
  for pid in $server_pid $bg_pids; do kill "$pid" 2>/dev/null || true; done
  [ -n "$tmux_sock" ] && tmux -L "$tmux_sock" kill-server 2>/dev/null || true
  [ -n "${etcd_dir:-}" ] && rm -rf "$etcd_dir"
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
# `stop PID`: SIGTERM, wait for it, and forget it (cleanup must not kill a PID reused since).
# Returns the process's exit status.
stop() {
  local rc=0
  kill "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || rc=$?
  bg_pids=" $bg_pids "
  bg_pids=${bg_pids// $1 / }
  return "$rc"
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
if [ "${PROXY_ONLY:-0}" != 1 ] && [ "${ADMIN_ONLY:-0}" != 1 ] && [ "${ETCD_ONLY:-0}" != 1 ] && [ "${TLS_ONLY:-0}" != 1 ]; then
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

# ---- 4. the proxy: `thrifttop serve` ----
proxy_section_started=$SECONDS
PROXY_ROUNDS=${PROXY_ROUNDS:-3}
PROXY_LATENCY_CALLS=${PROXY_LATENCY_CALLS:-40000}
PROXY_SECONDS=${PROXY_SECONDS:-5}
PROXY_SLOW_SECONDS=${PROXY_SLOW_SECONDS:-4}
PROXY_IDLE_CONNECTIONS=${PROXY_IDLE_CONNECTIONS:-10000}
PROXY_IDLE_SECONDS=${PROXY_IDLE_SECONDS:-10}
DEMO_CPU_SECONDS=${DEMO_CPU_SECONDS:-30}
proxy_pid=""
# `cluster_config FILE BALANCER [LISTENER-KEYS] -- NAME=PORT...`: a cluster config with one
# listener on an OS-chosen port of 127.0.0.1 and one node per NAME=PORT, the rest left at the
# defaults (a node takes 8 call connections; LISTENER-KEYS e.g. "max_connections = 20000").
# `[proxy] threads` is $proxy_threads (1 unless set: most runs pin the proxy to one CPU).
cluster_config() {
  local file=$1 balancer=$2 listener_keys=$3
  shift 4
  # Named after its thread count: two serves at once each have their own admin socket.
  { printf 'name = "bench%s"\nbalancer = "%s"\n\n[proxy]\nthreads = %s\n\n[[listener]]\naddress = "127.0.0.1:0"\n%s\n' \
      "${proxy_threads:+-$proxy_threads}" "$balancer" "${proxy_threads:-1}" "$listener_keys"
    for node in "$@"; do printf '\n[[node]]\nname = "%s"\naddress = "127.0.0.1:%s"\n' "${node%%=*}" "${node#*=}"; done
  } >"$file"
}
# `start_proxy CPU CONFIG [LOG]`: `thrifttop serve CONFIG`; its PID in $proxy_pid, its port in
# $proxy_port, its output in $out/LOG (serve.log).
start_proxy() {
  local log="$out/${3:-serve.log}"
  launch "$1" "$bin" serve "$2" --seed 7 >"$log" 2>&1
  proxy_pid=$launched
  proxy_port=""
  for _ in $(seq 1 200); do
    proxy_port=$(sed -n 's/^thrifttop serve: cluster ".*" listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$log")
    [ -n "$proxy_port" ] && break
    kill -0 "$proxy_pid" 2>/dev/null || break
    sleep 0.05
  done
  [ -n "$proxy_port" ] || { echo "thrifttop serve did not start:"; cat "$log"; exit 1; }
  # The node's first heartbeat makes it routable (a few ms); the clients warm up besides.
  sleep 0.3
}
# SIGTERM, as a supervisor would; serve exits 0 on it.
stop_proxy() {
  local rc=0
  stop "$proxy_pid" || rc=$?
  [ "$rc" = 0 ] || { echo "   thrifttop serve exited $rc on SIGTERM (expected 0):"; tail -5 "$out/serve.log"; }
  proxy_pid=""
}
# `start_relay CPU`: the floor, bench/relay_floor.c, in front of $ports; its port in $relay_port.
start_relay() {
  launch "$1" "$out/relay" --upstream "$ports" --duration 3600 >"$out/relay.log" 2>&1
  relay_pid=$launched
  for _ in $(seq 1 100); do grep -q '^PORT ' "$out/relay.log" && break; sleep 0.05; done
  relay_port=$(sed -n 's/^PORT //p' "$out/relay.log")
  [ -n "$relay_port" ] || { echo "relay floor did not start:"; cat "$out/relay.log"; exit 1; }
}
stop_relay() { stop "$relay_pid" || true; }
# `start_haproxy CPU [THREADS]`: HAProxy (Debian's, TCP mode, `nbthread` THREADS, default 1) in
# front of $ports, in the foreground so `stop` ends it; its PID in $haproxy_pid, its port in
# $haproxy_port. Users compare a hop through us with one through it, so it is measured in the
# same run with the same client and pinning.
start_haproxy() {
  haproxy_port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  # maxconn: HAProxy raises its file limit to about twice it, and will not start past the hard limit.
  { cat <<CFG
global
  nbthread ${2:-1}
  maxconn 4000
defaults
  mode tcp
  timeout connect 5s
  timeout client 120s
  timeout server 120s
frontend bench
  bind 127.0.0.1:$haproxy_port
  default_backend nodes
backend nodes
  balance roundrobin
CFG
    i=0; for port in ${ports//,/ }; do echo "  server node$i 127.0.0.1:$port"; i=$((i + 1)); done
  } >"$out/haproxy.cfg"
  cp "$out/haproxy.cfg" "$out/haproxy-$haproxy_port.cfg"
  launch "$1" haproxy -db -f "$out/haproxy-$haproxy_port.cfg" >"$out/haproxy-$haproxy_port.log" 2>&1
  haproxy_pid=$launched
  for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$haproxy_port") 2>/dev/null && break; sleep 0.05; done
}
stop_haproxy() { stop "$haproxy_pid" || true; }
# `start_two_threaded`: beside the 1-thread proxy and HAProxy already running, `serve` with
# `[proxy] threads = 2` and HAProxy with `nbthread 2`, both unpinned, in front of $ports; their
# ports in $proxy2_port and $haproxy2_port ($proxy_* and $haproxy_* stay the 1-thread ones).
start_two_threaded() {
  local one_pid=$proxy_pid one_port=$proxy_port ha_pid=$haproxy_pid ha_port=$haproxy_port
  proxy_threads=2 cluster_config "$out/one-2threads.toml" round-robin "" -- "node0=$ports"
  start_proxy any "$out/one-2threads.toml" serve-2threads.log
  proxy2_pid=$proxy_pid proxy2_port=$proxy_port proxy_pid=$one_pid proxy_port=$one_port
  start_haproxy any 2
  haproxy2_pid=$haproxy_pid haproxy2_port=$haproxy_port haproxy_pid=$ha_pid haproxy_port=$ha_port
}
# Stops the two `start_two_threaded` started (by PID; serve by SIGTERM, checked as stop_proxy does).
stop_two_threaded() {
  stop "$haproxy2_pid" || true
  local one_pid=$proxy_pid
  proxy_pid=$proxy2_pid
  stop_proxy
  proxy_pid=$one_pid
}
# utime + stime of a process, in clock ticks.
cpu_ticks() { sed 's/^.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }

# `each_way NAME ROUND CPU "WAY..." ARGS...`: the load client with ARGS over each WAY in turn, into
# $out/NAME-WAY-rROUND.json; CPU 0 or "any". A WAY is direct (the server), proxy, relay (the C
# relay) or haproxy, framed; proxy-header and proxy-http are the proxy from a THeader or an HTTP
# client; proxy2 and haproxy2 are the two with 2 threads ($proxy2_port, $haproxy2_port).
each_way() {
  local name=$1 round=$2 cpu=$3 ways=$4 way port transport
  shift 4
  for way in $ways; do
    case ${way%%-*} in
      direct) port=$ports ;; proxy) port=$proxy_port ;; relay) port=$relay_port ;; haproxy) port=$haproxy_port ;;
      proxy2) port=$proxy2_port ;; haproxy2) port=$haproxy2_port ;;
    esac
    transport=framed
    [ "$way" = "${way#*-}" ] || transport=${way#*-}
    if [ "$cpu" = any ]; then "$out/load" --port "$port" --transport "$transport" "$@" >"$out/$name-$way-r$round.json"
    else pin "$cpu" "$out/load" --port "$port" --transport "$transport" "$@" >"$out/$name-$way-r$round.json"; fi
  done
}

if [ "${ADMIN_ONLY:-0}" != 1 ] && [ "${ETCD_ONLY:-0}" != 1 ] && [ "${TLS_ONLY:-0}" != 1 ]; then
echo "-- proxy: latency one hop adds, getStatus back to back on one connection, $PROXY_LATENCY_CALLS calls, client, proxy and server on CPU 0, $PROXY_ROUNDS rounds"
# Through the proxy also as a THeader and as an HTTP client: the node stays framed, the proxy
# translates, and each is measured against the same round's framed direct run.
start_servers 1 0
cluster_config "$out/one.toml" round-robin "" -- "node0=$ports"
start_proxy 0 "$out/one.toml"
start_relay 0
start_haproxy 0
# The same with 2 threads each ([proxy] threads, nbthread), the client and both unpinned.
start_two_threaded
for round in $(seq 1 "$PROXY_ROUNDS"); do
  each_way hop "$round" 0 "direct proxy proxy-header proxy-http relay haproxy" --calls "$PROXY_LATENCY_CALLS" --seconds 30 --warmup 1
  each_way hop2 "$round" any "direct proxy2 haproxy2" --calls "$PROXY_LATENCY_CALLS" --seconds 30 --warmup 1
done
stop_two_threaded
stop_haproxy
stop_relay
stop_proxy
stop_servers
/usr/bin/python3 - "$out" "$PROXY_ROUNDS" "$summary" <<'PY'
import json, statistics, sys
out, rounds, summary = sys.argv[1], int(sys.argv[2]), sys.argv[3]
load = lambda name: [json.load(open(f"{out}/hop-{name}-r{i}.json")) for i in range(1, rounds + 1)]
direct, proxy, header, http, relay = load("direct"), load("proxy"), load("proxy-header"), load("proxy-http"), load("relay")
haproxy = load("haproxy")
for name, runs in (("direct", direct), ("through proxy", proxy), ("through proxy, THeader", header), ("through proxy, HTTP", http),
                   ("through floor", relay), ("through HAProxy", haproxy)):
    print(f"   {name:22s}: p50 " + ", ".join(f"{r['p50_us']:.1f}" for r in runs) + " µs;  p99 " + ", ".join(f"{r['p99_us']:.1f}" for r in runs)
          + f" µs  (rounds; {sum(r['calls'] for r in runs)} calls, {sum(r['errors'] for r in runs)} errors)")
# Each round's run minus that round's framed direct run, the median over rounds: for every client form.
added = lambda runs, key: statistics.median(p[key] - d[key] for d, p in zip(direct, runs))
p50, p99 = added(proxy, "p50_us"), added(proxy, "p99_us")
p50_header, p50_http = added(header, "p50_us"), added(http, "p50_us")
print(f"   added p50: {p50:.1f} µs  (median of rounds; target <= 20 µs: {'met' if p50 <= 20 else 'NOT met'}; HAProxy 2.6 TCP mode ~24 µs)")
print(f"   added p99: {p99:.1f} µs  (median of rounds; target <= 60 µs: {'met' if p99 <= 60 else 'NOT met'})")
print(f"   added p50 from a THeader client: {p50_header:.1f} µs ({p50_header / p50:.2f} x framed; target <= 1.2: {'met' if p50_header <= 1.2 * p50 else 'NOT met'}),"
      f" from an HTTP client: {p50_http:.1f} µs  (median of rounds; the node framed, the proxy translating)")
print(f"   the floor (bench/relay_floor.c, a bare C epoll relay) adds p50 {added(relay, 'p50_us'):.1f} µs, p99 {added(relay, 'p99_us'):.1f} µs: the kernel's part of a hop here")
haproxy_p50 = added(haproxy, "p50_us")
print(f"   HAProxy (TCP mode, 1 thread, same pinning) adds p50 {haproxy_p50:.1f} µs, p99 {added(haproxy, 'p99_us'):.1f} µs;"
      f" ours / theirs at p50: {p50 / haproxy_p50:.2f}  (target <= 1.0: {'met' if p50 <= haproxy_p50 else 'NOT met'})")
# With 2 threads each, unpinned: against that pass's own direct runs.
load2 = lambda name: [json.load(open(f"{out}/hop2-{name}-r{i}.json")) for i in range(1, rounds + 1)]
direct2, proxy2, haproxy2 = load2("direct"), load2("proxy2"), load2("haproxy2")
added2 = lambda runs, key: statistics.median(p[key] - d[key] for d, p in zip(direct2, runs))
p50_2, haproxy_p50_2 = added2(proxy2, "p50_us"), added2(haproxy2, "p50_us")
print(f"   2 threads each, unpinned: ours adds p50 {p50_2:.1f} µs, p99 {added2(proxy2, 'p99_us'):.1f} µs; HAProxy (nbthread 2) p50 {haproxy_p50_2:.1f} µs,"
      f" p99 {added2(haproxy2, 'p99_us'):.1f} µs; ours / theirs at p50: {p50_2 / haproxy_p50_2:.2f}  (target <= 1.0: {'met' if p50_2 <= haproxy_p50_2 else 'NOT met'})")
with open(summary, "a") as f:
    f.write(f"proxy_added_p50_us={p50:.1f}\nproxy_added_p50_us_header={p50_header:.1f}\nproxy_added_p50_us_http={p50_http:.1f}\n"
            f"proxy_added_p99_us={p99:.1f}\nhaproxy_added_p50_us={haproxy_p50:.1f}\nproxy_vs_haproxy_added_p50={p50 / haproxy_p50:.2f}\n"
            f"haproxy_added_p50_us_2threads={haproxy_p50_2:.1f}\nproxy_vs_haproxy_added_p50_2threads={p50_2 / haproxy_p50_2:.2f}\n")
PY

echo "-- proxy: throughput over 16 connections, getStatus back to back, ${PROXY_SECONDS}s a run, not pinned, $PROXY_ROUNDS rounds"
start_servers 1 any
cluster_config "$out/one.toml" round-robin "" -- "node0=$ports"
start_proxy any "$out/one.toml"
start_relay any
start_haproxy any
start_two_threaded
for round in $(seq 1 "$PROXY_ROUNDS"); do
  each_way tput "$round" any "direct proxy relay haproxy proxy2 haproxy2" --connections 16 --seconds "$PROXY_SECONDS" --warmup 1
done
stop_two_threaded
stop_haproxy
stop_relay
stop_proxy
stop_servers
/usr/bin/python3 - "$out" "$PROXY_ROUNDS" "$summary" <<'PY'
import json, statistics, sys
out, rounds, summary = sys.argv[1], int(sys.argv[2]), sys.argv[3]
load = lambda name: [json.load(open(f"{out}/tput-{name}-r{i}.json")) for i in range(1, rounds + 1)]
direct, proxy, relay, haproxy = load("direct"), load("proxy"), load("relay"), load("haproxy")
for name, runs in (("direct         ", direct), ("through proxy  ", proxy), ("through floor  ", relay), ("through HAProxy", haproxy)):
    print(f"   {name}: " + ", ".join(f"{r['calls_per_s']:.0f}" for r in runs) + " calls/s  (rounds; p99 "
          + ", ".join(f"{r['p99_us']:.0f}" for r in runs) + f" µs; {sum(r['errors'] for r in runs)} errors)")
ratio_of = lambda runs: statistics.median(p["calls_per_s"] / d["calls_per_s"] for d, p in zip(direct, runs))
ratio = ratio_of(proxy)
print(f"   through / direct: {ratio:.2f}  (median of rounds; target >= 0.55: {'met' if ratio >= 0.55 else 'NOT met'})")
print(f"   the floor (C relay) / direct: {ratio_of(relay):.2f}  (what one more hop leaves on these {__import__('os').cpu_count()} cores)")
versus = ratio / ratio_of(haproxy)
print(f"   HAProxy (TCP mode, 1 thread) / direct: {ratio_of(haproxy):.2f}; ours / theirs: {versus:.2f}  (target >= 1.0: {'met' if versus >= 1 else 'NOT met'})")
proxy2, haproxy2 = load("proxy2"), load("haproxy2")
for name, runs in (("through proxy, 2 threads  ", proxy2), ("through HAProxy, nbthread 2", haproxy2)):
    print(f"   {name}: " + ", ".join(f"{r['calls_per_s']:.0f}" for r in runs) + " calls/s  (rounds; p99 "
          + ", ".join(f"{r['p99_us']:.0f}" for r in runs) + f" µs; {sum(r['errors'] for r in runs)} errors)")
versus2 = ratio_of(proxy2) / ratio_of(haproxy2)
print(f"   2 threads each: ours / direct {ratio_of(proxy2):.2f}, HAProxy / direct {ratio_of(haproxy2):.2f}; ours / theirs: {versus2:.2f}"
      f"  (target >= 1.0: {'met' if versus2 >= 1 else 'NOT met'})")
with open(summary, "a") as f:
    f.write(f"proxy_throughput_ratio_16={ratio:.3f}\nproxy_vs_haproxy_throughput_16={versus:.2f}\n"
            f"proxy_throughput_ratio_16_2threads={ratio_of(proxy2):.3f}\nproxy_vs_haproxy_throughput_16_2threads={versus2:.2f}\n")
PY

echo "-- proxy: the CPU of per-method accounting, 16 connections, ${PROXY_SECONDS}s a run, with and without ([metrics] max_methods = 0), $PROXY_ROUNDS rounds"
start_servers 1 any
cluster_config "$out/methods-on.toml" round-robin "" -- "node0=$ports"
cp "$out/methods-on.toml" "$out/methods-off.toml"
printf '\n[metrics]\nmax_methods = 0\n' >>"$out/methods-off.toml"
for round in $(seq 1 "$PROXY_ROUNDS"); do
  for accounting in on off; do
    start_proxy any "$out/methods-$accounting.toml"
    c0=$(cpu_ticks "$proxy_pid")
    "$out/load" --port "$proxy_port" --connections 16 --seconds "$PROXY_SECONDS" --warmup 1 >"$out/methods-$accounting-r$round.json"
    c1=$(cpu_ticks "$proxy_pid")
    echo "$c0 $c1" >"$out/methods-$accounting-r$round.cpu"
    stop_proxy
  done
done
stop_servers
/usr/bin/python3 - "$out" "$PROXY_ROUNDS" "$summary" "$PROXY_SECONDS" <<'PY'
import json, statistics, sys
out, rounds, summary, seconds = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4])
def per_call(mode, i):
    run = json.load(open(f"{out}/methods-{mode}-r{i}.json"))
    c0, c1 = (int(x) for x in open(f"{out}/methods-{mode}-r{i}.cpu").read().split())
    # CPU ticks per call: the load's calls over its measured seconds (warm-up aside, in both alike).
    return (c1 - c0) / max(1.0, run["calls_per_s"] * seconds), run["calls_per_s"]
on = [per_call("on", i) for i in range(1, rounds + 1)]
off = [per_call("off", i) for i in range(1, rounds + 1)]
ratio = statistics.median(a[0] / b[0] for a, b in zip(on, off))
print("   calls/s with accounting: " + ", ".join(f"{r[1]:.0f}" for r in on) + "; without: " + ", ".join(f"{r[1]:.0f}" for r in off))
print(f"   CPU per call, with / without: {ratio:.3f}  (median of rounds; target <= 1.05: {'met' if ratio <= 1.05 else 'NOT met'})")
with open(summary, "a") as f:
    f.write(f"method_accounting_cpu_ratio={ratio:.3f}\n")
PY

echo "-- proxy: one node of four 10x slower (1 ms vs 10 ms a call), getName over 8 connections, ${PROXY_SLOW_SECONDS}s a run, $PROXY_ROUNDS rounds"
# Demo servers: four healthy nodes and one slow, all on 127.0.0.1; the healthy cluster takes
# h1-h4, the slow one h1-h3 and slow. Replies are counted by the node name getName returns.
{ printf 'name = "bench-slow"\nseed = 1\n\n[defaults]\nlatency_ms = 1\n'
  for n in h1 h2 h3 h4; do printf '\n[[node]]\nname = "%s"\n' "$n"; done
  printf '\n[[node]]\nname = "slow"\nlatency_ms = 10\n'
} >"$out/slow-scenario.toml"
launch any "$bin" demo-servers --scenario "$out/slow-scenario.toml" --base-port 0 --duration 3600 >"$out/demo-servers.log" 2>&1
demo_pid=$launched
for _ in $(seq 1 200); do grep -q '^press Ctrl-C' "$out/demo-servers.log" && break; sleep 0.05; done
demo_port() { sed -n "s/^  $1 *127\.0\.0\.1:\([0-9]*\) .*/\1/p" "$out/demo-servers.log"; }
for n in h1 h2 h3 h4 slow; do [ -n "$(demo_port $n)" ] || { echo "demo servers did not start:"; cat "$out/demo-servers.log"; exit 1; }; done
healthy_nodes=(h1="$(demo_port h1)" h2="$(demo_port h2)" h3="$(demo_port h3)" h4="$(demo_port h4)")
slow_nodes=(h1="$(demo_port h1)" h2="$(demo_port h2)" h3="$(demo_port h3)" slow="$(demo_port slow)")
# The four runs in turn, each round: machine noise then hits them alike.
for round in $(seq 1 "$PROXY_ROUNDS"); do
  for balancer in p2c-peak-ewma round-robin; do
    for cluster in healthy slow; do
      if [ "$cluster" = healthy ]; then cluster_config "$out/$cluster.toml" "$balancer" "" -- "${healthy_nodes[@]}"
      else cluster_config "$out/$cluster.toml" "$balancer" "" -- "${slow_nodes[@]}"; fi
      start_proxy any "$out/$cluster.toml"
      "$out/load" --port "$proxy_port" --connections 8 --method getName --seconds "$PROXY_SLOW_SECONDS" --warmup 1 >"$out/slow-$balancer-$cluster-r$round.json"
      stop_proxy
    done
  done
done
stop "$demo_pid" || true
/usr/bin/python3 - "$out" "$PROXY_ROUNDS" "$summary" <<'PY'
import json, statistics, sys
out, rounds, summary = sys.argv[1], int(sys.argv[2]), sys.argv[3]
balancers = ("p2c-peak-ewma", "round-robin")
runs = {(b, c): [json.load(open(f"{out}/slow-{b}-{c}-r{i}.json")) for i in range(1, rounds + 1)] for b in balancers for c in ("healthy", "slow")}
share = {}
for (b, c), rs in runs.items():
    names = {}
    for r in rs:
        for k, v in r["names"].items(): names[k] = names.get(k, 0) + v
    share[b, c] = names.get("slow", 0) / max(1, sum(names.values())) * 100
    counts = ", ".join(f"{k} {v}" for k, v in sorted(names.items()))
    print(f"   {b:13s} {c:7s}: p50 " + ", ".join(f"{r['p50_us'] / 1000:.2f}" for r in rs) + " ms; p99 " + ", ".join(f"{r['p99_us'] / 1000:.2f}" for r in rs)
          + f" ms (rounds); {sum(r['calls'] for r in rs) / sum(r['wall_s'] for r in rs):.0f} calls/s, {sum(r['errors'] for r in rs)} errors; replies: {counts}")
ratios = {}
for b in balancers:
    # Medians of each cluster's p99s, then their ratio: one noisy run moves neither much.
    p99 = lambda c: statistics.median(r["p99_us"] for r in runs[b, c])
    ratios[b] = p99("slow") / p99("healthy")
    target = f"target <= 1.5: {'met' if ratios[b] <= 1.5 else 'NOT met'}" if b == "p2c-peak-ewma" else "for comparison"
    print(f"   {b}: slow node's share {share[b, 'slow']:.2f} % (all rounds), p99 with it / all healthy {ratios[b]:.2f}x (medians of rounds; {target})")
p2c = share["p2c-peak-ewma", "slow"]
print(f"   slow node's share with p2c-peak-ewma: {p2c:.2f} %  (target < 1 %: {'met' if p2c < 1 else 'NOT met'})")
with open(summary, "a") as f:
    f.write(f"proxy_slow_node_share_pct={p2c:.3f}\n")
PY

echo "-- proxy: $PROXY_IDLE_CONNECTIONS idle client connections (one getStatus each, then nothing), RSS and CPU over ${PROXY_IDLE_SECONDS}s"
# Each end holds one descriptor per connection: raise the soft limit as far as the hard one.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt $((PROXY_IDLE_CONNECTIONS + 100)) ]; then
  echo "   skipped: ulimit -n is $(ulimit -n) (hard limit), $PROXY_IDLE_CONNECTIONS connections need more"
else
  start_servers 1 any
  cluster_config "$out/idle.toml" round-robin "max_connections = 20000" -- "node0=$ports"
  start_proxy any "$out/idle.toml"
  rss_before=$(awk '/^VmRSS/ {print $2}' "/proc/$proxy_pid/status")
  launch any "$out/load" --port "$proxy_port" --idle "$PROXY_IDLE_CONNECTIONS" --hold $((PROXY_IDLE_SECONDS + 120)) >"$out/idle.out" 2>&1
  idle_pid=$launched
  for _ in $(seq 1 1200); do grep -q '^READY' "$out/idle.out" && break; kill -0 "$idle_pid" 2>/dev/null || break; sleep 0.1; done
  grep -q '^READY' "$out/idle.out" || { echo "idle client did not get ready:"; cat "$out/idle.out"; exit 1; }
  sleep 2  # let the connection storm's aftermath (allocator, timers) settle
  hz=$(getconf CLK_TCK)
  t0=$(date +%s.%N); c0=$(cpu_ticks "$proxy_pid")
  sleep "$PROXY_IDLE_SECONDS"
  t1=$(date +%s.%N); c1=$(cpu_ticks "$proxy_pid")
  rss=$(awk '/^VmRSS/ {print $2}' "/proc/$proxy_pid/status")
  hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$proxy_pid/status")
  stop "$idle_pid" || true
  stop_proxy
  stop_servers
  /usr/bin/python3 - "$out/idle.out" "$summary" "$rss_before" "$rss" "$hwm" "$c0" "$c1" "$t0" "$t1" "$hz" "$PROXY_IDLE_CONNECTIONS" <<'PY'
import json, sys
ready = json.loads(open(sys.argv[1]).read().split("READY ", 1)[1].splitlines()[0])
summary = sys.argv[2]
before, rss, hwm = (int(x) / 1024 for x in sys.argv[3:6])
c0, c1, t0, t1, hz = (float(x) for x in sys.argv[6:11])
n = int(sys.argv[11])
cpu = (c1 - c0) / hz / (t1 - t0) * 100
print(f"   connections: {ready['answered']} answered of {ready['connections']} ({ready['refused']} refused, {ready['errors']} errors); "
      f"opened and called one by one in {ready['open_s']:.2f} s")
print(f"   RSS of serve: {rss:.1f} MB (peak {hwm:.1f} MB; {before:.1f} MB before; {(rss - before) * 1024 / n:.1f} KB a connection)   (target < 300 MB: {'met' if rss < 300 else 'NOT met'})")
print(f"   CPU of serve at idle: {cpu:.2f} % of one core over {t1 - t0:.1f} s   (target < 2 %: {'met' if cpu < 2 else 'NOT met'})")
with open(summary, "a") as f:
    f.write(f"proxy_rss_mb_{n}_idle={rss:.1f}\n")
PY
fi

echo "-- thrifttop --demo, whole process: CPU over ${DEMO_CPU_SECONDS}s at its default traffic (tmux, 150x42)"
tmux_sock="thrifttop-bench-demo-$$"
tmux -L "$tmux_sock" new-session -d -s d -x 150 -y 42 "exec env LANG=C.UTF-8 TERM=tmux-256color $bin --demo --exit-after $((DEMO_CPU_SECONDS + 60))"
demo_ui_pid=$(tmux -L "$tmux_sock" list-panes -t d -F '#{pane_pid}')
sleep 5  # start-up: servers, pool, the first frames
[ "$(cat "/proc/$demo_ui_pid/comm" 2>/dev/null)" = thrifttop ] || { echo "thrifttop --demo is not running in tmux"; exit 1; }
hz=$(getconf CLK_TCK)
t0=$(date +%s.%N); c0=$(cpu_ticks "$demo_ui_pid")
sleep "$DEMO_CPU_SECONDS"
t1=$(date +%s.%N); c1=$(cpu_ticks "$demo_ui_pid")
threads=$(awk '/^Threads/ {print $2}' "/proc/$demo_ui_pid/status")
tmux -L "$tmux_sock" kill-server 2>/dev/null || true
tmux_sock=""
/usr/bin/python3 - "$summary" "$c0" "$c1" "$t0" "$t1" "$hz" "$threads" <<'PY'
import sys
summary = sys.argv[1]
c0, c1, t0, t1, hz = (float(x) for x in sys.argv[2:7])
cpu = (c1 - c0) / hz / (t1 - t0) * 100
print(f"   thrifttop --demo: {(c1 - c0) / hz:.2f} s CPU in {t1 - t0:.1f} s = {cpu:.2f} % of one core ({sys.argv[7]} threads)   (target < 5 %: {'met' if cpu < 5 else 'NOT met'})")
with open(summary, "a") as f:
    f.write(f"demo_cpu_pct={cpu:.2f}\n")
PY

echo "-- (proxy section: $((SECONDS - proxy_section_started)) s)"
fi  # ADMIN_ONLY

if [ "${ETCD_ONLY:-0}" != 1 ] && [ "${TLS_ONLY:-0}" != 1 ]; then
# ---- 5. the admin endpoint: what each attached dashboard costs the daemon ----
# `thrifttop serve` over ADMIN_NODES nodes at 1 s heartbeats (serve on CPU 0, servers on CPU 1);
# its CPU over ADMIN_SECONDS with no stream client, then with three. The clients are curl
# reading /v1/stream on the Unix socket: the bytes an attached dashboard reads, without three
# terminals' drawing competing for the two cores.
ADMIN_NODES=${ADMIN_NODES:-1000}
ADMIN_SECONDS=${ADMIN_SECONDS:-20}
echo "-- admin endpoint: serve at $ADMIN_NODES nodes, 1 s heartbeats; CPU over ${ADMIN_SECONDS}s with 0 and with 3 /v1/stream clients"
start_servers "$ADMIN_NODES"
{ printf 'name = "bench-admin"\n\n[admin]\nsocket = "%s"\n\n[[listener]]\naddress = "127.0.0.1:0"\n' "$out/admin.sock"
  i=0
  for port in ${ports//,/ }; do printf '\n[[node]]\nname = "node%s"\naddress = "127.0.0.1:%s"\n' "$i" "$port"; i=$((i + 1)); done
} >"$out/admin.toml"
start_proxy 0 "$out/admin.toml"
sleep 5  # every node up, the first snapshots published
hz=$(getconf CLK_TCK)
t0=$(date +%s.%N); c0=$(cpu_ticks "$proxy_pid")
sleep "$ADMIN_SECONDS"
t1=$(date +%s.%N); c1=$(cpu_ticks "$proxy_pid")
stream_pids=""
# `stream N`: one more /v1/stream client, reading into $out/streamN.
stream() {
  launch 1 curl -sN --unix-socket "$out/admin.sock" -o "$out/stream$1" http://local/v1/stream
  stream_pids="$stream_pids $launched"
}
stream 1
sleep 3  # connected, the first full snapshot read
t4=$(date +%s.%N); c4=$(cpu_ticks "$proxy_pid")
sleep "$ADMIN_SECONDS"
t5=$(date +%s.%N); c5=$(cpu_ticks "$proxy_pid")
stream 2
stream 3
sleep 3
bytes_before=$(cat "$out"/stream1 "$out"/stream2 "$out"/stream3 | wc -c)
t2=$(date +%s.%N); c2=$(cpu_ticks "$proxy_pid")
sleep "$ADMIN_SECONDS"
t3=$(date +%s.%N); c3=$(cpu_ticks "$proxy_pid")
bytes_after=$(cat "$out"/stream1 "$out"/stream2 "$out"/stream3 | wc -c)
for pid in $stream_pids; do stop "$pid" || true; done
stop_proxy
# The same serve over the same nodes, now recording (`--record`): its CPU over the same window
# beside the run without, the bytes it wrote per hour, and how long `replay --at` takes to
# find a moment (20 moments spread over the recording, the process's start included).
RECORD_SECONDS=${RECORD_SECONDS:-60}
launch 0 "$bin" serve "$out/admin.toml" --seed 7 --record "$out/rec" >"$out/serve-record.log" 2>&1
proxy_pid=$launched
sleep 5
r0=$(date +%s.%N); rc0=$(cpu_ticks "$proxy_pid"); rb0=$(cat "$out"/rec/*.ttrec | wc -c)
sleep "$RECORD_SECONDS"
r1=$(date +%s.%N); rc1=$(cpu_ticks "$proxy_pid"); rb1=$(cat "$out"/rec/*.ttrec | wc -c)
stop_proxy
seeks=""
for i in $(seq 1 20); do
  s0=$(date +%s%N)
  "$bin" replay "$out/rec" --at "+$((i * (RECORD_SECONDS + 4) / 20))" --json >/dev/null
  seeks="$seeks $(( ($(date +%s%N) - s0) / 1000 ))"
done
stop_servers
/usr/bin/python3 - "$summary" "$hz" "$c0" "$c1" "$t0" "$t1" "$rc0" "$rc1" "$r0" "$r1" "$rb0" "$rb1" "$ADMIN_NODES" "$seeks" <<'PY'
import sys
summary = sys.argv[1]
hz, c0, c1, t0, t1, rc0, rc1, r0, r1, b0, b1 = (float(x) for x in sys.argv[2:13])
nodes, seeks = sys.argv[13], sorted(int(x) / 1000 for x in sys.argv[14].split())
none = (c1 - c0) / hz / (t1 - t0) * 100
recording = (rc1 - rc0) / hz / (r1 - r0) * 100
mb_hour = (b1 - b0) / (r1 - r0) * 3600 / 1e6
p99 = seeks[min(len(seeks) - 1, int(len(seeks) * 0.99))]
print(f"   recording (--record): serve {recording:.2f} % of one core, {recording - none:.2f} % over not recording   (target <= 2 %: {'met' if recording - none <= 2 else 'NOT met'})")
print(f"   {mb_hour:.1f} MB an hour at {nodes} healthy nodes   (target <= 50 MB with the demo's fault rate: {'met' if mb_hour <= 50 else 'NOT met'})")
print(f"   replay --at, p50 {seeks[len(seeks) // 2]:.0f} ms, p99 {p99:.0f} ms over {len(seeks)} moments (process start included)   (target < 200 ms: {'met' if p99 < 200 else 'NOT met'})")
with open(summary, "a") as f:
    f.write(f"record_mb_per_hour_{nodes}={mb_hour:.1f}\nrecord_cpu_pct_{nodes}={recording - none:.2f}\nreplay_seek_ms_p99={p99:.0f}\n")
PY
/usr/bin/python3 - "$summary" "$hz" "$c0" "$c1" "$t0" "$t1" "$c2" "$c3" "$t2" "$t3" "$bytes_before" "$bytes_after" "$c4" "$c5" "$t4" "$t5" "$ADMIN_NODES" <<'PY'
import sys
summary = sys.argv[1]
hz, c0, c1, t0, t1, c2, c3, t2, t3, b0, b1, c4, c5, t4, t5 = (float(x) for x in sys.argv[2:17])
nodes = sys.argv[17]
none = (c1 - c0) / hz / (t1 - t0) * 100
one = (c5 - c4) / hz / (t5 - t4) * 100
three = (c3 - c2) / hz / (t3 - t2) * 100
each = (three - none) / 3
kbps = (b1 - b0) / 3 / 1024 / (t3 - t2)
print(f"   serve: {none:.2f} % of one core with no stream client, {one:.2f} % with 1, {three:.2f} % with 3")
print(f"   the first client: {one - none:.2f} % (it makes the pool publish snapshots at 10 Hz, and each delta is encoded); each further one: {(three - one) / 2:.2f} %")
print(f"   each attached dashboard costs {each:.2f} % of one core   (target < 1 %: {'met' if each < 1 else 'NOT met'})")
print(f"   each stream: {kbps:.1f} KB/s")
with open(summary, "a") as f:
    f.write(f"admin_attach_cpu_pct_each_{nodes}={each:.2f}\n")
    f.write(f"admin_stream_kbps_{nodes}={kbps:.1f}\n")
PY

fi  # ETCD_ONLY

if [ "${PROXY_ONLY:-0}" != 1 ] && [ "${ADMIN_ONLY:-0}" != 1 ] && [ "${TLS_ONLY:-0}" != 1 ]; then
# ---- 6. shared state: a drain on one instance, in force on another, through etcd ----
# A real etcd (Debian's etcd-server) on free loopback ports, its data on tmpfs; two instances
# (pool + etcd authority) in one process over three demo servers; ETCD_DRAINS drains and undrains
# on the first, each timed until the second routes by it. Beside it, etcd's own put → watch delay
# through the same client: what the store alone charges.
ETCD_DRAINS=${ETCD_DRAINS:-200}
echo "-- shared state: $ETCD_DRAINS drains propagated between two instances through etcd"
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
etcd_client=$(free_port); etcd_peer=$(free_port)
etcd_dir=$(mktemp -d -p "$( [ -d /dev/shm ] && echo /dev/shm || echo /tmp )" thrifttop-bench-etcd.XXXXXX)
etcd --name bench --data-dir "$etcd_dir/data" --listen-client-urls "http://127.0.0.1:$etcd_client" \
  --advertise-client-urls "http://127.0.0.1:$etcd_client" --listen-peer-urls "http://127.0.0.1:$etcd_peer" \
  --initial-advertise-peer-urls "http://127.0.0.1:$etcd_peer" --initial-cluster "bench=http://127.0.0.1:$etcd_peer" \
  >"$etcd_dir/log" 2>&1 &
etcd_pid=$!
bg_pids="$bg_pids $etcd_pid"
for _ in $(seq 100); do curl -sf -X POST -d '{}' "http://127.0.0.1:$etcd_client/v3/maintenance/status" >/dev/null && break; sleep 0.1; done
"$bin" bench-etcd --endpoint "http://127.0.0.1:$etcd_client" --drains "$ETCD_DRAINS" >"$out/etcd.json"
stop "$etcd_pid" || true
rm -rf "$etcd_dir"
/usr/bin/python3 - "$out/etcd.json" "$summary" <<'PY'
import json, sys
r, summary = json.load(open(sys.argv[1])), sys.argv[2]
p50, p99, raw50, raw99 = r["propagation_p50_ms"], r["propagation_p99_ms"], r["raw_p50_ms"], r["raw_p99_ms"]
print(f"   drain on A → routed by on B: p50 {p50:.2f} ms, p99 {p99:.2f} ms over {int(r['drains'])}   (target p99 < 200 ms: {'met' if p99 < 200 else 'NOT met'})")
print(f"   etcd alone, put → watch event: p50 {raw50:.2f} ms, p99 {raw99:.2f} ms; thrifttop adds {p50 - raw50:.2f} ms at p50 (the txn, the adoption on both pools)")
with open(summary, "a") as f:
    f.write(f"etcd_propagation_p50_ms={p50:.2f}\n")
    f.write(f"etcd_propagation_p99_ms={p99:.2f}\n")
    f.write(f"etcd_raw_watch_p99_ms={raw99:.2f}\n")
PY
fi  # shared state

if [ "${PROXY_ONLY:-0}" != 1 ] && [ "${ADMIN_ONLY:-0}" != 1 ] && [ "${ETCD_ONLY:-0}" != 1 ]; then
# ---- 7. TLS: heartbeats and one proxied hop, TLS against plaintext ----
# Certificates made for this run (scripts/make-test-certs.sh); 100 bench servers speaking TLS
# and 100 plaintext ones, both pinned to CPU 1; the pool heartbeats 500 nodes of each in turn
# (ROUNDS rounds, medians), pinned to CPU 0. Then section 4's latency run with the node on TLS:
# client → serve plaintext, serve → server TLS, against the client → server plaintext directly.
ROUNDS=${ROUNDS:-3}
COMPARE_SECONDS=${COMPARE_SECONDS:-10}
PROXY_ROUNDS=${PROXY_ROUNDS:-3}
PROXY_LATENCY_CALLS=${PROXY_LATENCY_CALLS:-40000}
echo "-- TLS: CPU per 1,000 heartbeats over TLS vs plaintext, $COMPARE_NODES nodes, 1 s interval, $ROUNDS rounds of ${COMPARE_SECONDS}s each"
certs="$out/certs"
scripts/make-test-certs.sh "$certs"
tls_servers() {
  launch "$1" "$bin" bench-servers --listeners "$2" --duration 3600 --tls-cert "$certs/server.pem" --tls-key "$certs/server.key" >"$out/tls-servers" 2>&1
  tls_server_pid=$launched
  for _ in $(seq 1 200); do grep -q '^PORTS ' "$out/tls-servers" && break; sleep 0.05; done
  tls_ports=$(sed -n 's/^PORTS //p' "$out/tls-servers")
  [ -n "$tls_ports" ] || { echo "TLS bench servers did not start:"; cat "$out/tls-servers"; exit 1; }
}
start_servers 100
tls_servers 1 100
for round in $(seq 1 "$ROUNDS"); do
  pin 0 "$bin" bench-pool --ports "$ports" --nodes "$COMPARE_NODES" --seconds "$COMPARE_SECONDS" --warmup 10 >"$out/plain-r$round.json"
  pin 0 "$bin" bench-pool --ports "$tls_ports" --nodes "$COMPARE_NODES" --seconds "$COMPARE_SECONDS" --warmup 10 --tls-ca "$certs/ca.pem" >"$out/tls-r$round.json"
done
stop "$tls_server_pid" || true
stop_servers
/usr/bin/python3 - "$out" "$ROUNDS" "$summary" <<'PY'
import json, statistics, sys
out, rounds, summary = sys.argv[1], int(sys.argv[2]), sys.argv[3]
load = lambda name: [json.load(open(f"{out}/{name}-r{i}.json")) for i in range(1, rounds + 1)]
plain, tls = load("plain"), load("tls")
one = lambda r: r["cpu_s"] / (r["heartbeats"] / 1000) * 1000  # ms of CPU per 1,000 heartbeats
per = lambda runs: statistics.median(one(r) for r in runs)
ratio = statistics.median(one(t) / one(p) for p, t in zip(plain, tls))
up = min(r["up_after"] for r in tls)
print(f"   plaintext: {per(plain):.1f} ms CPU per 1,000 heartbeats; TLS: {per(tls):.1f} ms ({up} of {tls[0]['nodes']} nodes up over TLS)")
print(f"   TLS / plaintext: {ratio:.2f}x (median of rounds, each round's pair taken back to back)")
with open(summary, "a") as f:
    f.write(f"tls_heartbeat_cpu_ratio_500={ratio:.2f}\n")
PY

echo "-- TLS: latency one hop adds with serve → server over TLS, getStatus back to back, $PROXY_LATENCY_CALLS calls, all on CPU 0, $PROXY_ROUNDS rounds"
start_servers 1 0
tls_servers 0 1
{ printf 'name = "bench"\nbalancer = "round-robin"\n\n[[listener]]\naddress = "127.0.0.1:0"\n'
  printf '\n[[node]]\nname = "node0"\naddress = "127.0.0.1:%s"\ntls = true\ntls_ca_file = "%s"\n' "$tls_ports" "$certs/ca.pem"
} >"$out/tls.toml"
start_proxy 0 "$out/tls.toml"
for round in $(seq 1 "$PROXY_ROUNDS"); do
  pin 0 "$out/load" --port "$ports" --calls "$PROXY_LATENCY_CALLS" --seconds 30 --warmup 1 >"$out/tlshop-direct-r$round.json"
  pin 0 "$out/load" --port "$proxy_port" --calls "$PROXY_LATENCY_CALLS" --seconds 30 --warmup 1 >"$out/tlshop-proxy-r$round.json"
done
stop_proxy
stop "$tls_server_pid" || true
stop_servers
/usr/bin/python3 - "$out" "$PROXY_ROUNDS" "$summary" <<'PY'
import json, statistics, sys
out, rounds, summary = sys.argv[1], int(sys.argv[2]), sys.argv[3]
load = lambda name: [json.load(open(f"{out}/tlshop-{name}-r{i}.json")) for i in range(1, rounds + 1)]
direct, proxy = load("direct"), load("proxy")
for name, runs in (("direct, plaintext      ", direct), ("through serve, TLS hop", proxy)):
    print(f"   {name}: p50 " + ", ".join(f"{r['p50_us']:.1f}" for r in runs) + " µs;  p99 " + ", ".join(f"{r['p99_us']:.1f}" for r in runs)
          + f" µs  ({sum(r['calls'] for r in runs)} calls, {sum(r['errors'] for r in runs)} errors)")
p50 = statistics.median(p["p50_us"] - d["p50_us"] for d, p in zip(direct, proxy))
print(f"   added p50 with TLS to the server: {p50:.1f} µs (median of rounds; the plaintext hop's is proxy_added_p50_us)")
with open(summary, "a") as f:
    f.write(f"tls_proxy_added_p50_us={p50:.1f}\n")
PY
fi  # TLS

# Last, so that a script can read everything after this line.
echo "== summary =="
cat "$summary"
