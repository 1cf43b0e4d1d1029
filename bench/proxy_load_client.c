// The load client for `make bench`'s proxy section: strict-binary fb303 calls from raw sockets,
// nothing in the way but the kernel, so that what it measures is the server (or the proxy in
// front of it), not a Thrift library.
//
//   proxy_load_client --port P [--connections N] [--method getStatus|getName] [--seconds S]
//                     [--calls C] [--warmup S] [--transport framed|header|http]
//   proxy_load_client --port P --idle N [--hold S]
//
// Transports (--transport, default framed): framed, each call a 4-byte length and the message;
// header, each call a THeader frame (Apache Thrift's doc/specs/HeaderFormat.md: protocol binary,
// no transforms, the message's seqid in the frame's too), its reply read as one and its header
// skipped; http, each call an HTTP/1.1 keep-alive `POST /` with the message as its body, its
// reply a 200 with a Content-Length (anything else counts as an error; a `Connection: close`
// answer, or one with no Content-Length, makes the connection reopen before the next call). A
// call's bytes are built once per connection and only its seqid is patched from call to call.
//
// Load: N connections (default 1), one thread each, each sending a call, waiting for its reply,
// then the next (back to back, one call in flight per connection). Each call's round trip is
// timed with clock_gettime(CLOCK_MONOTONIC) from before the write to after the whole reply is
// read. The first --warmup seconds are not counted; then it runs for --seconds or until --calls
// calls in all were counted, whichever comes first. Prints one JSON line: calls, errors
// (exception replies, wrong seqid), calls_per_s, p50_us, p90_us, p99_us, max_us,
// mean_us, and with --method getName the counted replies per server name ("names").
//
// Idle (framed only): opens N connections one after the other (raise `ulimit -n` first), each
// making one getStatus call (a connection the listener refused reads EOF and counts as refused),
// prints `READY {...}` and a newline, then holds them all, sending nothing, for --hold seconds (or
// until killed), and exits.

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNECTIONS 256
#define MAX_NAMES 16
#define MAX_SAMPLES_PER_THREAD 4000000

static double monotonic(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static void die(const char *what) {
    fprintf(stderr, "proxy_load_client: %s: %s\n", what, strerror(errno));
    exit(1);
}

static int port;
static const char *method = "getStatus";
static double warmup = 0.5, seconds = 5;
static long max_calls = 1000000;
static enum transport { FRAMED, HEADER, HTTP } transport = FRAMED;

// A connection to 127.0.0.1:port, or -1 if the connect fails (an HTTP reconnect stops its thread).
static int try_dial(void) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) die("socket");
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons(port)};
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&address, sizeof address) != 0) {
        int error = errno;
        close(fd);
        errno = error;
        return -1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

static int dial(void) {
    int fd = try_dial();
    if (fd < 0) die("connect");
    return fd;
}

static void put16(unsigned char *p, uint16_t v) {
    p[0] = v >> 8; p[1] = v;
}

static void put32(unsigned char *p, uint32_t v) {
    p[0] = v >> 24; p[1] = v >> 16; p[2] = v >> 8; p[3] = v;
}

static uint32_t get32(const unsigned char *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

// An unframed strict-binary CALL `name` with empty args, seqid 0 at 8 + strlen(name) (patched
// per call). Returns its size.
static int encode_message(unsigned char *out, const char *name) {
    int n = (int)strlen(name), at = 0;
    put32(out + at, 0x80010001); at += 4;  // version 1, type CALL
    put32(out + at, n); at += 4;
    memcpy(out + at, name, n); at += n;
    put32(out + at, 0); at += 4;           // seqid
    out[at++] = 0;                         // STOP: no args
    return at;
}

// A framed strict-binary CALL `name` with empty args, seqid 0 (patched per call). Returns its size.
static int encode_call(unsigned char *out, const char *name) {
    int size = encode_message(out + 4, name);
    put32(out, size);
    return size + 4;
}

// One call's bytes in the chosen transport, built once per connection: only the seqid changes
// from call to call, patched in place where it sits (twice in a THeader frame).
struct request {
    unsigned char bytes[512];
    int size;
    int seqid_at[2], seqids;
};

static void build_request(struct request *q, const char *name) {
    int seqid_in_message = 8 + (int)strlen(name);
    if (transport == FRAMED) {
        q->size = encode_call(q->bytes, name);
        q->seqid_at[0] = 4 + seqid_in_message;
        q->seqids = 1;
    } else if (transport == HEADER) {
        //   length (i32, excluding itself) | 0x0FFF (u16) | flags 0 (u16) | seqid (i32) |
        //   header words (u16) = 1 | protocol id 0 = binary, transform count 0, 2 bytes padding |
        //   the binary message
        put16(q->bytes + 4, 0x0FFF);
        put16(q->bytes + 6, 0);
        put32(q->bytes + 8, 0);
        put16(q->bytes + 12, 1);
        memset(q->bytes + 14, 0, 4);
        q->size = 18 + encode_message(q->bytes + 18, name);
        put32(q->bytes, q->size - 4);
        q->seqid_at[0] = 8;
        q->seqid_at[1] = 18 + seqid_in_message;
        q->seqids = 2;
    } else {
        unsigned char message[128];
        int size = encode_message(message, name);
        int head = snprintf((char *)q->bytes, sizeof q->bytes - size,
                            "POST / HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nContent-Type: application/x-thrift\r\nContent-Length: %d\r\n\r\n",
                            port, size);
        memcpy(q->bytes + head, message, size);
        q->size = head + size;
        q->seqid_at[0] = head + seqid_in_message;
        q->seqids = 1;
    }
}

static void set_seqid(struct request *q, int32_t seqid) {
    for (int i = 0; i < q->seqids; i++) put32(q->bytes + q->seqid_at[i], (uint32_t)seqid);
}

// Reads exactly n bytes; 0 on EOF or error.
static int read_full(int fd, unsigned char *buffer, size_t n) {
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, buffer + got, n - got);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return 0;
        got += r;
    }
    return 1;
}

