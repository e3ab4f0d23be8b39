/* fault-logflood: floods plugin_log from threads and forked children at once (where=open|hook), to count lines exactly.
 * Args: threads=T children=C lines=N size=S (message padded to S bytes), stdout=1 (children also printf N lines),
 * late=1 (a thread keeps logging N lines after the hook returned; close joins it), order=concurrent (default: children
 * are forked while the threads log) or order=sequential (threads joined first, then children forked; the main thread
 * logs while the children do). Line format: "<writer> <j> <pad>". */
#include "fixture.h"
#include <errno.h>
#include <pthread.h>
#include <sys/wait.h>

#define NAME "fault-logflood"
#define MAX_WRITERS 64

struct handle {
    struct openvpn_plugin_callbacks *cb;
    int threads, children, lines, size, out, late, sequential;
    char where[16];
    pthread_t late_thread;
    int late_started;
};

struct writer {
    struct handle *h;
    char name[16];
};

static void write_lines(struct handle *h, const char *who)
{
    static const char pad_src[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    char *pad = malloc((size_t)h->size + 1);
    for (int i = 0; i < h->size; i++) pad[i] = pad_src[i % (sizeof pad_src - 1)];
    pad[h->size] = '\0';
    for (int j = 1; j <= h->lines; j++) h->cb->plugin_log(PLOG_NOTE, NAME, "%s %d %s", who, j, pad);
    free(pad);
}

static void *thread_main(void *arg_)
{
    struct writer *w = arg_;
    write_lines(w->h, w->name);
    return NULL;
}

static void flood(struct handle *h)
{
    pthread_t tids[MAX_WRITERS];
    struct writer ws[MAX_WRITERS];
    pid_t pids[MAX_WRITERS];
    int nt = h->threads < MAX_WRITERS ? h->threads : MAX_WRITERS;
    int nc = h->children < MAX_WRITERS ? h->children : MAX_WRITERS;
    for (int i = 0; i < nt; i++) {
        ws[i].h = h;
        snprintf(ws[i].name, sizeof ws[i].name, "t%d", i);
        if (pthread_create(&tids[i], NULL, thread_main, &ws[i])) tids[i] = 0;
    }
    if (h->sequential) {
        for (int i = 0; i < nt; i++) if (tids[i]) pthread_join(tids[i], NULL);
        nt = 0;
    }
    for (int i = 0; i < nc; i++) {
        pids[i] = fork();
        if (pids[i] == 0) {
            char who[16];
            snprintf(who, sizeof who, "c%d", i);
            write_lines(h, who);
            if (h->out) {
                /* line-buffered: each line is one write(2), so lines of concurrent children do not interleave
                 * (with a full buffer they would be cut at 4096-byte boundaries, in OpenVPN too) */
                static char line_buf[4096];
                setvbuf(stdout, line_buf, _IOLBF, sizeof line_buf);
                for (int j = 1; j <= h->lines; j++) printf("%s stdout %d\n", who, j);
            }
            exit(0); /* exit(), not _exit(): stdio is flushed by the fork guard */
        }
    }
    write_lines(h, "main");
    for (int i = 0; i < nt; i++) if (tids[i]) pthread_join(tids[i], NULL);
    int ok = 0;
    for (int i = 0; i < nc; i++) {
        int status = 0;
        if (pids[i] <= 0) continue;
        while (waitpid(pids[i], &status, 0) < 0 && errno == EINTR) {}
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0) ok++;
    }
    h->cb->plugin_log(PLOG_NOTE, NAME, "flood done: %d/%d children exited 0", ok, nc);
}

static void *late_main(void *arg_)
{
    struct handle *h = arg_;
    usleep(20000);
    write_lines(h, "late");
    return NULL;
}

OPENVPN_EXPORT int openvpn_plugin_open_v3(const int structver, struct openvpn_plugin_args_open_in const *in,
                                          struct openvpn_plugin_args_open_return *out)
{
    (void)structver;
    struct handle *h = calloc(1, sizeof *h);
    if (!h) return OPENVPN_PLUGIN_FUNC_ERROR;
    h->cb = in->callbacks;
    h->threads = atoi(fx_arg(in->argv, "threads", "4"));
    h->children = atoi(fx_arg(in->argv, "children", "4"));
    h->lines = atoi(fx_arg(in->argv, "lines", "1000"));
    h->size = atoi(fx_arg(in->argv, "size", "16"));
    h->out = atoi(fx_arg(in->argv, "stdout", "0"));
    h->late = atoi(fx_arg(in->argv, "late", "0"));
    h->sequential = !strcmp(fx_arg(in->argv, "order", "concurrent"), "sequential");
    snprintf(h->where, sizeof h->where, "%s", fx_arg(in->argv, "where", "hook"));
    out->type_mask = OPENVPN_PLUGIN_MASK(OPENVPN_PLUGIN_CLIENT_CONNECT_V2);
    out->handle = h;
    if (!strcmp(h->where, "open")) flood(h);
    return OPENVPN_PLUGIN_FUNC_SUCCESS;
}

OPENVPN_EXPORT int openvpn_plugin_func_v3(const int structver, struct openvpn_plugin_args_func_in const *in,
                                          struct openvpn_plugin_args_func_return *out)
{
    (void)structver;
    (void)out;
    struct handle *h = in->handle;
    if (!strcmp(h->where, "hook")) flood(h);
    if (h->late && !h->late_started) h->late_started = pthread_create(&h->late_thread, NULL, late_main, h) == 0;
    return OPENVPN_PLUGIN_FUNC_SUCCESS;
}

OPENVPN_EXPORT void openvpn_plugin_close_v1(openvpn_plugin_handle_t handle)
{
    struct handle *h = handle;
    if (h->late_started) pthread_join(h->late_thread, NULL);
    h->cb->plugin_log(PLOG_NOTE, NAME, "close");
    free(h);
}
