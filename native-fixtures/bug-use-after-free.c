/* bug-use-after-free: remembers the last client's per-client context in a global; the destructor frees the context
 * but not the global, and LEARN_ADDRESS delete (which OpenVPN calls after the destructor) reads through it. */
#include "fixture.h"

#define NAME "bug-use-after-free"
static plugin_log_t plog;

struct client { char name[48]; int calls; };
static struct client *last; /* the bug: outlives the context it points to */

OPENVPN_EXPORT int openvpn_plugin_open_v3(const int structver, struct openvpn_plugin_args_open_in const *in,
                                          struct openvpn_plugin_args_open_return *out)
{
    if (structver < 5) return OPENVPN_PLUGIN_FUNC_ERROR;
    plog = in->callbacks->plugin_log;
    out->type_mask = OPENVPN_PLUGIN_MASK(OPENVPN_PLUGIN_CLIENT_CONNECT_V2) | OPENVPN_PLUGIN_MASK(OPENVPN_PLUGIN_LEARN_ADDRESS);
    out->handle = (openvpn_plugin_handle_t)NAME; /* any non-NULL handle */
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
    (void)structver; (void)out;
    if (in->type == OPENVPN_PLUGIN_CLIENT_CONNECT_V2) {
        struct client *c = in->per_client_context;
        const char *cn = fx_getenv("common_name", in->envp);
        if (c) {
            snprintf(c->name, sizeof c->name, "%s", cn ? cn : "?");
            c->calls++;
            last = c;
        }
        return OPENVPN_PLUGIN_FUNC_SUCCESS;
    }
    if (in->type == OPENVPN_PLUGIN_LEARN_ADDRESS) {
        if (last && in->argv[1] && !strcmp(in->argv[1], "delete"))
            plog(PLOG_NOTE, NAME, "LEARN_ADDRESS delete: last client was %s after %d calls", last->name, last->calls);
        return OPENVPN_PLUGIN_FUNC_SUCCESS;
    }
    return fx_unexpected(plog, NAME, in->type);
}

OPENVPN_EXPORT void openvpn_plugin_close_v1(openvpn_plugin_handle_t handle)
{
    (void)handle;
}
