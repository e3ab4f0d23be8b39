/* per-client: per-client context {id, calls, seen hooks} checked and counted on every client hook; CLIENT_CONNECT_V2 pushes the id and call count. */
#include "fixture.h"

#define NAME "per-client"
static plugin_log_t plog;

struct handle { int next_id; };
struct client { int id; int calls; unsigned int seen; };

OPENVPN_EXPORT int openvpn_plugin_open_v3(const int structver, struct openvpn_plugin_args_open_in const *in,
                                          struct openvpn_plugin_args_open_return *out)
{
    if (structver < 5) return OPENVPN_PLUGIN_FUNC_ERROR;
    plog = in->callbacks->plugin_log;
    out->type_mask = OPENVPN_PLUGIN_MASK(OPENVPN_PLUGIN_TLS_VERIFY)
                   | OPENVPN_PLUGIN_MASK(OPENVPN_PLUGIN_AUTH_USER_PASS_VERIFY)
                   | OPENVPN_PLUGIN_MASK(OPENVPN_PLUGIN_TLS_FINAL)
                   | OPENVPN_PLUGIN_MASK(OPENVPN_PLUGIN_CLIENT_CONNECT_V2)
                   | OPENVPN_PLUGIN_MASK(OPENVPN_PLUGIN_LEARN_ADDRESS)
                   | OPENVPN_PLUGIN_MASK(OPENVPN_PLUGIN_CLIENT_DISCONNECT);
    out->handle = calloc(1, sizeof(struct handle));
    plog(PLOG_NOTE, NAME, "OPEN");
    return OPENVPN_PLUGIN_FUNC_SUCCESS;
}

OPENVPN_EXPORT void *openvpn_plugin_client_constructor_v1(openvpn_plugin_handle_t handle)
{
    struct handle *h = handle;
    struct client *c = calloc(1, sizeof *c);
    c->id = ++h->next_id;
    plog(PLOG_NOTE, NAME, "CONSTRUCTOR context #%d", c->id);
    return c;
}

OPENVPN_EXPORT void openvpn_plugin_client_destructor_v1(openvpn_plugin_handle_t handle, void *ctx)
{
    (void)handle;
    struct client *c = ctx;
    if (c) plog(PLOG_NOTE, NAME, "DESTRUCTOR destroy context #%d after %d calls, hooks=0x%x", c->id, c->calls, c->seen);
    else plog(PLOG_ERR, NAME, "DESTRUCTOR called with a NULL context");
    free(c);
}

OPENVPN_EXPORT int openvpn_plugin_func_v3(const int structver, struct openvpn_plugin_args_func_in const *in,
                                          struct openvpn_plugin_args_func_return *out)
{
    (void)structver;
    struct client *c = in->per_client_context;
    const char *hook = fx_hook_name(in->type);
    if (!c) {
        plog(PLOG_ERR, NAME, "%s missing per-client context", hook);
        return OPENVPN_PLUGIN_FUNC_ERROR;
    }
    int k = ++c->calls;
    c->seen |= 1u << (in->type & 31);
    plog(PLOG_NOTE, NAME, "%s context #%d hook %s call %d", hook, c->id, hook, k);
    if (in->type == OPENVPN_PLUGIN_CLIENT_CONNECT_V2 && out && out->return_list) {
        char cfg[96];
        snprintf(cfg, sizeof cfg, "push \"echo context-%d-calls-%d\"\n", c->id, k);
        *out->return_list = fx_node("config", cfg, NULL);
    }
    return OPENVPN_PLUGIN_FUNC_SUCCESS;
}

OPENVPN_EXPORT void openvpn_plugin_close_v1(openvpn_plugin_handle_t handle)
{
    plog(PLOG_NOTE, NAME, "CLOSE");
    free(handle);
}
