/* fault-stop: stops its own process with SIGSTOP (where=open|hook|close), so no thread of the worker runs any more
 * (its watchdog neither): the caller must enforce the call timeout itself. Logs "stopping in <where>" first.
 * Registers CLIENT_CONNECT_V2. */
#include "fixture.h"
#include <signal.h>

#define NAME "fault-stop"

struct handle {
    char where[16];
};

static void stop(struct openvpn_plugin_callbacks *cb, const char *where)
{
    cb->plugin_log(PLOG_NOTE, NAME, "stopping in %s", where);
    raise(SIGSTOP);
}

static struct openvpn_plugin_callbacks *g_cb;

OPENVPN_EXPORT int openvpn_plugin_open_v3(const int structver, struct openvpn_plugin_args_open_in const *in,
                                          struct openvpn_plugin_args_open_return *out)
{
    (void)structver;
    const char *where = fx_arg(in->argv, "where", "hook");
    g_cb = in->callbacks;
    if (!strcmp(where, "open")) stop(g_cb, where);
    struct handle *h = calloc(1, sizeof *h);
    if (!h) return OPENVPN_PLUGIN_FUNC_ERROR;
    snprintf(h->where, sizeof h->where, "%s", where);
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
    if (!strcmp(h->where, "hook")) stop(g_cb, h->where);
    return OPENVPN_PLUGIN_FUNC_SUCCESS;
}

OPENVPN_EXPORT void openvpn_plugin_close_v1(openvpn_plugin_handle_t handle)
{
    struct handle *h = handle;
    if (!strcmp(h->where, "close")) stop(g_cb, h->where);
    free(h);
}
