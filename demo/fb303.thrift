/*
 * The fb303 health contract as thrifttop speaks it: the subset of Apache Thrift's
 * contrib/fb303 FacebookService (facebook/fb303 calls it BaseService) that a heartbeat and a
 * details pane need. Written here from the wire contract; field ids and types match fb303, so
 * any fb303 server answers these calls.
 */
namespace py fb303
namespace cpp facebook.fb303

/** The server's own view of its health. An i32 on the wire. */
enum fb_status {
  DEAD = 0,
  STARTING = 1,
  ALIVE = 2,
  STOPPING = 3,
  STOPPED = 4,
  WARNING = 5,
}

service FacebookService {
  /** A descriptive name of the service. */
  string getName(),

  /** The version of the service. */
  string getVersion(),

  /** The heartbeat: the status of the service. */
  fb_status getStatus(),

  /** A human-readable explanation of the status, e.g. "disk 91% full". */
  string getStatusDetails(),

  /** All counters of the service. */
  map<string, i64> getCounters(),

  /** One counter, 0 when unknown. */
  i64 getCounter(1: string key),

  /** The Unix time in seconds at which the server started. */
  i64 aliveSince(),
}
