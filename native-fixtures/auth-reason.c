/* auth-reason: synchronous AUTH_USER_PASS_VERIFY (foo/bar) that explains a failure through auth_failed_reason_file. */
#include "fixture.h"

#define NAME "auth-reason"
static plugin_log_t plog;

OPENVPN_EXPORT int openvpn_plugin_open_v3(const int structver, struct openvpn_plugin_args_open_in const *in,
                                          struct openvpn_plugin_args_open_return *out)
{
    if (structver < 5) return OPENVPN_PLUGIN_FUNC_ERROR;
    plog = in->callbacks->plugin_log;
    out->type_mask = OPENVPN_PLUGIN_MASK(OPENVPN_PLUGIN_AUTH_USER_PASS_VERIFY);
    out->handle = calloc(1, 1);
    plog(PLOG_NOTE, NAME, "OPEN");
    return OPENVPN_PLUGIN_FUNC_SUCCESS;
}

OPENVPN_EXPORT int openvpn_plugin_func_v3(const int structver, struct openvpn_plugin_args_func_in const *in,
                                          struct openvpn_plugin_args_func_return *out)
{
    (void)structver; (void)out;
    if (in->type != OPENVPN_PLUGIN_AUTH_USER_PASS_VERIFY) return fx_unexpected(plog, NAME, in->type);
    const char *u = fx_getenv("username", in->envp), *p = fx_getenv("password", in->envp);
    if (u && p && !strcmp(u, "foo") && !strcmp(p, "bar")) {
        plog(PLOG_NOTE, NAME, "AUTH_USER_PASS_VERIFY user=%s SUCCESS", u);
        return OPENVPN_PLUGIN_FUNC_SUCCESS;
    }
    char reason[512];
    snprintf(reason, sizeof reason, "bad credentials for %s", u ? u : "");
    const char *afr = fx_getenv("auth_failed_reason_file", in->envp);
    if (fx_write_file(afr, reason, 0))
        plog(PLOG_ERR | PLOG_ERRNO, NAME, "AUTH_USER_PASS_VERIFY cannot write auth_failed_reason_file %s",
             afr ? afr : "(unset)");
    plog(PLOG_NOTE, NAME, "AUTH_USER_PASS_VERIFY user=%s ERROR (%s)", u ? u : "", reason);
    return OPENVPN_PLUGIN_FUNC_ERROR;
}

OPENVPN_EXPORT void openvpn_plugin_close_v1(openvpn_plugin_handle_t handle)
{
    plog(PLOG_NOTE, NAME, "CLOSE");
    free(handle);
}
