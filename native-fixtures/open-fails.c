/* open-fails: open_v3 fails in one of three ways (argv[1]: error, null-handle, bad-mask); abort_v1 reports the handle it gets. */
#include "fixture.h"

#define NAME "open-fails"

/* argv[1]: "error" (default), "null-handle", "bad-mask" */
OPENVPN_EXPORT int openvpn_plugin_open_v3(const int structver, struct openvpn_plugin_args_open_in const *in,
                                          struct openvpn_plugin_args_open_return *out)
{
    (void)structver;
    struct openvpn_plugin_callbacks *cb = in->callbacks;
    const char *mode = fx_argv1(in->argv, "error");

    if (!strcmp(mode, "null-handle")) {
        cb->plugin_log(PLOG_NOTE, NAME, "returning success with a NULL handle");
        out->type_mask = OPENVPN_PLUGIN_MASK(OPENVPN_PLUGIN_CLIENT_CONNECT_V2);
        out->handle = NULL;
        return OPENVPN_PLUGIN_FUNC_SUCCESS;
    }
    if (!strcmp(mode, "bad-mask")) {
        cb->plugin_log(PLOG_NOTE, NAME, "returning success with type_mask 1<<20");
        out->type_mask = 1 << 20;
        out->handle = calloc(1, 1);
        return OPENVPN_PLUGIN_FUNC_SUCCESS;
    }
    cb->plugin_log(PLOG_ERR, NAME, "refusing to open");
    return OPENVPN_PLUGIN_FUNC_ERROR;
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
    printf(NAME ": close\n");
    free(handle);
}

OPENVPN_EXPORT void openvpn_plugin_abort_v1(openvpn_plugin_handle_t handle)
{
    printf(NAME ": abort handle=%s\n", handle ? "set" : "null");
}
