/* bug-stack-username: a fixed-size stack buffer filled from the username (a greeting of 64 bytes): a username of more
 * than 57 bytes overflows it. Built like a Debian package (-D_FORTIFY_SOURCE=2 -fstack-protector-strong), the overflow
 * aborts in __strcat_chk; otherwise it smashes the stack. */
#include "fixture.h"

#define NAME "bug-stack-username"
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

static __attribute__((noinline)) int greet(const char *user)
{
    char greeting[64];
    strcpy(greeting, "hello ");
    strcat(greeting, user); /* the bug: no length check */
    plog(PLOG_NOTE, NAME, "%s", greeting);
    return greeting[0] == 'h';
}

OPENVPN_EXPORT int openvpn_plugin_func_v3(const int structver, struct openvpn_plugin_args_func_in const *in,
                                          struct openvpn_plugin_args_func_return *out)
{
    (void)structver; (void)out;
    if (in->type != OPENVPN_PLUGIN_AUTH_USER_PASS_VERIFY) return fx_unexpected(plog, NAME, in->type);
    const char *user = fx_getenv("username", in->envp);
    return user && greet(user) ? OPENVPN_PLUGIN_FUNC_SUCCESS : OPENVPN_PLUGIN_FUNC_ERROR;
}

OPENVPN_EXPORT void openvpn_plugin_close_v1(openvpn_plugin_handle_t handle)
{
    (void)handle;
}
