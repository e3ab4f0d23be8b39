/* open-fails-if: open_v3 fails while the file named by fail_if=PATH exists (e.g. at a SIGHUP's reopen); abort_v1 logs. */
#include "fixture.h"

#define NAME "open-fails-if"
static plugin_log_t plog;

OPENVPN_EXPORT int openvpn_plugin_open_v3(const int structver, struct openvpn_plugin_args_open_in const *in,
                                          struct openvpn_plugin_args_open_return *out)
{
    (void)structver;
    plog = in->callbacks->plugin_log;
    const char *path = fx_arg(in->argv, "fail_if", NULL);
    if (path && access(path, F_OK) == 0) {
        plog(PLOG_ERR, NAME, "refusing to open: %s exists", path);
        return OPENVPN_PLUGIN_FUNC_ERROR;
    }
    out->type_mask = OPENVPN_PLUGIN_MASK(OPENVPN_PLUGIN_CLIENT_CONNECT_V2);
    out->handle = calloc(1, 1);
    plog(PLOG_NOTE, NAME, "open");
    return OPENVPN_PLUGIN_FUNC_SUCCESS;
}

OPENVPN_EXPORT int openvpn_plugin_func_v3(const int structver, struct openvpn_plugin_args_func_in const *in,
                                          struct openvpn_plugin_args_func_return *out)
{
    (void)structver;
    (void)in;
    (void)out;
    return OPENVPN_PLUGIN_FUNC_SUCCESS;
}

OPENVPN_EXPORT void openvpn_plugin_close_v1(openvpn_plugin_handle_t handle)
{
    plog(PLOG_NOTE, NAME, "close");
    free(handle);
}

OPENVPN_EXPORT void openvpn_plugin_abort_v1(openvpn_plugin_handle_t handle)
{
    plog(PLOG_NOTE, NAME, "abort handle=%s", handle ? "set" : "null");
}