static int write_full(int fd, const unsigned char *buffer, size_t n) {
    size_t sent = 0;
    while (sent < n) {
        ssize_t w = write(fd, buffer + sent, n - sent);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return 0;
        sent += w;
    }
    return 1;
}

enum reply { REPLY_OK, REPLY_ERROR, REPLY_EOF };

// Checks a strict-binary reply message of `length` bytes: type REPLY and the seqid. With `name`
// set and the reply a getName success, copies the returned string there.
static enum reply check_message(const unsigned char *frame, size_t length, int32_t seqid, char *name, size_t name_capacity) {
    if (length < 13) return REPLY_ERROR;
    uint32_t version = get32(frame);
    if ((version & 0xFFFF0000) != 0x80010000 || (version & 0xFF) != 2) return REPLY_ERROR;  // exception or other
    uint32_t name_length = get32(frame + 4);
    if (8 + (size_t)name_length + 4 > length) return REPLY_ERROR;
    if ((int32_t)get32(frame + 8 + name_length) != seqid) return REPLY_ERROR;
    size_t at = 12 + name_length;
    // Result struct: field 0 is the success; anything else (or STOP) is a declared exception.
    if (at + 3 > length || frame[at + 1] != 0 || frame[at + 2] != 0) return REPLY_ERROR;
    if (name && frame[at] == 11) {  // string
        at += 3;
        if (at + 4 > length) return REPLY_ERROR;
        uint32_t n = get32(frame + at);
        at += 4;
        if (at + n > length) return REPLY_ERROR;
        if (n >= name_capacity) n = name_capacity - 1;
        memcpy(name, frame + at, n);
        name[n] = 0;
    }
    return REPLY_OK;
}

// Reads one framed reply into `frame` (its body, without the length) and checks it.
static enum reply read_reply(int fd, unsigned char *frame, size_t capacity, int32_t seqid, char *name, size_t name_capacity) {
    unsigned char header[4];
    if (!read_full(fd, header, 4)) return REPLY_EOF;
    uint32_t length = get32(header);
    if (length < 13 || length > capacity) return REPLY_EOF;  // not a reply we can read: stop
    if (!read_full(fd, frame, length)) return REPLY_EOF;
    return check_message(frame, length, seqid, name, name_capacity);
}

