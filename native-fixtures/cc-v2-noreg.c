/* cc-v2-noreg: CLIENT_CONNECT_V2 returns DEFERRED without registering CLIENT_CONNECT_DEFER_V2 (OpenVPN fails the client). */
#include "fixture.h"

#define NAME "cc-v2-noreg"
static plugin_log_t plog;

OPENVPN_EXPORT int openvpn_plugin_open_v3(const int structver, struct openvpn_plugin_args_open_in const *in,
                                          struct openvpn_plugin_args_open_return *out)
{
    if (structver < 5) return OPENVPN_PLUGIN_FUNC_ERROR;
    plog = in->callbacks->plugin_log;
    out->type_mask = OPENVPN_PLUGIN_MASK(OPENVPN_PLUGIN_CLIENT_CONNECT_V2);
    out->handle = calloc(1, 1);
    plog(PLOG_NOTE, NAME, "OPEN");
    return OPENVPN_PLUGIN_FUNC_SUCCESS;
}

OPENVPN_EXPORT int openvpn_plugin_func_v3(const int structver, struct openvpn_plugin_args_func_in const *in,
                                          struct openvpn_plugin_args_func_return *out)
{
    (void)structver; (void)out;
    if (in->type != OPENVPN_PLUGIN_CLIENT_CONNECT_V2) return fx_unexpected(plog, NAME, in->type);
    plog(PLOG_NOTE, NAME, "CLIENT_CONNECT_V2 deferring without DEFER_V2 registered");
    return OPENVPN_PLUGIN_FUNC_DEFERRED;
}

OPENVPN_EXPORT void openvpn_plugin_close_v1(openvpn_plugin_handle_t handle)
{
    plog(PLOG_NOTE, NAME, "CLOSE");
    free(handle);
}
