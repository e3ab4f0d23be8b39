/* cc-v1-defer-hook: v1 CLIENT_CONNECT defers ('2' + DEFERRED); CLIENT_CONNECT_DEFER resolves after N polls with config, '1' and SUCCESS. */
#include "fixture.h"

#define NAME "cc-v1-defer-hook"
static plugin_log_t plog;

struct handle { int polls; };
struct client { int count; };

OPENVPN_EXPORT int openvpn_plugin_open_v3(const int structver, struct openvpn_plugin_args_open_in const *in,
                                          struct openvpn_plugin_args_open_return *out)
{
    if (structver < 5) return OPENVPN_PLUGIN_FUNC_ERROR;
    plog = in->callbacks->plugin_log;
    struct handle *h = calloc(1, sizeof *h);
    const char *p = fx_arg(in->argv, "polls", NULL);
    h->polls = p ? atoi(p) : 2;
    out->type_mask = OPENVPN_PLUGIN_MASK(OPENVPN_PLUGIN_CLIENT_CONNECT)
                   | OPENVPN_PLUGIN_MASK(OPENVPN_PLUGIN_CLIENT_CONNECT_DEFER);
    out->handle = h;
    plog(PLOG_NOTE, NAME, "OPEN polls=%d", h->polls);
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
    (void)structver; (void)out;
    struct handle *h = in->handle;
    struct client *c = in->per_client_context;
    const char *hook = in->type == OPENVPN_PLUGIN_CLIENT_CONNECT ? "CLIENT_CONNECT"
                     : in->type == OPENVPN_PLUGIN_CLIENT_CONNECT_DEFER ? "CLIENT_CONNECT_DEFER" : NULL;
    if (!hook) return fx_unexpected(plog, NAME, in->type);
    if (!c) {
        plog(PLOG_ERR, NAME, "%s missing per-client context", hook);
        return OPENVPN_PLUGIN_FUNC_ERROR;
    }
    const char *ccr = fx_getenv("client_connect_deferred_file", in->envp);
    const char *cfg = fx_argv1(in->argv, NULL);
    if (in->type == OPENVPN_PLUGIN_CLIENT_CONNECT) {
        c->count = 0;
        if (fx_put_byte(ccr, '2')) {
            plog(PLOG_ERR | PLOG_ERRNO, NAME, "%s cannot write '2' to client_connect_deferred_file %s", hook,
                 ccr ? ccr : "(unset)");
            return OPENVPN_PLUGIN_FUNC_ERROR;
        }
        plog(PLOG_NOTE, NAME, "%s wrote '2', deferring (resolves after %d polls)", hook, h->polls);
        return OPENVPN_PLUGIN_FUNC_DEFERRED;
    }
    int k = ++c->count;
    if (k < h->polls) {
        plog(PLOG_NOTE, NAME, "%s poll %d of %d", hook, k, h->polls);
        return OPENVPN_PLUGIN_FUNC_DEFERRED;
    }
    if (fx_write_file(cfg, "push \"echo cc-v1-defer-hook\"\n", 0) || fx_put_byte(ccr, '1')) {
        plog(PLOG_ERR | PLOG_ERRNO, NAME, "%s poll %d of %d: cannot write config %s or ccr %s", hook, k, h->polls,
             cfg ? cfg : "(no argv[1])", ccr ? ccr : "(unset)");
        return OPENVPN_PLUGIN_FUNC_ERROR;
    }
    plog(PLOG_NOTE, NAME, "%s poll %d of %d: wrote config and '1', success", hook, k, h->polls);
    return OPENVPN_PLUGIN_FUNC_SUCCESS;
}

OPENVPN_EXPORT void openvpn_plugin_close_v1(openvpn_plugin_handle_t handle)
{
    plog(PLOG_NOTE, NAME, "CLOSE");
    free(handle);
}
