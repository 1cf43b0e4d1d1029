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
}
