/* fault-ipcwrite: writes text= (default "not json") and a newline to file descriptor fd= (default 3, where Node puts
 * a forked child's IPC channel) in where=open|hook|close, as a plugin that assumes fd 3 is its own. Logs what
 * write() returned. Registers CLIENT_CONNECT_V2. */
#include "fixture.h"

#define NAME "fault-ipcwrite"

struct handle {
    struct openvpn_plugin_callbacks *cb;
    char where[16];
    char text[256];
    int fd;
};

static void scribble(struct handle *h)
{
    char line[300];
    int n = snprintf(line, sizeof line, "%s\n", h->text);
    ssize_t w = write(h->fd, line, (size_t)n);
    h->cb->plugin_log(PLOG_NOTE, NAME, "wrote %zd bytes to fd %d", w, h->fd);
}

OPENVPN_EXPORT int openvpn_plugin_open_v3(const int structver, struct openvpn_plugin_args_open_in const *in,
                                          struct openvpn_plugin_args_open_return *out)
{
    (void)structver;
    struct handle *h = calloc(1, sizeof *h);
    if (!h) return OPENVPN_PLUGIN_FUNC_ERROR;
    h->cb = in->callbacks;
    snprintf(h->where, sizeof h->where, "%s", fx_arg(in->argv, "where", "hook"));
    snprintf(h->text, sizeof h->text, "%s", fx_arg(in->argv, "text", "not json"));
    h->fd = atoi(fx_arg(in->argv, "fd", "3"));
    if (!strcmp(h->where, "open")) scribble(h);
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
    if (!strcmp(h->where, "hook")) scribble(h);
    return OPENVPN_PLUGIN_FUNC_SUCCESS;
}

OPENVPN_EXPORT void openvpn_plugin_close_v1(openvpn_plugin_handle_t handle)
{
    struct handle *h = handle;
    if (!strcmp(h->where, "close")) scribble(h);
    free(h);
}
