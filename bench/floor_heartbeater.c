// The floor for `make bench`: what heartbeating N Thrift servers costs with nothing but the
// kernel in the way. One thread, one epoll loop, one TCP connection per node (as the pool), a
// pre-encoded framed binary fb303 getStatus call sent on the pool's schedule (spread evenly over
// the interval, taken at 10 ms ticks), one read per ready connection counted as a reply,
// nothing decoded, no bookkeeping. The sockets stay blocking: a 26-byte write to an idle
// connection never blocks, and reads happen only when epoll says there is data. No real heartbeater can cost less; the pool's distance from this
// line is what its own code costs. Prints one JSON line like `thrifttop bench-pool`.
//
//   floor_heartbeater --ports P1,P2,... --nodes N [--seconds S] [--warmup W] [--interval-ms I] [--windows K]
//
// With --windows K the measurement is cut into K windows and the median one is reported (noise
// on a shared machine hits single windows), as `thrifttop bench-pool --windows` does.

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double monotonic(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static void cpu(double *user, double *system) {
    struct rusage r;
    getrusage(RUSAGE_SELF, &r);
    *user = r.ru_utime.tv_sec + r.ru_utime.tv_usec / 1e6;
    *system = r.ru_stime.tv_sec + r.ru_stime.tv_usec / 1e6;
}

static void die(const char *what) {
    fprintf(stderr, "floor_heartbeater: %s: %s\n", what, strerror(errno));
    exit(1);
}

int main(int argc, char **argv) {
    const char *ports_arg = NULL;
    int nodes = 0;
    double seconds = 20, warmup = 5, interval = 1.0;
    int windows = 1;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--ports")) ports_arg = argv[i + 1];
        else if (!strcmp(argv[i], "--nodes")) nodes = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--seconds")) seconds = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--warmup")) warmup = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--interval-ms")) interval = atof(argv[i + 1]) / 1000;
        else if (!strcmp(argv[i], "--windows")) windows = atoi(argv[i + 1]);
        else { fprintf(stderr, "floor_heartbeater: unknown option %s\n", argv[i]); return 2; }
    }
    if (!ports_arg || nodes <= 0 || seconds <= 0 || interval <= 0 || windows <= 0 || windows > 100) {
        fprintf(stderr, "usage: floor_heartbeater --ports P1,P2,... --nodes N [--seconds S] [--warmup W] [--interval-ms I] [--windows K]\n");
        return 2;
    }
    char *ports_copy = strdup(ports_arg);
    int port_count = 0, ports[4096];
    for (char *p = strtok(ports_copy, ","); p && port_count < 4096; p = strtok(NULL, ",")) ports[port_count++] = atoi(p);
    if (port_count == 0) { fprintf(stderr, "floor_heartbeater: --ports names no port\n"); return 2; }

    // Framed binary CALL getStatus, seqid 1, empty args: the bytes the pool sends.
    static const unsigned char call[] = {0, 0, 0, 22, 0x80, 1, 0, 1, 0, 0, 0, 9,
                                         'g', 'e', 't', 'S', 't', 'a', 't', 'u', 's', 0, 0, 0, 1, 0};
    int epoll = epoll_create1(0);
    if (epoll < 0) die("epoll_create1");
    int *fds = calloc(nodes, sizeof(int));
    for (int i = 0; i < nodes; i++) {
        fds[i] = socket(AF_INET, SOCK_STREAM, 0);
        if (fds[i] < 0) die("socket");
        struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons(ports[i % port_count])};
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (connect(fds[i], (struct sockaddr *)&address, sizeof address) != 0) die("connect");
        int one = 1;
        setsockopt(fds[i], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        struct epoll_event event = {.events = EPOLLIN, .data.u32 = (unsigned)i};
        if (epoll_ctl(epoll, EPOLL_CTL_ADD, fds[i], &event) != 0) die("epoll_ctl");
    }

    // Node i is due at start + i/N of the interval, then every interval: due times stay in
    // index order, so a cursor walks them with no timer structure at all.
    double *due = calloc(nodes, sizeof(double));
    const double tick = 0.010, start = monotonic() + tick;
    for (int i = 0; i < nodes; i++) due[i] = start + interval * i / nodes;
    int cursor = 0;
    long sent = 0, replies = 0;
    // Window w runs from measure_from + w * length; its figures are taken at its end.
    const double measure_from = start + warmup, length = seconds / windows;
    struct { double wall, user, system; long heartbeats, replies; } window[100];
    int current = -1;
    double user0 = 0, system0 = 0, wall0 = 0;
    struct epoll_event events[512];
    char buffer[4096];
    double next_tick = start;
    for (;;) {
        double now = monotonic();
        if (now >= measure_from + (current + 1) * length) {
            double user, system;
            cpu(&user, &system);
            if (current >= 0)
                window[current] = (typeof(window[0])){now - wall0, user - user0, system - system0, sent, replies};
            if (++current == windows) break;
            user0 = user, system0 = system, wall0 = now;
            sent = replies = 0;
        }
        if (now >= next_tick) {
            // After a stall this sends every beat missed in one burst (the pool skips them);
            // the measured windows start after the warm-up, when there are none.
            while (due[cursor] <= now) {
                if (write(fds[cursor], call, sizeof call) != (ssize_t)sizeof call) die("write");
                due[cursor] += interval;
                sent++;
                cursor = (cursor + 1) % nodes;
            }
            next_tick += tick;
            if (next_tick <= now) next_tick = now + tick;
        }
        int wait_ms = (int)((next_tick - monotonic()) * 1000 + 0.999);
        int ready = epoll_wait(epoll, events, 512, wait_ms < 0 ? 0 : wait_ms);
        if (ready < 0 && errno != EINTR) die("epoll_wait");
        for (int j = 0; j < ready; j++) {
            ssize_t got = read(fds[events[j].data.u32], buffer, sizeof buffer);
            if (got == 0) { fprintf(stderr, "floor_heartbeater: a server closed its connection\n"); return 1; }
            if (got > 0) replies++;
        }
    }
    // The median window by CPU share (a few windows: insertion order by share).
    int order[100];
    for (int i = 0; i < windows; i++) {
        int j = i;
        double share = (window[i].user + window[i].system) / window[i].wall;
        while (j > 0 && (window[order[j - 1]].user + window[order[j - 1]].system) / window[order[j - 1]].wall > share) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = i;
    }
    int m = order[windows / 2];
    printf("{\"nodes\":%d,\"wall_s\":%f,\"cpu_s\":%f,\"user_s\":%f,\"system_s\":%f,\"heartbeats\":%ld,\"replies\":%ld,\"window_shares\":[",
           nodes, window[m].wall, window[m].user + window[m].system, window[m].user, window[m].system, window[m].heartbeats, window[m].replies);
    for (int i = 0; i < windows; i++)
        printf("%s%.2f", i ? "," : "", (window[i].user + window[i].system) / window[i].wall * 100);
    printf("]}\n");
    return 0;
}
