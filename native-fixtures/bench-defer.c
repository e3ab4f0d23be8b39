/* bench-defer: a deferred client-connect whose result becomes available at a known CLOCK_MONOTONIC time, recorded
 * in a stamp file, so a benchmark can measure how long the host takes to notice it (bench/deferral-latency.ts).
 *
 * Arguments: mode=file|v2 (default file), delay_ms=N (default 200), jitter_ms=J (default 0: the delay is
 * delay_ms + a random 0..J-1 ms, so the availability falls anywhere in a poll interval), stamp=PATH (one line
 * "<monotonic ns>\n" appended per client, the moment the result became available), seen=PATH (one line per client,
 * the moment the host showed it had the outcome: v2, the DEFER_V2 call that returns SUCCESS; file, the host deleting
 * client_connect_deferred_file after reading it, seen by the grandchild through inotify).
 *   mode=file  CLIENT_CONNECT (v1): writes '2' to client_connect_deferred_file and returns DEFERRED; a double-forked
 *              grandchild sleeps, writes the config file, reads the clock, writes '1' (the result is available
 *              from that write on), then appends the stamp.
 *   mode=v2    CLIENT_CONNECT_V2 returns DEFERRED and stamps "available at now + delay"; CLIENT_CONNECT_DEFER_V2
 *              returns DEFERRED before that time and SUCCESS (with a config) from it on. With release=PATH, also
 *              DEFERRED until PATH exists (to hold many clients in the deferred state, bench/many-deferred.ts).
 *              With count=PATH, PATH holds one 8-byte counter (native endian) of the CLIENT_CONNECT_DEFER_V2 calls
 *              so far, kept in a shared mapping of the file (no system call per call): a benchmark reads it to know
 *              exactly how many re-checks a host made in a window.
 * No log line per call, so that only the host's own work is measured. */
#include "fixture.h"
#include <errno.h>
#include <stdint.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>

#define NAME "bench-defer"
static plugin_log_t plog;

struct handle { int v2, delay_ms, jitter_ms; char *stamp, *release, *seen; volatile uint64_t *count; };
struct client { int64_t available_ns; };

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int delay_of(const struct handle *h)
{
    return h->delay_ms + (h->jitter_ms > 0 ? rand() % h->jitter_ms : 0);
}

static void stamp_to(const char *path, int64_t t)
{
    if (!path) return;
    char line[32];
    int n = snprintf(line, sizeof line, "%lld\n", (long long)t);
    fx_append(path, line, (size_t)n); /* on failure the benchmark reports a missing stamp */
}

static void stamp(const struct handle *h, int64_t t) { stamp_to(h->stamp, t); }

