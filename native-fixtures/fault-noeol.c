/* fault-noeol: a hook (CLIENT_CONNECT_V2) writes mb=N megabytes to stdout (or stream=stderr) with no newline, then
 * one newline and a short line "after". */
#include "fixture.h"

#define NAME "fault-noeol"

struct handle {
    struct openvpn_plugin_callbacks *cb;
    long mb;
    int fd;
};

OPENVPN_EXPORT int openvpn_plugin_open_v3(const int structver, struct openvpn_plugin_args_open_in const *in,
                                          struct openvpn_plugin_args_open_return *out)
{
    (void)structver;
    struct handle *h = calloc(1, sizeof *h);
    if (!h) return OPENVPN_PLUGIN_FUNC_ERROR;
    h->cb = in->callbacks;
    h->mb = atol(fx_arg(in->argv, "mb", "100"));
    h->fd = strcmp(fx_arg(in->argv, "stream", "stdout"), "stderr") ? 1 : 2;
    out->type_mask = OPENVPN_PLUGIN_MASK(OPENVPN_PLUGIN_CLIENT_CONNECT_V2);
    out->handle = h;
    return OPENVPN_PLUGIN_FUNC_SUCCESS;
}

/* Write all of BUF (LEN bytes) to FD. */
static int write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return -1;
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

OPENVPN_EXPORT int openvpn_plugin_func_v3(const int structver, struct openvpn_plugin_args_func_in const *in,
                                          struct openvpn_plugin_args_func_return *out)
{
    (void)structver;
    (void)out;
    struct handle *h = in->handle;
    static char block[1 << 20];
    memset(block, 'x', sizeof block);
    fflush(NULL);
    for (long i = 0; i < h->mb; i++)
        if (write_all(h->fd, block, sizeof block)) return OPENVPN_PLUGIN_FUNC_ERROR;
    if (write_all(h->fd, "\nafter\n", 7)) return OPENVPN_PLUGIN_FUNC_ERROR;
    h->cb->plugin_log(PLOG_NOTE, NAME, "wrote %ld MB without a newline", h->mb);
    return OPENVPN_PLUGIN_FUNC_SUCCESS;
}

OPENVPN_EXPORT void openvpn_plugin_close_v1(openvpn_plugin_handle_t handle)
{
    free(handle);
}
