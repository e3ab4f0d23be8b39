/* bug-args: reads its own arguments `prefix=<text>` (default "vpn") and `mode=strict|lax` (required; open fails on
 * anything else, as a careful plugin does). The bug: set_prefix() copies the prefix into a 64-byte buffer without a
 * length check; a prefix of 64 bytes or more overflows it (with Debian's hardening flags: an abort in __strcpy_chk). */
#include "fixture.h"

#define NAME "bug-args"
static plugin_log_t plog;

static __attribute__((noinline)) void set_prefix(const char *prefix)
{
    char buf[64];
    strcpy(buf, prefix); /* the bug: no length check */
    plog(PLOG_NOTE, NAME, "prefix %s", buf);
}

OPENVPN_EXPORT int openvpn_plugin_open_v3(const int structver, struct openvpn_plugin_args_open_in const *in,
                                          struct openvpn_plugin_args_open_return *out)
{
    if (structver < 5) return OPENVPN_PLUGIN_FUNC_ERROR;
    plog = in->callbacks->plugin_log;
    const char *mode = fx_arg(in->argv, "mode", "");
    if (strcmp(mode, "strict") && strcmp(mode, "lax")) {
        plog(PLOG_ERR, NAME, "mode must be strict or lax, not '%s'", mode);
        return OPENVPN_PLUGIN_FUNC_ERROR;
    }
    set_prefix(fx_arg(in->argv, "prefix", "vpn"));
    out->type_mask = OPENVPN_PLUGIN_MASK(OPENVPN_PLUGIN_CLIENT_CONNECT_V2);
    out->handle = (openvpn_plugin_handle_t)NAME; /* any non-NULL handle */
    return OPENVPN_PLUGIN_FUNC_SUCCESS;
}

OPENVPN_EXPORT int openvpn_plugin_func_v3(const int structver, struct openvpn_plugin_args_func_in const *in,
                                          struct openvpn_plugin_args_func_return *out)
{
    (void)structver; (void)out;
    if (in->type != OPENVPN_PLUGIN_CLIENT_CONNECT_V2) return fx_unexpected(plog, NAME, in->type);
    return OPENVPN_PLUGIN_FUNC_SUCCESS;
}

OPENVPN_EXPORT void openvpn_plugin_close_v1(openvpn_plugin_handle_t handle)
{
    (void)handle;
}
