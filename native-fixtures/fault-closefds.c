/* fault-closefds: closes file descriptors it never opened (where=open|hook|close; from=F to=T, default 0..1023),
 * except one file it opened itself in open, which it checks is still usable afterwards. in=child does it in a forked
 * helper instead (as daemon-style helpers do: close 3..100, then log), which the parent waits for. */
#include "fixture.h"
#include <errno.h>
#include <sys/wait.h>

#define NAME "fault-closefds"

struct handle {
    struct openvpn_plugin_callbacks *cb;
    char where[16];
    int from, to, own, in_child;
};

static void close_range_now(struct handle *h, int own);

static void close_all(struct handle *h, int own)
{
    if (!h->in_child) {
        close_range_now(h, own);
        return;
    }
    pid_t pid = fork();
    if (pid == 0) {
        close_range_now(h, own);
        exit(0);
    }
    int status = 0;
    while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    h->cb->plugin_log(PLOG_NOTE, NAME, "helper exited status=%d", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

static void close_range_now(struct handle *h, int own)
{
    int closed = 0;
    h->cb->plugin_log(PLOG_NOTE, NAME, "closing fds %d..%d except %d in %s", h->from, h->to, own, h->where);
    for (int fd = h->from; fd <= h->to; fd++)
        if (fd != own && close(fd) == 0) closed++;
    char buf[8];
    int ok = own < 0 || pread(own, buf, 1, 0) >= 0;
    /* the log pipe may be gone now: these lines may be lost, and that is the point */
    h->cb->plugin_log(PLOG_NOTE, NAME, "closed %d fds; own fd %s", closed, ok ? "ok" : "broken");
}

OPENVPN_EXPORT int openvpn_plugin_open_v3(const int structver, struct openvpn_plugin_args_open_in const *in,
                                          struct openvpn_plugin_args_open_return *out)
{
    (void)structver;
    struct handle *h = calloc(1, sizeof *h);
    if (!h) return OPENVPN_PLUGIN_FUNC_ERROR;
    h->cb = in->callbacks;
    snprintf(h->where, sizeof h->where, "%s", fx_arg(in->argv, "where", "hook"));
    h->from = atoi(fx_arg(in->argv, "from", "0"));
    h->to = atoi(fx_arg(in->argv, "to", "1023"));
    h->in_child = !strcmp(fx_arg(in->argv, "in", "worker"), "child");
    h->own = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
    out->type_mask = OPENVPN_PLUGIN_MASK(OPENVPN_PLUGIN_CLIENT_CONNECT_V2);
    out->handle = h;
    if (!strcmp(h->where, "open")) close_all(h, h->own);
    return OPENVPN_PLUGIN_FUNC_SUCCESS;
}

OPENVPN_EXPORT int openvpn_plugin_func_v3(const int structver, struct openvpn_plugin_args_func_in const *in,
                                          struct openvpn_plugin_args_func_return *out)
{
    (void)structver;
    (void)out;
    struct handle *h = in->handle;
    if (!strcmp(h->where, "hook")) close_all(h, h->own);
    return OPENVPN_PLUGIN_FUNC_SUCCESS;
}

OPENVPN_EXPORT void openvpn_plugin_close_v1(openvpn_plugin_handle_t handle)
{
    struct handle *h = handle;
    if (!strcmp(h->where, "close")) close_all(h, h->own);
    if (h->own >= 0) close(h->own);
    free(h);
}
