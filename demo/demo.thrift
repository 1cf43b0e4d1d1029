/*
 * The bundled demo service: fb303 plus one business method, so the pool's balancer has real
 * calls to spread in `thrifttop --demo`.
 */
include "fb303.thrift"

namespace py demo

/** A declared exception: the server refused the work. */
exception WorkFailed {
  1: string reason,
  2: i32 code,
}

service DemoService extends fb303.FacebookService {
  /**
   * Spends costMicros of simulated work and echoes the payload back.
   * A negative costMicros is refused with WorkFailed.
   */
  binary work(1: i32 costMicros, 2: binary payload) throws (1: WorkFailed failed),

  /** Fire and forget: the server counts it (fb303 counters); nothing comes back. */
  oneway void note(1: string text),
}

/**
 * A second service, served beside DemoService by `fb303_server.py --multiplexed` (Apache
 * Thrift's TMultiplexedProcessor), so a proxy's [[route]] service = "Billing" can be tried.
 */
service Billing {
  /** Says which server charged, and how much. */
  string charge(1: i64 cents),
}
