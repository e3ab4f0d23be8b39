/* cc-v2-defer: CLIENT_CONNECT_V2 defers; DEFER_V2 resolves (success/fail/disable) after N polls counted in the per-client context. */
#include "fixture.h"

#define NAME "cc-v2-defer"
static plugin_log_t plog;

struct handle { int polls; char *result; };   /* result: "success" | "fail" | "disable" */
struct client { int count; };

static void set_config(struct openvpn_plugin_args_func_return *out, const char *text)
{
    if (out && out->return_list) *out->return_list = fx_node("config", text, NULL);
}

OPENVPN_EXPORT int openvpn_plugin_open_v3(const int structver, struct openvpn_plugin_args_open_in const *in,
                                          struct openvpn_plugin_args_open_return *out)
{
    if (structver < 5) return OPENVPN_PLUGIN_FUNC_ERROR;
    plog = in->callbacks->plugin_log;
    struct handle *h = calloc(1, sizeof *h);
    const char *p = fx_arg(in->argv, "polls", NULL), *r = fx_arg(in->argv, "result", NULL);
    h->polls = p ? atoi(p) : 3;
    h->result = strdup(r ? r : "success");
    out->type_mask = OPENVPN_PLUGIN_MASK(OPENVPN_PLUGIN_CLIENT_CONNECT_V2)
                   | OPENVPN_PLUGIN_MASK(OPENVPN_PLUGIN_CLIENT_CONNECT_DEFER_V2);
    out->handle = h;
    plog(PLOG_NOTE, NAME, "OPEN polls=%d result=%s", h->polls, h->result);
    return OPENVPN_PLUGIN_FUNC_SUCCESS;
}

OPENVPN_EXPORT void *openvpn_plugin_client_constructor_v1(openvpn_plugin_handle_t handle)
{
    (void)handle;
    plog(PLOG_NOTE, NAME, "CONSTRUCTOR");
    return calloc(1, sizeof(struct client));
}

OPENVPN_EXPORT void openvpn_plugin_client_destructor_v1(openvpn_plugin_handle_t handle, void *ctx)
{
    (void)handle;
    plog(PLOG_NOTE, NAME, "DESTRUCTOR polls seen=%d", ctx ? ((struct client *)ctx)->count : -1);
    free(ctx);
}

OPENVPN_EXPORT int openvpn_plugin_func_v3(const int structver, struct openvpn_plugin_args_func_in const *in,
                                          struct openvpn_plugin_args_func_return *out)
{
    (void)structver;
    struct handle *h = in->handle;
    struct client *c = in->per_client_context;
    const char *hook = in->type == OPENVPN_PLUGIN_CLIENT_CONNECT_V2 ? "CLIENT_CONNECT_V2"
                     : in->type == OPENVPN_PLUGIN_CLIENT_CONNECT_DEFER_V2 ? "CLIENT_CONNECT_DEFER_V2" : "UNEXPECTED";
    if (!c) {
        plog(PLOG_ERR, NAME, "%s missing per-client context", hook);
        return OPENVPN_PLUGIN_FUNC_ERROR;
    }
    if (in->type == OPENVPN_PLUGIN_CLIENT_CONNECT_V2) {
        c->count = 0;
        plog(PLOG_NOTE, NAME, "%s deferring (resolves after %d polls)", hook, h->polls);
        set_config(out, "push \"echo from-deferring-round\"\n");   /* the host must discard this */
        return OPENVPN_PLUGIN_FUNC_DEFERRED;
    }
    if (in->type != OPENVPN_PLUGIN_CLIENT_CONNECT_DEFER_V2) {
        plog(PLOG_ERR, NAME, "%s hook type %d", hook, in->type);
        return OPENVPN_PLUGIN_FUNC_ERROR;
    }
    int k = ++c->count;
    if (k < h->polls) {
        plog(PLOG_NOTE, NAME, "%s defer_v2 poll %d of %d", hook, k, h->polls);
        return OPENVPN_PLUGIN_FUNC_DEFERRED;
    }
    plog(PLOG_NOTE, NAME, "%s defer_v2 poll %d of %d: %s", hook, k, h->polls, h->result);
    if (!strcmp(h->result, "fail")) return OPENVPN_PLUGIN_FUNC_ERROR;
    if (!strcmp(h->result, "disable"))
        set_config(out, "disable\n");
    else
        set_config(out, "ifconfig-push 10.8.0.9 255.255.255.0\npush \"route 10.9.0.0 255.255.0.0\"\n");
    return OPENVPN_PLUGIN_FUNC_SUCCESS;
}

OPENVPN_EXPORT void openvpn_plugin_close_v1(openvpn_plugin_handle_t handle)
{
    struct handle *h = handle;
    plog(PLOG_NOTE, NAME, "CLOSE");
    free(h->result);
    free(h);
}