OPENVPN_EXPORT int openvpn_plugin_open_v3(const int structver, struct openvpn_plugin_args_open_in const *in,
                                          struct openvpn_plugin_args_open_return *out)
{
    if (structver < 5) return OPENVPN_PLUGIN_FUNC_ERROR;
    plog = in->callbacks->plugin_log;
    struct handle *h = calloc(1, sizeof *h);
    const char *m = fx_arg(in->argv, "mode", NULL), *d = fx_arg(in->argv, "delay_ms", NULL);
    const char *j = fx_arg(in->argv, "jitter_ms", NULL), *s = fx_arg(in->argv, "stamp", NULL);
    const char *rel = fx_arg(in->argv, "release", NULL), *seen = fx_arg(in->argv, "seen", NULL);
    h->v2 = m && !strcmp(m, "v2");
    h->delay_ms = d ? atoi(d) : 200;
    h->jitter_ms = j ? atoi(j) : 0;
    h->stamp = s ? strdup(s) : NULL;
    h->release = rel ? strdup(rel) : NULL;
    h->seen = seen ? strdup(seen) : NULL;
    const char *count = fx_arg(in->argv, "count", NULL);
    if (count) {
        int fd = open(count, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        void *m = fd >= 0 && ftruncate(fd, sizeof(uint64_t)) == 0 ? mmap(NULL, sizeof(uint64_t), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) : MAP_FAILED;
        if (fd >= 0) close(fd);
        if (m == MAP_FAILED) {
            plog(PLOG_ERR, NAME, "count=%s: cannot map it", count);
            return OPENVPN_PLUGIN_FUNC_ERROR;
        }
        h->count = m;
    }
    srand((unsigned)(now_ns() ^ getpid()));
    out->type_mask = h->v2 ? OPENVPN_PLUGIN_MASK(OPENVPN_PLUGIN_CLIENT_CONNECT_V2) | OPENVPN_PLUGIN_MASK(OPENVPN_PLUGIN_CLIENT_CONNECT_DEFER_V2)
                           : OPENVPN_PLUGIN_MASK(OPENVPN_PLUGIN_CLIENT_CONNECT);
    out->handle = h;
    plog(PLOG_NOTE, NAME, "OPEN mode=%s delay_ms=%d jitter_ms=%d", h->v2 ? "v2" : "file", h->delay_ms, h->jitter_ms);
    return OPENVPN_PLUGIN_FUNC_SUCCESS;
}

OPENVPN_EXPORT void *openvpn_plugin_client_constructor_v1(openvpn_plugin_handle_t handle)
{
    (void)handle;
    return calloc(1, sizeof(struct client));
}

OPENVPN_EXPORT void openvpn_plugin_client_destructor_v1(openvpn_plugin_handle_t handle, void *ctx)
{
    (void)handle;
    free(ctx);
}

OPENVPN_EXPORT int openvpn_plugin_func_v3(const int structver, struct openvpn_plugin_args_func_in const *in,
                                          struct openvpn_plugin_args_func_return *out)
{
    (void)structver;
    struct handle *h = in->handle;
    struct client *c = in->per_client_context;
    if (in->type == OPENVPN_PLUGIN_CLIENT_CONNECT_V2 && c) {
        c->available_ns = now_ns() + (int64_t)delay_of(h) * 1000000LL;
        stamp(h, c->available_ns);
        return OPENVPN_PLUGIN_FUNC_DEFERRED;
    }
    if (in->type == OPENVPN_PLUGIN_CLIENT_CONNECT_DEFER_V2 && c) {
        if (h->count) ++*h->count;
        if (now_ns() < c->available_ns || (h->release && access(h->release, F_OK))) return OPENVPN_PLUGIN_FUNC_DEFERRED;
        if (out && out->return_list) *out->return_list = fx_node("config", "ifconfig-push 10.8.0.9 255.255.255.0\n", NULL);
        stamp_to(h->seen, now_ns());
        return OPENVPN_PLUGIN_FUNC_SUCCESS;
    }
    if (in->type != OPENVPN_PLUGIN_CLIENT_CONNECT) return OPENVPN_PLUGIN_FUNC_ERROR;

    const char *ccr = fx_getenv("client_connect_deferred_file", in->envp);
    const char *cfg = fx_argv1(in->argv, NULL);
    if (!ccr || !cfg || fx_put_byte(ccr, '2')) return OPENVPN_PLUGIN_FUNC_ERROR;
    int delay = delay_of(h);
    pid_t p1 = fork();
    if (p1 < 0) return OPENVPN_PLUGIN_FUNC_ERROR;
    if (p1 > 0) {
        while (waitpid(p1, NULL, 0) < 0 && errno == EINTR) {}
        return OPENVPN_PLUGIN_FUNC_DEFERRED;
    }
    if (fork() != 0) _exit(0);
    /* grandchild */
    fx_sleep_ms(delay);
    fx_write_file(cfg, "ifconfig-push 10.8.0.7 255.255.255.0\n", 0);
    int ino = h->seen ? inotify_init1(IN_CLOEXEC) : -1;
    if (ino >= 0) inotify_add_watch(ino, ccr, IN_DELETE_SELF);
    int64_t t = now_ns();
    fx_put_byte(ccr, '1');
    stamp(h, t);
    if (ino >= 0) {
        struct pollfd p = { .fd = ino, .events = POLLIN };
        if (poll(&p, 1, 10000) == 1) stamp_to(h->seen, now_ns());
    }
    _exit(0);
}

OPENVPN_EXPORT void openvpn_plugin_close_v1(openvpn_plugin_handle_t handle)
{
    struct handle *h = handle;
    free(h->stamp);
    free(h->release);
    free(h->seen);
    if (h->count) munmap((void *)h->count, sizeof(uint64_t));
    free(h);
}
