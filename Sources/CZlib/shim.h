// The system zlib (Debian zlib1g-dev), for THeader's zlib transform. deflateInit and
// inflateInit are macros that Swift cannot call: these wrap them.
#include <zlib.h>

static inline int thrifttop_deflateInit(z_streamp stream, int level) {
    return deflateInit(stream, level);
}

static inline int thrifttop_inflateInit(z_streamp stream) {
    return inflateInit(stream);
}
