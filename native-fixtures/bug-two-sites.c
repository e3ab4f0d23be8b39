/* bug-two-sites: two different bugs in one hook (AUTH_USER_PASS_VERIFY), both SIGSEGV: initial_of() dereferences NULL
 * for a username that does not start with a letter or digit, and remember_password() writes through NULL for a password longer than 100 bytes (its
 * "buffer" is only set for short ones). A fuzzer that tells crashes apart by signal and hook alone sees one bug. */
#include "fixture.h"
#include <ctype.h>

#define NAME "bug-two-sites"
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

static __attribute__((noinline)) int initial_of(const char *user)
{
    const char *volatile first = isalnum((unsigned char)*user) ? user : NULL; /* the bug: "no initial" is NULL */
    return *first;
}

static __attribute__((noinline)) void remember_password(const char *password)
{
    static char short_buf[101];
    char *volatile buf = strlen(password) <= 100 ? short_buf : NULL; /* the bug: no buffer for a long one */
    buf[0] = password[0];
}

OPENVPN_EXPORT int openvpn_plugin_func_v3(const int structver, struct openvpn_plugin_args_func_in const *in,
                                          struct openvpn_plugin_args_func_return *out)
{
    (void)structver; (void)out;
    if (in->type != OPENVPN_PLUGIN_AUTH_USER_PASS_VERIFY) return fx_unexpected(plog, NAME, in->type);
    const char *user = fx_getenv("username", in->envp), *password = fx_getenv("password", in->envp);
    plog(PLOG_NOTE, NAME, "initial %c", initial_of(user ? user : ""));
    remember_password(password ? password : "");
    return OPENVPN_PLUGIN_FUNC_SUCCESS;
}

OPENVPN_EXPORT void openvpn_plugin_close_v1(openvpn_plugin_handle_t handle)
{
    (void)handle;
}
