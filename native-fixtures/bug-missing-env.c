/* bug-missing-env: CLIENT_CONNECT_V2 compares the client's IV_PLAT without checking it is there: a client that sends
 * no IV_PLAT (OpenVPN 3 and other clients may not) crashes it with a NULL dereference. */
#include "fixture.h"

#define NAME "bug-missing-env"
static plugin_log_t plog;

OPENVPN_EXPORT int openvpn_plugin_open_v3(const int structver, struct openvpn_plugin_args_open_in const *in,
                                          struct openvpn_plugin_args_open_return *out)
{
    if (structver < 5) return OPENVPN_PLUGIN_FUNC_ERROR;
    plog = in->callbacks->plugin_log;
    out->type_mask = OPENVPN_PLUGIN_MASK(OPENVPN_PLUGIN_CLIENT_CONNECT_V2);
    out->handle = (openvpn_plugin_handle_t)NAME; /* any non-NULL handle */
    return OPENVPN_PLUGIN_FUNC_SUCCESS;
}

static __attribute__((noinline)) int is_windows(const char *plat)
{
    return plat[0] == 'w' && !strcmp(plat, "win"); /* the bug: plat may be NULL */
}

OPENVPN_EXPORT int openvpn_plugin_func_v3(const int structver, struct openvpn_plugin_args_func_in const *in,
                                          struct openvpn_plugin_args_func_return *out)
{
    (void)structver; (void)out;
    if (in->type != OPENVPN_PLUGIN_CLIENT_CONNECT_V2) return fx_unexpected(plog, NAME, in->type);
    const char *plat = fx_getenv("IV_PLAT", in->envp);
    plog(PLOG_NOTE, NAME, "client platform: %s", is_windows(plat) ? "windows" : "other");
    return OPENVPN_PLUGIN_FUNC_SUCCESS;
}

OPENVPN_EXPORT void openvpn_plugin_close_v1(openvpn_plugin_handle_t handle)
{
    (void)handle;
}