// Reads one THeader reply into `frame` (without the length), skips its header and checks the
// message. The frame must carry the call's seqid, a binary message and no transforms.
static enum reply read_header_reply(int fd, unsigned char *frame, size_t capacity, int32_t seqid, char *name, size_t name_capacity) {
    unsigned char header[4];
    if (!read_full(fd, header, 4)) return REPLY_EOF;
    uint32_t length = get32(header);
    if (length < 10 || length > capacity) return REPLY_EOF;  // not a reply we can read: stop
    if (!read_full(fd, frame, length)) return REPLY_EOF;
    if (frame[0] != 0x0F || frame[1] != 0xFF || (int32_t)get32(frame + 4) != seqid) return REPLY_ERROR;
    size_t at = 10 + 4 * (size_t)(frame[8] << 8 | frame[9]);
    if (at == 10 || at > length || frame[10] != 0 || frame[11] != 0) return REPLY_ERROR;  // protocol 0, no transforms
    return check_message(frame + at, length - at, seqid, name, name_capacity);
}

// Whether `word` occurs in the n bytes at p, in any case.
static int contains(const char *p, size_t n, const char *word) {
    size_t w = strlen(word);
    for (size_t i = 0; i + w <= n; i++)
        if (!strncasecmp(p + i, word, w)) return 1;
    return 0;
}

// Reads one HTTP response into `buffer` (`*have` bytes already there, left over from the last
// read): the head up to its blank line, then Content-Length bytes of body, checked as a binary
// reply. A status other than 200 counts as an error. Sets *reconnect when the server closes the
// connection after this response (`Connection: close`, or HTTP/1.0 without keep-alive) or when
// it has no Content-Length (its end cannot be found: an error too).
static enum reply read_http_reply(int fd, unsigned char *buffer, size_t capacity, size_t *have, int32_t seqid,
                                  char *name, size_t name_capacity, int *reconnect) {
    size_t head = 0;  // the head's size, its blank line included
    for (;;) {
        const unsigned char *end = memmem(buffer, *have, "\r\n\r\n", 4);
        if (end) { head = end + 4 - buffer; break; }
        if (*have == capacity) return REPLY_EOF;  // a head this long is no reply of ours: stop
        ssize_t r = read(fd, buffer + *have, capacity - *have);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return REPLY_EOF;
        *have += r;
    }
    const char *text = (const char *)buffer;
    if (head < 16 || memcmp(text, "HTTP/1.", 7)) return REPLY_EOF;  // not an HTTP response: stop
    int ok = !memcmp(text + 8, " 200", 4) && (text[12] == ' ' || text[12] == '\r');
    int keep_alive = text[7] == '1';  // HTTP/1.1 keeps the connection unless told otherwise; 1.0 closes it
    long content_length = -1;
    for (const char *line = (const char *)memchr(text, '\n', head) + 1; line < text + head - 2;) {
        const char *eol = memchr(line, '\n', text + head - line);
        size_t n = eol - line;
        if (n > 15 && !strncasecmp(line, "Content-Length:", 15)) content_length = strtol(line + 15, NULL, 10);
        else if (n > 11 && !strncasecmp(line, "Connection:", 11)) {
            if (contains(line + 11, n - 11, "close")) keep_alive = 0;
            else if (contains(line + 11, n - 11, "keep-alive")) keep_alive = 1;
        }
        line = eol + 1;
    }
    if (content_length < 0) {
        *have = 0;
        *reconnect = 1;
        return REPLY_ERROR;
    }
    size_t total = head + (size_t)content_length;
    if (total > capacity) return REPLY_EOF;  // not a reply we can read: stop
    while (*have < total) {
        ssize_t r = read(fd, buffer + *have, capacity - *have);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return REPLY_EOF;
        *have += r;
    }
    enum reply result = ok ? check_message(buffer + head, content_length, seqid, name, name_capacity) : REPLY_ERROR;
    memmove(buffer, buffer + total, *have - total);
    *have -= total;
    if (!keep_alive) {
        *have = 0;
        *reconnect = 1;
    }
    return result;
}

struct worker {
    pthread_t thread;
    int fd;
    double start, measure_from, end;
    float *samples;  // µs
    long count, errors;
    int eof;
    char names[MAX_NAMES][64];
    long name_counts[MAX_NAMES];
    int name_total;
};

static long per_thread;     // samples each thread can keep
static long counted_total;  // all threads, atomically
static pthread_barrier_t barrier;

