/* fault-list: CLIENT_CONNECT_V2 (and DEFER_V2) return a malformed return list, shape=:
 *   null-name-first    NULL name, then config   (OpenVPN 2.6 would crash: strcmp(NULL, "config"))
 *   null-name-after    config, then NULL name   (OpenVPN stops at the first config: fine)
 *   null-value-config  config=NULL, then config (OpenVPN imports nothing: only the first config node counts)
 *   all-null           one node, NULL name and NULL value
 * rc=N is the return code (default 0). */
#include "fixture.h"

#define NAME "fault-list"
#define CFG "push \"echo fault-list\"\n"

struct handle {
    struct openvpn_plugin_callbacks *cb;
    char shape[32];
    int rc;
};

OPENVPN_EXPORT int openvpn_plugin_open_v3(const int structver, struct openvpn_plugin_args_open_in const *in,
                                          struct openvpn_plugin_args_open_return *out)
{
    (void)structver;
    struct handle *h = calloc(1, sizeof *h);
    if (!h) return OPENVPN_PLUGIN_FUNC_ERROR;
    h->cb = in->callbacks;
    snprintf(h->shape, sizeof h->shape, "%s", fx_arg(in->argv, "shape", "null-name-first"));
    h->rc = atoi(fx_arg(in->argv, "rc", "0"));
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
    if (!out || !out->return_list) return h->rc;
    struct openvpn_plugin_string_list *l = NULL;
    if (!strcmp(h->shape, "null-name-first")) l = fx_node(NULL, "nameless", fx_node("config", CFG, NULL));
    else if (!strcmp(h->shape, "null-name-after")) l = fx_node("config", CFG, fx_node(NULL, "nameless", NULL));
    else if (!strcmp(h->shape, "null-value-config")) l = fx_node("config", NULL, fx_node("config", CFG, NULL));
    else if (!strcmp(h->shape, "all-null")) l = fx_node(NULL, NULL, NULL);
    *out->return_list = l;
    h->cb->plugin_log(PLOG_NOTE, NAME, "hook %d returned shape %s, rc %d", in->type, h->shape, h->rc);
    return h->rc;
}

OPENVPN_EXPORT void openvpn_plugin_close_v1(openvpn_plugin_handle_t handle)
{
    free(handle);
}
