// The floor for `make bench`'s proxy figures: what one extra hop costs with nothing but the
// kernel in the way. One thread, one epoll loop; each client connection gets its own connection
// to the upstream port, and whatever one side sends is written to the other as it comes, with
// nothing decoded (a TCP relay, as HAProxy in TCP mode, minus everything HAProxy does besides).
// The proxy's distance from this line is what its own code costs; no proxy can add less.
//
//   relay_floor --upstream PORT [--duration S]
//
// Listens on 127.0.0.1, an OS-chosen port, prints `PORT n` and a newline once listening; stops
// after --duration seconds (default 600) or on SIGTERM. The sockets stay blocking: a read happens
// only when epoll says there is data, and the small request/response messages of the bench never
// fill a socket buffer, so a write does not block either.

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_FDS 65536

static int peer[MAX_FDS];
static volatile sig_atomic_t stopping;

static void die(const char *what) {
    fprintf(stderr, "relay_floor: %s: %s\n", what, strerror(errno));
    exit(1);
}

static void on_term(int signal) { (void)signal; stopping = 1; }

static double monotonic(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static void nodelay(int fd) {
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

static void hang_up(int epoll, int fd) {
    int other = peer[fd];
    epoll_ctl(epoll, EPOLL_CTL_DEL, fd, NULL);
    close(fd);
    peer[fd] = -1;
    if (other >= 0) {
        epoll_ctl(epoll, EPOLL_CTL_DEL, other, NULL);
        close(other);
        peer[other] = -1;
    }
}

int main(int argc, char **argv) {
    int upstream = 0;
    double duration = 600;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--upstream")) upstream = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--duration")) duration = atof(argv[i + 1]);
        else { fprintf(stderr, "relay_floor: unknown option %s\n", argv[i]); return 2; }
    }
    if (upstream <= 0 || upstream > 65535 || duration <= 0) {
        fprintf(stderr, "usage: relay_floor --upstream PORT [--duration S]\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    struct sigaction term = {.sa_handler = on_term};
    sigaction(SIGTERM, &term, NULL);
    sigaction(SIGINT, &term, NULL);
    for (int i = 0; i < MAX_FDS; i++) peer[i] = -1;

    int listener = socket(AF_INET, SOCK_STREAM, 0);
    if (listener < 0) die("socket");
    int one = 1;
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = 0};
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(listener, (struct sockaddr *)&address, sizeof address) != 0) die("bind");
    if (listen(listener, 1024) != 0) die("listen");
    socklen_t length = sizeof address;
    getsockname(listener, (struct sockaddr *)&address, &length);
    int epoll = epoll_create1(0);
    if (epoll < 0) die("epoll_create1");
    struct epoll_event event = {.events = EPOLLIN, .data.fd = listener};
    epoll_ctl(epoll, EPOLL_CTL_ADD, listener, &event);
    printf("PORT %d\n", ntohs(address.sin_port));
    fflush(stdout);

    struct sockaddr_in target = {.sin_family = AF_INET, .sin_port = htons(upstream)};
    target.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    static char buffer[65536];
    struct epoll_event ready[256];
    double until = monotonic() + duration;
    while (!stopping && monotonic() < until) {
        int n = epoll_wait(epoll, ready, 256, 200);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) die("epoll_wait");
        for (int i = 0; i < n; i++) {
            int fd = ready[i].data.fd;
            if (fd == listener) {
                int client = accept(listener, NULL, NULL);
                if (client < 0) continue;
                int server = socket(AF_INET, SOCK_STREAM, 0);
                if (server < 0 || client >= MAX_FDS || server >= MAX_FDS ||
                    connect(server, (struct sockaddr *)&target, sizeof target) != 0) {
                    close(client);
                    if (server >= 0) close(server);
                    continue;
                }
                nodelay(client);
                nodelay(server);
                peer[client] = server;
                peer[server] = client;
                struct epoll_event e1 = {.events = EPOLLIN, .data.fd = client}, e2 = {.events = EPOLLIN, .data.fd = server};
                epoll_ctl(epoll, EPOLL_CTL_ADD, client, &e1);
                epoll_ctl(epoll, EPOLL_CTL_ADD, server, &e2);
                continue;
            }
            if (peer[fd] < 0) continue;  // closed earlier in this batch, with its peer
            ssize_t got = read(fd, buffer, sizeof buffer);
            if (got <= 0) {
                if (got < 0 && errno == EINTR) continue;
                hang_up(epoll, fd);
                continue;
            }
            ssize_t sent = 0;
            while (sent < got) {
                ssize_t w = write(peer[fd], buffer + sent, got - sent);
                if (w < 0 && errno == EINTR) continue;
                if (w <= 0) break;
                sent += w;
            }
            if (sent < got) hang_up(epoll, fd);
        }
    }
    return 0;
}