static void tally(struct worker *w, const char *name) {
    for (int i = 0; i < w->name_total; i++)
        if (!strcmp(w->names[i], name)) { w->name_counts[i]++; return; }
    if (w->name_total < MAX_NAMES) {
        snprintf(w->names[w->name_total], sizeof w->names[0], "%s", name);
        w->name_counts[w->name_total++] = 1;
    }
}

static void *run(void *arg) {
    struct worker *w = arg;
    struct request call;
    unsigned char frame[65536];
    size_t have = 0;  // HTTP: bytes read past the last response
    char name[64];
    build_request(&call, method);
    int want_name = !strcmp(method, "getName");
    pthread_barrier_wait(&barrier);
    for (int32_t seqid = 1;; seqid++) {
        double before = monotonic();
        if (before >= w->end) break;
        set_seqid(&call, seqid);
        if (!write_full(w->fd, call.bytes, call.size)) { w->eof = 1; break; }
        enum reply r;
        int reconnect = 0;
        if (transport == FRAMED) r = read_reply(w->fd, frame, sizeof frame, seqid, want_name ? name : NULL, sizeof name);
        else if (transport == HEADER) r = read_header_reply(w->fd, frame, sizeof frame, seqid, want_name ? name : NULL, sizeof name);
        else r = read_http_reply(w->fd, frame, sizeof frame, &have, seqid, want_name ? name : NULL, sizeof name, &reconnect);
        double after = monotonic();
        if (r == REPLY_EOF) { w->eof = 1; break; }
        if (reconnect) {
            close(w->fd);
            if ((w->fd = try_dial()) < 0) { w->eof = 1; break; }
        }
        if (before < w->measure_from) continue;
        if (r == REPLY_ERROR) { w->errors++; continue; }
        if (__atomic_add_fetch(&counted_total, 1, __ATOMIC_RELAXED) > max_calls || w->count >= per_thread) break;
        w->samples[w->count++] = (float)((after - before) * 1e6);
        if (want_name) tally(w, name);
    }
    return NULL;
}

