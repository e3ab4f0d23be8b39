/* bad-return: hooks return 7 (outside 0-2, so an error) and CLIENT_CONNECT_V2 also returns nodes with a NULL name and a NULL value. */
#include "fixture.h"

#define NAME "bad-return"

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
                     | OPENVPN_PLUGIN_MASK(OPENVPN_PLUGIN_AUTH_USER_PASS_VERIFY);
    out->handle = h;
    return OPENVPN_PLUGIN_FUNC_SUCCESS;
}

OPENVPN_EXPORT int openvpn_plugin_func_v3(const int structver, struct openvpn_plugin_args_func_in const *in,
                                          struct openvpn_plugin_args_func_return *out)
{
    (void)structver;
    struct handle *h = in->handle;
    if (in->type == OPENVPN_PLUGIN_CLIENT_CONNECT_V2 && out && out->return_list) {
        /* order: NULL-name node, NULL-value node, then the only usable "config" node */
        *out->return_list = fx_node(NULL, "value of a nameless node",
                                    fx_node("nullvalue", NULL, fx_node("config", "push \"echo ok\"\n", NULL)));
        h->cb->plugin_log(PLOG_NOTE, NAME, "returned 3 nodes (NULL name, NULL value, config)");
    }
    h->cb->plugin_log(PLOG_NOTE, NAME, "hook %d returns 7", in->type);
    return 7;
}

OPENVPN_EXPORT void openvpn_plugin_close_v1(openvpn_plugin_handle_t handle)
{
    free(handle);
}
