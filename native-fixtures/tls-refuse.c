/* tls-refuse: TLS_VERIFY returns ERROR at one certificate depth (depth=N, default 0) and SUCCESS at the others. */
#include "fixture.h"

#define NAME "tls-refuse"
static plugin_log_t plog;

struct handle { int depth; };

OPENVPN_EXPORT int openvpn_plugin_open_v3(const int structver, struct openvpn_plugin_args_open_in const *in,
                                          struct openvpn_plugin_args_open_return *out)
{
    if (structver < 5) return OPENVPN_PLUGIN_FUNC_ERROR;
    plog = in->callbacks->plugin_log;
    struct handle *h = calloc(1, sizeof *h);
    h->depth = atoi(fx_arg(in->argv, "depth", "0"));
    out->type_mask = OPENVPN_PLUGIN_MASK(OPENVPN_PLUGIN_TLS_VERIFY);
    out->handle = h;
    plog(PLOG_NOTE, NAME, "OPEN refusing depth %d", h->depth);
    return OPENVPN_PLUGIN_FUNC_SUCCESS;
}

OPENVPN_EXPORT int openvpn_plugin_func_v3(const int structver, struct openvpn_plugin_args_func_in const *in,
                                          struct openvpn_plugin_args_func_return *out)
{
    (void)structver; (void)out;
    struct handle *h = in->handle;
    if (in->type != OPENVPN_PLUGIN_TLS_VERIFY) return fx_unexpected(plog, NAME, in->type);
    int depth = in->argv[1] ? atoi(in->argv[1]) : -1;
    if (depth == h->depth) {
        plog(PLOG_NOTE, NAME, "TLS_VERIFY depth %d: refused", depth);
        return OPENVPN_PLUGIN_FUNC_ERROR;
    }
    plog(PLOG_NOTE, NAME, "TLS_VERIFY depth %d: accepted", depth);
    return OPENVPN_PLUGIN_FUNC_SUCCESS;
}

OPENVPN_EXPORT void openvpn_plugin_close_v1(openvpn_plugin_handle_t handle)
{
    plog(PLOG_NOTE, NAME, "CLOSE");
    free(handle);
}