static int compare_float(const void *a, const void *b) {
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

static int load(int connections) {
    struct worker *workers = calloc(connections, sizeof *workers);
    per_thread = max_calls < MAX_SAMPLES_PER_THREAD ? max_calls : MAX_SAMPLES_PER_THREAD;
    for (int i = 0; i < connections; i++) {
        workers[i].fd = dial();
        workers[i].samples = malloc(sizeof(float) * per_thread);
        if (!workers[i].samples) die("malloc");
    }
    pthread_barrier_init(&barrier, NULL, connections + 1);
    double start = monotonic();
    for (int i = 0; i < connections; i++) {
        workers[i].start = start;
        workers[i].measure_from = start + warmup;
        workers[i].end = start + warmup + seconds;
        if (pthread_create(&workers[i].thread, NULL, run, &workers[i]) != 0) die("pthread_create");
    }
    pthread_barrier_wait(&barrier);
    long total = 0, errors = 0;
    int eofs = 0;
    for (int i = 0; i < connections; i++) {
        pthread_join(workers[i].thread, NULL);
        total += workers[i].count;
        errors += workers[i].errors;
        eofs += workers[i].eof;
    }
    // Wall time of the counted part: from the end of the warmup to the last thread's stop.
    double wall = monotonic() - (start + warmup);
    float *all = malloc(sizeof(float) * (total ? total : 1));
    long at = 0;
    double sum = 0;
    for (int i = 0; i < connections; i++) {
        memcpy(all + at, workers[i].samples, sizeof(float) * workers[i].count);
        at += workers[i].count;
    }
    for (long i = 0; i < total; i++) sum += all[i];
    qsort(all, total, sizeof(float), compare_float);
    double p50 = 0, p90 = 0, p99 = 0, max = 0;
    if (total > 0) {
        p50 = all[(long)(0.50 * (total - 1))];
        p90 = all[(long)(0.90 * (total - 1))];
        p99 = all[(long)(0.99 * (total - 1))];
        max = all[total - 1];
    }
    printf("{\"connections\": %d, \"method\": \"%s\", \"calls\": %ld, \"errors\": %ld, \"closed\": %d, \"wall_s\": %.3f, "
           "\"calls_per_s\": %.1f, \"p50_us\": %.2f, \"p90_us\": %.2f, \"p99_us\": %.2f, \"max_us\": %.2f, \"mean_us\": %.2f",
           connections, method, total, errors, eofs, wall, total / wall, p50, p90, p99, max, total ? sum / total : 0);
    if (!strcmp(method, "getName")) {
        // Merge the threads' tallies.
        char names[MAX_NAMES][64];
        long counts[MAX_NAMES] = {0};
        int n = 0;
        for (int i = 0; i < connections; i++)
            for (int j = 0; j < workers[i].name_total; j++) {
                int k = 0;
                while (k < n && strcmp(names[k], workers[i].names[j])) k++;
                if (k == n) {
                    if (n == MAX_NAMES) continue;
                    memcpy(names[n++], workers[i].names[j], sizeof names[0]);
                }
                counts[k] += workers[i].name_counts[j];
            }
        printf(", \"names\": {");
        for (int k = 0; k < n; k++) printf("%s\"%s\": %ld", k ? ", " : "", names[k], counts[k]);
        printf("}");
    }
    printf("}\n");
    return eofs > 0 ? 1 : 0;
}

static int idle(int connections, double hold) {
    int *fds = calloc(connections, sizeof(int));
    unsigned char call[128], frame[4096];
    int size = encode_call(call, "getStatus");
    // Each connection is opened and makes one call, answered before the next one opens: the
    // listener has taken it (or refused it: EOF) by then, and the node's queue (max_pending)
    // never sees more than one of these calls at a time.
    put32(call + 4 + 8 + 9, 1);
    int answered = 0, refused = 0, errors = 0;
    double start = monotonic();
    for (int i = 0; i < connections; i++) {
        fds[i] = dial();
        enum reply r = write_full(fds[i], call, size) ? read_reply(fds[i], frame, sizeof frame, 1, NULL, 0) : REPLY_EOF;
        if (r == REPLY_OK) answered++;
        else if (r == REPLY_EOF) refused++;
        else errors++;
    }
    double connected = monotonic();
    printf("READY {\"connections\": %d, \"answered\": %d, \"refused\": %d, \"errors\": %d, \"open_s\": %.3f}\n",
           connections, answered, refused, errors, connected - start);
    fflush(stdout);
    double until = monotonic() + hold;
    while (monotonic() < until) {
        double left = until - monotonic();
        struct timespec t = {.tv_sec = (time_t)left, .tv_nsec = (long)((left - (time_t)left) * 1e9)};
        nanosleep(&t, NULL);
    }
    for (int i = 0; i < connections; i++) close(fds[i]);
    return 0;
}

int main(int argc, char **argv) {
    signal(SIGPIPE, SIG_IGN);  // a connection the other side closed fails its write instead
    int connections = 1, idle_count = 0, transport_ok = 1;
    double hold = 30;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--port")) port = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--connections")) connections = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--method")) method = argv[i + 1];
        else if (!strcmp(argv[i], "--seconds")) seconds = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--calls")) max_calls = atol(argv[i + 1]);
        else if (!strcmp(argv[i], "--warmup")) warmup = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--idle")) idle_count = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--hold")) hold = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--transport")) {
            if (!strcmp(argv[i + 1], "framed")) transport = FRAMED;
            else if (!strcmp(argv[i + 1], "header")) transport = HEADER;
            else if (!strcmp(argv[i + 1], "http")) transport = HTTP;
            else transport_ok = 0;
        }
        else { fprintf(stderr, "proxy_load_client: unknown option %s\n", argv[i]); return 2; }
    }
    int method_ok = !strcmp(method, "getStatus") || !strcmp(method, "getName");
    if (port <= 0 || port > 65535 || connections < 1 || connections > MAX_CONNECTIONS || !method_ok || seconds <= 0 ||
        seconds > 3600 || warmup < 0 || max_calls < 1 || idle_count < 0 || idle_count > 100000 || hold < 0 || hold > 3600 ||
        !transport_ok || (idle_count > 0 && transport != FRAMED)) {
        fprintf(stderr, "usage: proxy_load_client --port P [--connections N<=%d] [--method getStatus|getName] [--seconds S] [--calls C] [--warmup S]\n"
                        "                         [--transport framed|header|http]\n"
                        "       proxy_load_client --port P --idle N [--hold S]   (framed only)\n", MAX_CONNECTIONS);
        return 2;
    }
    return idle_count > 0 ? idle(idle_count, hold) : load(connections);
}
