/* cc-chain-first: synchronous v2 client-connect for the head of a chain: CONNECT_V2 and every DEFER_V2 return "push echo chain-first" + SUCCESS. */
#include "fixture.h"

#define NAME "cc-chain-first"
static plugin_log_t plog;

OPENVPN_EXPORT int openvpn_plugin_open_v3(const int structver, struct openvpn_plugin_args_open_in const *in,
                                          struct openvpn_plugin_args_open_return *out)
{
    if (structver < 5) return OPENVPN_PLUGIN_FUNC_ERROR;
    plog = in->callbacks->plugin_log;
    out->type_mask = OPENVPN_PLUGIN_MASK(OPENVPN_PLUGIN_CLIENT_CONNECT_V2)
                   | OPENVPN_PLUGIN_MASK(OPENVPN_PLUGIN_CLIENT_CONNECT_DEFER_V2);
    out->handle = calloc(1, 1);
    plog(PLOG_NOTE, NAME, "OPEN");
    return OPENVPN_PLUGIN_FUNC_SUCCESS;
}

OPENVPN_EXPORT int openvpn_plugin_func_v3(const int structver, struct openvpn_plugin_args_func_in const *in,
                                          struct openvpn_plugin_args_func_return *out)
{
    (void)structver;
    if (in->type != OPENVPN_PLUGIN_CLIENT_CONNECT_V2 && in->type != OPENVPN_PLUGIN_CLIENT_CONNECT_DEFER_V2) return fx_unexpected(plog, NAME, in->type);
    const char *hook = in->type == OPENVPN_PLUGIN_CLIENT_CONNECT_V2 ? "CLIENT_CONNECT_V2" : "CLIENT_CONNECT_DEFER_V2";
    if (out && out->return_list) *out->return_list = fx_node("config", "push \"echo chain-first\"\n", NULL);
    plog(PLOG_NOTE, NAME, "%s returning config + SUCCESS", hook);
    return OPENVPN_PLUGIN_FUNC_SUCCESS;
}

OPENVPN_EXPORT void openvpn_plugin_close_v1(openvpn_plugin_handle_t handle)
{
    plog(PLOG_NOTE, NAME, "CLOSE");
    free(handle);
}
