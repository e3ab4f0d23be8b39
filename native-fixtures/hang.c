/* hang: never returns from open, a hook or close (argv[1]), to test the host's call timeouts. */
#include "fixture.h"

#define NAME "hang"

/* argv[1]: "hook" (default), "open", "close" */
struct handle {
    struct openvpn_plugin_callbacks *cb;
    char where[16];
};

static void hang_now(struct openvpn_plugin_callbacks *cb, const char *where)
{
    cb->plugin_log(PLOG_NOTE, NAME, "hanging in %s", where);
    for (;;) sleep(1);
}

OPENVPN_EXPORT int openvpn_plugin_open_v3(const int structver, struct openvpn_plugin_args_open_in const *in,
                                          struct openvpn_plugin_args_open_return *out)
{
    (void)structver;
    const char *where = in->argv[0] && in->argv[1] ? in->argv[1] : "hook";
    if (!strcmp(where, "open")) hang_now(in->callbacks, where);

    struct handle *h = calloc(1, sizeof *h);
    if (!h) return OPENVPN_PLUGIN_FUNC_ERROR;
    h->cb = in->callbacks;
    snprintf(h->where, sizeof h->where, "%s", where);
    out->type_mask = OPENVPN_PLUGIN_MASK(OPENVPN_PLUGIN_CLIENT_CONNECT_V2)
                     | OPENVPN_PLUGIN_MASK(OPENVPN_PLUGIN_AUTH_USER_PASS_VERIFY);
    out->handle = h;
    return OPENVPN_PLUGIN_FUNC_SUCCESS;
}

OPENVPN_EXPORT int openvpn_plugin_func_v3(const int structver, struct openvpn_plugin_args_func_in const *in,
                                          struct openvpn_plugin_args_func_return *out)
{
    (void)structver;
    (void)out;
    struct handle *h = in->handle;
    if (!strcmp(h->where, "hook")) hang_now(h->cb, h->where);
    return OPENVPN_PLUGIN_FUNC_SUCCESS;
}

OPENVPN_EXPORT void openvpn_plugin_close_v1(openvpn_plugin_handle_t handle)
{
    struct handle *h = handle;
    if (!strcmp(h->where, "close")) hang_now(h->cb, h->where);
    free(h);
}
