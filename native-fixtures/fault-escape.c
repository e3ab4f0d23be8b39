/* fault-escape: forks n children (where=open|hook, n default 1) that leave the worker's process group and linger,
 * never waited for: how=setsid (a new session) or how=setpgid (setpgid(0,0), a new group). They ignore SIGTERM,
 * SIGINT and SIGHUP. how=daemon: a daemon that also drops its environment: fork, setsid, fork again (the middle
 * child exits, so the daemon is orphaned), exec /bin/sleep with an empty environment. Each logs "escaped child
 * pid=N" (how it left) so a test can check that none is left. Registers CLIENT_CONNECT_V2. */
#include "fixture.h"
#include <signal.h>

#define NAME "fault-escape"

struct handle {
    char where[16];
    char how[16];
    int n;
};

static struct openvpn_plugin_callbacks *g_cb;

static void escape(const char *how, int n)
{
    for (int i = 0; i < n; i++) {
        int fds[2];
        if (pipe(fds)) return;
        pid_t pid = fork();
        if (pid == 0 && !strcmp(how, "daemon")) {
            close(fds[0]);
            setsid();
            pid_t d = fork();
            if (d == 0) {
                char *argv[] = { "sleep", "1000", NULL }, *envp[] = { NULL };
                close(fds[1]);
                execve("/bin/sleep", argv, envp);
                _exit(127);
            }
            /* the middle child reports the daemon's pid and exits: the daemon is orphaned */
            char c = d > 0 ? '.' : '!';
            if (write(fds[1], &c, 1) < 0 || write(fds[1], &d, sizeof d) < 0) _exit(1);
            _exit(0);
        }
        if (pid == 0) {
            close(fds[0]);
            int rc = !strcmp(how, "setpgid") ? setpgid(0, 0) : (int)setsid();
            signal(SIGTERM, SIG_IGN);
            signal(SIGINT, SIG_IGN);
            signal(SIGHUP, SIG_IGN);
            /* tell the parent it has left the group before the hook returns */
            char c = rc < 0 ? '!' : '.';
            if (write(fds[1], &c, 1) < 0) _exit(1);
            close(fds[1]);
            for (;;) pause();
        }
        close(fds[1]);
        char c = '?';
        if (read(fds[0], &c, 1) < 0) c = '?';
        if (!strcmp(how, "daemon")) {
            pid_t d = -1;
            if (read(fds[0], &d, sizeof d) != (ssize_t)sizeof d) c = '?';
            waitpid(pid, NULL, 0);
            pid = d;
        }
        close(fds[0]);
        if (pid > 0) g_cb->plugin_log(PLOG_NOTE, NAME, "escaped child %d (%s%s) pid=%d", i, how, c == '.' ? "" : " failed", (int)pid);
    }
}

OPENVPN_EXPORT int openvpn_plugin_open_v3(const int structver, struct openvpn_plugin_args_open_in const *in,
                                          struct openvpn_plugin_args_open_return *out)
{
    (void)structver;
    g_cb = in->callbacks;
    struct handle *h = calloc(1, sizeof *h);
    if (!h) return OPENVPN_PLUGIN_FUNC_ERROR;
    snprintf(h->where, sizeof h->where, "%s", fx_arg(in->argv, "where", "hook"));
    snprintf(h->how, sizeof h->how, "%s", fx_arg(in->argv, "how", "setsid"));
    h->n = atoi(fx_arg(in->argv, "n", "1"));
    if (!strcmp(h->where, "open")) escape(h->how, h->n);
    out->type_mask = OPENVPN_PLUGIN_MASK(OPENVPN_PLUGIN_CLIENT_CONNECT_V2);
    out->handle = h;
    return OPENVPN_PLUGIN_FUNC_SUCCESS;
}

OPENVPN_EXPORT int openvpn_plugin_func_v3(const int structver, struct openvpn_plugin_args_func_in const *in,
                                          struct openvpn_plugin_args_func_return *out)
{
    (void)structver;
    (void)out;
    struct handle *h = in->handle;
    if (!strcmp(h->where, "hook")) escape(h->how, h->n);
    return OPENVPN_PLUGIN_FUNC_SUCCESS;
}

OPENVPN_EXPORT void openvpn_plugin_close_v1(openvpn_plugin_handle_t handle)
{
    free(handle);
}
