/* return-list: CLIENT_CONNECT_V2 returns a 3-node list; only the first "config" node is used by OpenVPN, the others are ignored. */
#include "fixture.h"

#define NAME "return-list"

struct handle {
    struct openvpn_plugin_callbacks *cb;
};

OPENVPN_EXPORT int openvpn_plugin_open_v3(const int structver, struct openvpn_plugin_args_open_in const *in,
                                          struct openvpn_plugin_args_open_return *out)
{
    (void)structver;
    struct handle *h = calloc(1, sizeof *h);
    if (!h) return OPENVPN_PLUGIN_FUNC_ERROR;
    h->cb = in->callbacks;
    out->type_mask = OPENVPN_PLUGIN_MASK(OPENVPN_PLUGIN_CLIENT_CONNECT_V2)
                     | OPENVPN_PLUGIN_MASK(OPENVPN_PLUGIN_CLIENT_CONNECT_DEFER_V2);
    out->handle = h;
    return OPENVPN_PLUGIN_FUNC_SUCCESS;
}

OPENVPN_EXPORT int openvpn_plugin_func_v3(const int structver, struct openvpn_plugin_args_func_in const *in,
                                          struct openvpn_plugin_args_func_return *out)
{
    (void)structver;
    struct handle *h = in->handle;
    if (in->type != OPENVPN_PLUGIN_CLIENT_CONNECT_V2) {
        h->cb->plugin_log(PLOG_NOTE, NAME, "hook %d: nothing returned", in->type);
        return OPENVPN_PLUGIN_FUNC_SUCCESS;
    }
    if (!out || !out->return_list) {
        h->cb->plugin_log(PLOG_NOTE, NAME, "no return_list: nothing returned");
        return OPENVPN_PLUGIN_FUNC_SUCCESS;
    }
    /* fx_node mallocs every node, name and value: the host frees them with free(). */
    *out->return_list =
        fx_node("foo", "bar",
                fx_node("config", "ifconfig-push 10.8.0.5 255.255.255.0\npush \"route 10.0.0.0 255.0.0.0\"\n",
                        fx_node("config", "push \"echo second config node is ignored\"\n", NULL)));
    h->cb->plugin_log(PLOG_NOTE, NAME, "returned 3 nodes");
    return OPENVPN_PLUGIN_FUNC_SUCCESS;
}

OPENVPN_EXPORT void openvpn_plugin_close_v1(openvpn_plugin_handle_t handle)
{
    free(handle);
}
