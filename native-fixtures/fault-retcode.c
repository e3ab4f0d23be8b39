/* fault-retcode: returns a code outside 0-2 (rc=N, e.g. 7 or -1) from every hook; with defer=1 CLIENT_CONNECT_V2 first
 * returns DEFERRED and CLIENT_CONNECT_DEFER_V2 returns N; auth=1 also registers AUTH_USER_PASS_VERIFY,
 * final=1 TLS_FINAL. OpenVPN treats anything but 0 and 2 as ERROR. */
#include "fixture.h"

#define NAME "fault-retcode"

struct handle {
    struct openvpn_plugin_callbacks *cb;
    int rc, defer;
};

OPENVPN_EXPORT int openvpn_plugin_open_v3(const int structver, struct openvpn_plugin_args_open_in const *in,
                                          struct openvpn_plugin_args_open_return *out)
{
    (void)structver;
    struct handle *h = calloc(1, sizeof *h);
    if (!h) return OPENVPN_PLUGIN_FUNC_ERROR;
    h->cb = in->callbacks;
    h->rc = atoi(fx_arg(in->argv, "rc", "7"));
    h->defer = atoi(fx_arg(in->argv, "defer", "0"));
    out->type_mask = OPENVPN_PLUGIN_MASK(OPENVPN_PLUGIN_CLIENT_CONNECT_V2)
                     | OPENVPN_PLUGIN_MASK(OPENVPN_PLUGIN_CLIENT_CONNECT_DEFER_V2)
                     | (atoi(fx_arg(in->argv, "final", "0")) ? OPENVPN_PLUGIN_MASK(OPENVPN_PLUGIN_TLS_FINAL) : 0)
                     | (atoi(fx_arg(in->argv, "auth", "0")) ? OPENVPN_PLUGIN_MASK(OPENVPN_PLUGIN_AUTH_USER_PASS_VERIFY) : 0);
    out->handle = h;
    return OPENVPN_PLUGIN_FUNC_SUCCESS;
}

OPENVPN_EXPORT int openvpn_plugin_func_v3(const int structver, struct openvpn_plugin_args_func_in const *in,
                                          struct openvpn_plugin_args_func_return *out)
{
    (void)structver;
    (void)out;
    struct handle *h = in->handle;
    if (h->defer && in->type == OPENVPN_PLUGIN_CLIENT_CONNECT_V2) {
        h->cb->plugin_log(PLOG_NOTE, NAME, "hook %d returns DEFERRED", in->type);
        return OPENVPN_PLUGIN_FUNC_DEFERRED;
    }
    h->cb->plugin_log(PLOG_NOTE, NAME, "hook %d returns %d", in->type, h->rc);
    return h->rc;
}

OPENVPN_EXPORT void openvpn_plugin_close_v1(openvpn_plugin_handle_t handle)
{
    free(handle);
}
