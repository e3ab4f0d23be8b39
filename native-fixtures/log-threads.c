/* log-threads: log callbacks used from a pthread and from fork()ed children that call exit(), plus every log level and PLOG_ERRNO. */
#include "fixture.h"
#include <errno.h>
#include <pthread.h>
#include <sys/wait.h>

#define NAME "log-threads"

struct handle {
    struct openvpn_plugin_callbacks *cb;
    int lines; /* argv[1], default 5 */
};

#define LOG(h, flags, ...) ((h)->cb->plugin_log((flags), NAME, __VA_ARGS__))

static void vlog(struct handle *h, openvpn_plugin_log_flags_t flags, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    h->cb->plugin_vlog(flags, NAME, fmt, ap);
    va_end(ap);
}

static void *thread_main(void *arg)
{
    struct handle *h = arg;
    for (int i = 1; i <= h->lines; i++) LOG(h, PLOG_NOTE, "thread line %d", i);
    return NULL;
}

/* Runs in a forked child: every callback, then exit() (not _exit) so atexit handlers and stdio flushing run. */
static void child_main(struct handle *h)
{
    for (int i = 1; i <= h->lines; i++) LOG(h, PLOG_WARN, "child line %d", i);
    vlog(h, PLOG_NOTE, "child vlog %s %d", "via va_list", 42);

    char secret[32] = "child secret";
    h->cb->plugin_secure_memzero(secret, sizeof secret);

    char *enc = NULL, dec[32] = "";
    int enc_ret = h->cb->plugin_base64_encode("child", 5, &enc);
    int dec_ret = enc ? h->cb->plugin_base64_decode(enc, dec, sizeof dec - 1) : -1;
    if (dec_ret >= 0) dec[dec_ret] = '\0';
    LOG(h, PLOG_NOTE, "child base64 '%s' (%d) -> '%s' (%d), memzero %s", enc ? enc : "(null)", enc_ret, dec,
        dec_ret, secret[0] ? "failed" : "ok");
    free(enc);
    exit(0);
}

OPENVPN_EXPORT int openvpn_plugin_open_v3(const int structver, struct openvpn_plugin_args_open_in const *in,
                                          struct openvpn_plugin_args_open_return *out)
{
    if (structver < 5) return OPENVPN_PLUGIN_FUNC_ERROR;
    struct handle *h = calloc(1, sizeof *h);
    if (!h) return OPENVPN_PLUGIN_FUNC_ERROR;
    h->cb = in->callbacks;
    h->lines = atoi(fx_argv1(in->argv, "5"));
    LOG(h, PLOG_NOTE, "open: %d lines per writer", h->lines);
    out->type_mask = OPENVPN_PLUGIN_MASK(OPENVPN_PLUGIN_CLIENT_CONNECT_V2)
                     | OPENVPN_PLUGIN_MASK(OPENVPN_PLUGIN_TLS_FINAL);
    out->handle = h;
    return OPENVPN_PLUGIN_FUNC_SUCCESS;
}

static int client_connect(struct handle *h)
{
    /* (a) a thread, joined before returning */
    pthread_t t;
    if (pthread_create(&t, NULL, thread_main, h) == 0) pthread_join(t, NULL);
    else LOG(h, PLOG_ERR, "pthread_create failed");

    /* (b) a forked child that exits with exit(0), waited for */
    pid_t pid = fork();
    if (pid == 0) child_main(h);
    if (pid < 0) {
        LOG(h, PLOG_ERR | PLOG_ERRNO, "fork failed");
    } else {
        int status = 0;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
        if (WIFEXITED(status)) LOG(h, PLOG_NOTE, "child exited status=%d", WEXITSTATUS(status));
        else LOG(h, PLOG_ERR, "child did not exit normally (raw status 0x%x)", status);
    }

    /* (c) one line per level */
    LOG(h, PLOG_ERR, "level err");
    LOG(h, PLOG_WARN, "level warn");
    LOG(h, PLOG_NOTE, "level note");
    LOG(h, PLOG_DEBUG, "level debug");
    LOG(h, 0, "level none");
    errno = ENOENT;
    LOG(h, PLOG_ERR | PLOG_ERRNO, "with errno");
    return OPENVPN_PLUGIN_FUNC_SUCCESS;
}

OPENVPN_EXPORT int openvpn_plugin_func_v3(const int structver, struct openvpn_plugin_args_func_in const *in,
                                          struct openvpn_plugin_args_func_return *out)
{
    (void)structver;
    (void)out;
    struct handle *h = in->handle;
    if (in->type == OPENVPN_PLUGIN_CLIENT_CONNECT_V2) return client_connect(h);
    if (in->type == OPENVPN_PLUGIN_TLS_FINAL) {
        /* a single-forked child that is never waited for: the host must reap it */
        pid_t pid = fork();
        if (pid == 0) {
            for (int i = 1; i <= h->lines; i++) LOG(h, PLOG_NOTE, "orphan line %d", i);
            exit(3);
        }
        if (pid < 0) LOG(h, PLOG_ERR | PLOG_ERRNO, "fork failed");
        else LOG(h, PLOG_NOTE, "forked unwaited child pid=%d", (int)pid);
    }
    return OPENVPN_PLUGIN_FUNC_SUCCESS;
}

OPENVPN_EXPORT void openvpn_plugin_close_v1(openvpn_plugin_handle_t handle)
{
    struct handle *h = handle;
    LOG(h, PLOG_NOTE, "close");
    free(h);
}
