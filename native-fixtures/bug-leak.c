/* bug-leak: CLIENT_CONNECT_V2 keeps a copy of the username it never frees: 64 bytes and the username lost per call. */
#include "fixture.h"

#define NAME "bug-leak"
static plugin_log_t plog;

struct note { char *user; char tag[56]; };

OPENVPN_EXPORT int openvpn_plugin_open_v3(const int structver, struct openvpn_plugin_args_open_in const *in,
                                          struct openvpn_plugin_args_open_return *out)
{
    if (structver < 5) return OPENVPN_PLUGIN_FUNC_ERROR;
    plog = in->callbacks->plugin_log;
    out->type_mask = OPENVPN_PLUGIN_MASK(OPENVPN_PLUGIN_CLIENT_CONNECT_V2);
    out->handle = (openvpn_plugin_handle_t)NAME; /* any non-NULL handle */
    return OPENVPN_PLUGIN_FUNC_SUCCESS;
}

OPENVPN_EXPORT int openvpn_plugin_func_v3(const int structver, struct openvpn_plugin_args_func_in const *in,
                                          struct openvpn_plugin_args_func_return *out)
{
    (void)structver; (void)out;
    if (in->type != OPENVPN_PLUGIN_CLIENT_CONNECT_V2) return fx_unexpected(plog, NAME, in->type);
    const char *user = fx_getenv("common_name", in->envp);
    struct note *n = calloc(1, sizeof *n); /* the bug: never freed */
    n->user = strdup(user ? user : "");
    snprintf(n->tag, sizeof n->tag, "seen");
    plog(PLOG_NOTE, NAME, "CLIENT_CONNECT_V2 %s %s", n->user, n->tag);
    return OPENVPN_PLUGIN_FUNC_SUCCESS;
}

OPENVPN_EXPORT void openvpn_plugin_close_v1(openvpn_plugin_handle_t handle)
{
    (void)handle;
}
