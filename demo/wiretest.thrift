/*
 * A service whose methods carry every Thrift type, so a proxy's translation between wire forms
 * (binary, compact, JSON; framed, unframed, THeader, HTTP) can be checked value by value.
 * Served by demo/python/wire_server.py, called by demo/python/wire_client.py.
 */
include "fb303.thrift"

namespace py wiretest

/** Values at both ends of an i32 and one below zero, so every encoding's sign handling shows. */
enum Color {
  RED = 1,
  GREEN = 2,
  BLUE = 3,
  NEGATIVE = -7,
  LARGEST = 2147483647,
}

/**
 * A map key. Immutable, so Python can hash it: without the annotation a generated struct has
 * __eq__ and no __hash__, and decoding a map<Point, ...> fails with "unhashable type".
 */
struct Point {
  1: i32 x,
  2: i32 y,
} (python.immutable = "")

/** One arm set at a time; the client tries each. */
union Shape {
  1: Point point,
  2: string label,
  3: double radius,
  4: list<Point> path,
}

/** The nested struct; itself nests a struct, a container of structs and an optional. */
struct Inner {
  1: string name,
  2: Point where,
  3: map<string, list<Point>> groups,
  4: optional Color tint,
}

struct Everything {
  1: bool flag,
  2: i8 tiny,
  3: i16 small,
  4: i32 medium,
  5: i64 large,
  6: double real,
  7: string text,
  8: list<i32> ints,
  9: set<string> names,
  10: map<Point, string> byPoint,
  11: map<string, i64> counts,
  12: Inner inner,
  13: Shape shape,
  14: Color color,
  15: optional string note,
  16: optional i64 maybe,
  17: list<list<string>> nested,
  18: map<i32, double> weights,
  19: list<bool> bools,
  /** A field id far from its neighbour: compact writes the long field header (delta > 15). */
  1000: optional i16 far,
}

/** A declared exception: echo refuses a value whose text is "fail". */
exception WireFailed {
  1: string reason,
  2: i32 code,
}

service WireTest extends fb303.FacebookService {
  /** Answers the value as received; value.text == "fail" raises WireFailed instead. */
  Everything echo(1: Everything value) throws (1: WireFailed failed),

  /**
   * Answers the bytes as received. Kept apart from Everything: TJSONProtocol writes binary as
   * base64, which a proxy without the IDL cannot tell from a string, so JSON<->binary
   * translation tests skip this method.
   */
  binary echoBinary(1: binary data),

  /** Fire and forget: only counted. */
  oneway void ping(1: string text),

  /**
   * The THeader info headers of the last call the server received before this one
   * (lastRequestHeaders calls themselves are not recorded); empty when that call came without
   * THeader or without info headers.
   */
  map<string, string> lastRequestHeaders(),
}
