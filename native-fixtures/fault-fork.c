/* fault-fork: forks children (where=open|hook) that misbehave, mode a comma list of:
 *   exit     n children that call exit(10+i) with an atexit handler, waited for (the fork guard makes exit() safe)
 *   unwaited n children that exit(0) at once and are never waited for (zombies the host must reap)
 *   linger   n children that ignore SIGTERM/SIGINT/SIGHUP and pause forever, never waited for
 *   orphan   n double-forked grandchildren that linger like above (reparented away from the worker)
 * Every child pid is logged ("pid=N") so a test can check that none is left. */
#include "fixture.h"
#include <errno.h>
#include <signal.h>
#include <sys/wait.h>

#define NAME "fault-fork"

struct handle {
    struct openvpn_plugin_callbacks *cb;
    char mode[64];
    char where[16];
    int n;
};

static struct openvpn_plugin_callbacks *g_cb;
static int g_child_index;

static int has_mode(const char *modes, const char *m)
{
    size_t n = strlen(m);
    for (const char *p = modes; (p = strstr(p, m)); p += n)
        if ((p == modes || p[-1] == ',') && (p[n] == ',' || p[n] == '\0')) return 1;
    return 0;
}

static void on_exit_log(void) { g_cb->plugin_log(PLOG_NOTE, NAME, "child %d atexit handler ran", g_child_index); }

static void linger(void)
{
    signal(SIGTERM, SIG_IGN);
    signal(SIGINT, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
    for (;;) pause();
}

static void run(struct handle *h)
{
    if (has_mode(h->mode, "exit")) {
        for (int i = 0; i < h->n; i++) {
            pid_t pid = fork();
            if (pid == 0) {
                g_child_index = i;
                atexit(on_exit_log);
                h->cb->plugin_log(PLOG_NOTE, NAME, "child %d pid=%d calls exit(%d)", i, (int)getpid(), 10 + i);
                exit(10 + i);
            }
            if (pid < 0) { h->cb->plugin_log(PLOG_ERR | PLOG_ERRNO, NAME, "fork failed"); continue; }
            int status = 0;
            while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
            if (WIFEXITED(status)) h->cb->plugin_log(PLOG_NOTE, NAME, "child %d exited status=%d", i, WEXITSTATUS(status));
            else h->cb->plugin_log(PLOG_ERR, NAME, "child %d died: raw status 0x%x", i, status);
        }
    }
    if (has_mode(h->mode, "unwaited")) {
        for (int i = 0; i < h->n; i++) {
            pid_t pid = fork();
            if (pid == 0) _exit(0);
            if (pid > 0) h->cb->plugin_log(PLOG_NOTE, NAME, "unwaited child %d pid=%d", i, (int)pid);
        }
    }
    if (has_mode(h->mode, "linger")) {
        for (int i = 0; i < h->n; i++) {
            pid_t pid = fork();
            if (pid == 0) linger();
            if (pid > 0) h->cb->plugin_log(PLOG_NOTE, NAME, "lingering child %d pid=%d", i, (int)pid);
        }
    }
    if (has_mode(h->mode, "orphan")) {
        for (int i = 0; i < h->n; i++) {
            int fds[2];
            if (pipe(fds)) continue;
            pid_t p1 = fork();
            if (p1 == 0) {
                pid_t p2 = fork();
                if (p2 == 0) {
                    close(fds[0]);
                    pid_t me = getpid();
                    if (write(fds[1], &me, sizeof me) != sizeof me) _exit(1);
                    close(fds[1]);
                    linger();
                }
                _exit(0);
            }
            close(fds[1]);
            pid_t grandchild = 0;
            if (read(fds[0], &grandchild, sizeof grandchild) != sizeof grandchild) grandchild = 0;
            close(fds[0]);
            while (p1 > 0 && waitpid(p1, NULL, 0) < 0 && errno == EINTR) {}
            h->cb->plugin_log(PLOG_NOTE, NAME, "orphan grandchild %d pid=%d", i, (int)grandchild);
        }
    }
}

OPENVPN_EXPORT int openvpn_plugin_open_v3(const int structver, struct openvpn_plugin_args_open_in const *in,
                                          struct openvpn_plugin_args_open_return *out)
{
    (void)structver;
    struct handle *h = calloc(1, sizeof *h);
    if (!h) return OPENVPN_PLUGIN_FUNC_ERROR;
    g_cb = h->cb = in->callbacks;
    snprintf(h->mode, sizeof h->mode, "%s", fx_arg(in->argv, "mode", "exit"));
    snprintf(h->where, sizeof h->where, "%s", fx_arg(in->argv, "where", "hook"));
    h->n = atoi(fx_arg(in->argv, "n", "3"));
    out->type_mask = OPENVPN_PLUGIN_MASK(OPENVPN_PLUGIN_CLIENT_CONNECT_V2);
    out->handle = h;
    if (!strcmp(h->where, "open")) run(h);
    return OPENVPN_PLUGIN_FUNC_SUCCESS;
}

OPENVPN_EXPORT int openvpn_plugin_func_v3(const int structver, struct openvpn_plugin_args_func_in const *in,
                                          struct openvpn_plugin_args_func_return *out)
{
    (void)structver;
    (void)out;
    struct handle *h = in->handle;
    if (!strcmp(h->where, "hook")) run(h);
    h->cb->plugin_log(PLOG_NOTE, NAME, "hook %d returns", in->type);
    return OPENVPN_PLUGIN_FUNC_SUCCESS;
}

OPENVPN_EXPORT void openvpn_plugin_close_v1(openvpn_plugin_handle_t handle)
{
    struct handle *h = handle;
    h->cb->plugin_log(PLOG_NOTE, NAME, "close");
    free(h);
}
