/// The default demo scenario, built in so `thrifttop --demo` works from any directory. It is
/// the same text as `demo/scenario.toml` (a test keeps them identical); edit both together.
extension DemoScenario {
    public static let builtInDefaultText = #"""
# The default demo cluster: `thrifttop demo-servers` and `thrifttop --demo` run it.
#
# Every node is one fb303 + DemoService server on 127.0.0.1. A node's fault keys set its base
# behaviour; each [[node.step]] lays a change over it from `at` seconds after start, for
# `duration` seconds (forever when absent), again every `every` seconds when set.
#
# Fault keys (node, [defaults] or step):
#   latency_ms, jitter_ms      added delay: latency + uniform [0, jitter)
#   tail_ms, tail_rate         a rare long delay: tail_ms with probability tail_rate
#   error_rate                 share of calls answered with TApplicationException INTERNAL_ERROR
#   status, details            what getStatus / getStatusDetails answer (ALIVE, WARNING, ...)
#   hang                       accept and read, never answer
#   crashed                    listener and connections closed (restart when the step ends)
#   garbage                    answer with bytes that are not a Thrift message
#   oversized_frame            answer with a frame header announcing ~2 GiB
# Node keys also: name, protocol (binary|compact|json), transport (framed|unframed|header), version.

name = "demo"
seed = 42

[defaults]
protocol = "binary"
transport = "framed"
version = "2.3.1"
latency_ms = 0.3
jitter_ms = 0.4

[[node]]
name = "alpha"          # healthy

[[node]]
name = "bravo"          # healthy, THeader transport with compact inside (fbthrift's default)
protocol = "compact"
transport = "header"

[[node]]
name = "charlie"        # healthy, unframed transport (TBufferedTransport peers)
transport = "unframed"

[[node]]
name = "slowpoke"       # slow with a heavy tail: P2C should move traffic away
latency_ms = 25
jitter_ms = 15
tail_ms = 250
tail_rate = 0.02

[[node]]
name = "grumpy"         # error-prone
error_rate = 0.15

[[node]]
name = "flappy"         # flapping: down 3 s of every 10
[[node.step]]
at = 6
duration = 3
every = 10
crashed = true

[[node]]
name = "phoenix"        # crashes at 15 s and every 45 s, restarts 8 s later
[[node.step]]
at = 15
duration = 8
every = 45
crashed = true

[[node]]
name = "diskfull"       # WARNING (degraded but routable) for 20 s of every 40
[[node.step]]
at = 10
duration = 20
every = 40
status = "WARNING"
details = "disk 91% full"

[[node]]
name = "warmup"         # STARTING for its first 12 s, then ALIVE
[[node.step]]
at = 0
duration = 12
status = "STARTING"
details = "warming caches"
"""#

    public static func builtInDefault() throws -> DemoScenario {
        try DemoScenario(parsing: builtInDefaultText, file: "built-in demo/scenario.toml")
    }
}
