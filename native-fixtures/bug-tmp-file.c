/* bug-tmp-file: AUTH_USER_PASS_VERIFY writes its verdict atomically, through "<auth_control_file>.tmp" renamed over
 * auth_control_file, and returns DEFERRED. The bug: for an empty password it writes '0' straight into
 * auth_control_file and forgets the ".tmp" file it had already created, so a real server's --tmp-dir fills up with
 * them. Accepts every non-empty password. */
#include "fixture.h"

#define NAME "bug-tmp-file"
static plugin_log_t plog;

OPENVPN_EXPORT int openvpn_plugin_open_v3(const int structver, struct openvpn_plugin_args_open_in const *in,
                                          struct openvpn_plugin_args_open_return *out)
{
    if (structver < 5) return OPENVPN_PLUGIN_FUNC_ERROR;
    plog = in->callbacks->plugin_log;
    out->type_mask = OPENVPN_PLUGIN_MASK(OPENVPN_PLUGIN_AUTH_USER_PASS_VERIFY);
    out->handle = (openvpn_plugin_handle_t)NAME; /* any non-NULL handle */
    return OPENVPN_PLUGIN_FUNC_SUCCESS;
}

OPENVPN_EXPORT int openvpn_plugin_func_v3(const int structver, struct openvpn_plugin_args_func_in const *in,
                                          struct openvpn_plugin_args_func_return *out)
{
    (void)structver; (void)out;
    if (in->type != OPENVPN_PLUGIN_AUTH_USER_PASS_VERIFY) return fx_unexpected(plog, NAME, in->type);
    const char *acf = fx_getenv("auth_control_file", in->envp), *password = fx_getenv("password", in->envp);
    if (!acf) return OPENVPN_PLUGIN_FUNC_ERROR;
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", acf);
    if (fx_write_file(tmp, "", 1)) return OPENVPN_PLUGIN_FUNC_ERROR;
    if (!password || !*password) {
        fx_write_file(acf, "0", 0); /* the bug: tmp stays behind */
        return OPENVPN_PLUGIN_FUNC_DEFERRED;
    }
    if (fx_write_file(tmp, "1", 0) || rename(tmp, acf)) return OPENVPN_PLUGIN_FUNC_ERROR;
    return OPENVPN_PLUGIN_FUNC_DEFERRED;
}

OPENVPN_EXPORT void openvpn_plugin_close_v1(openvpn_plugin_handle_t handle)
{
    (void)handle;
}
