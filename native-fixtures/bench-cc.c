/* bench-cc: CLIENT_CONNECT_V2 as a typical plugin does it, without logging: look up common_name in envp, return a
 * one-node "config" list (malloc'd, freed by the host). Used by bench/per-hook.ts to measure the host's own cost. */
#include "fixture.h"

struct client { int calls; };

OPENVPN_EXPORT int openvpn_plugin_open_v3(const int structver, struct openvpn_plugin_args_open_in const *in,
                                          struct openvpn_plugin_args_open_return *out)
{
    (void)in;
    if (structver < 5) return OPENVPN_PLUGIN_FUNC_ERROR;
    static int handle;
    out->type_mask = OPENVPN_PLUGIN_MASK(OPENVPN_PLUGIN_CLIENT_CONNECT_V2);
    out->handle = &handle;
    return OPENVPN_PLUGIN_FUNC_SUCCESS;
}

OPENVPN_EXPORT void *openvpn_plugin_client_constructor_v1(openvpn_plugin_handle_t handle)
{
    (void)handle;
    return calloc(1, sizeof(struct client));
}

OPENVPN_EXPORT void openvpn_plugin_client_destructor_v1(openvpn_plugin_handle_t handle, void *ctx)
{
    (void)handle;
    free(ctx);
}

OPENVPN_EXPORT int openvpn_plugin_func_v3(const int structver, struct openvpn_plugin_args_func_in const *in,
                                          struct openvpn_plugin_args_func_return *out)
{
    (void)structver;
    struct client *c = in->per_client_context;
    if (c) c->calls++;
    if (in->type != OPENVPN_PLUGIN_CLIENT_CONNECT_V2) return OPENVPN_PLUGIN_FUNC_SUCCESS;
    const char *cn = fx_getenv("common_name", in->envp);
    if (!cn) return OPENVPN_PLUGIN_FUNC_ERROR;
    if (out && out->return_list) {
        char config[256];
        snprintf(config, sizeof config, "push \"setenv-safe CN %s\"\n", cn);
        *out->return_list = fx_node("config", config, NULL);
    }
    return OPENVPN_PLUGIN_FUNC_SUCCESS;
}

OPENVPN_EXPORT void openvpn_plugin_close_v1(openvpn_plugin_handle_t handle)
{
    (void)handle;
}
