/* cc-never: a client-connect that never resolves (mode=v2: CONNECT_V2 and every DEFER_V2 return DEFERRED; mode=v1: '2' + DEFERRED, never written again). */
#include "fixture.h"

#define NAME "cc-never"
static plugin_log_t plog;

struct handle { int v1; int calls; };

OPENVPN_EXPORT int openvpn_plugin_open_v3(const int structver, struct openvpn_plugin_args_open_in const *in,
                                          struct openvpn_plugin_args_open_return *out)
{
    if (structver < 5) return OPENVPN_PLUGIN_FUNC_ERROR;
    plog = in->callbacks->plugin_log;
    struct handle *h = calloc(1, sizeof *h);
    const char *m = fx_arg(in->argv, "mode", NULL);
    h->v1 = m && !strcmp(m, "v1");
    out->type_mask = h->v1 ? OPENVPN_PLUGIN_MASK(OPENVPN_PLUGIN_CLIENT_CONNECT)
                           : OPENVPN_PLUGIN_MASK(OPENVPN_PLUGIN_CLIENT_CONNECT_V2)
                             | OPENVPN_PLUGIN_MASK(OPENVPN_PLUGIN_CLIENT_CONNECT_DEFER_V2);
    out->handle = h;
    plog(PLOG_NOTE, NAME, "OPEN mode=%s", h->v1 ? "v1" : "v2");
    return OPENVPN_PLUGIN_FUNC_SUCCESS;
}

OPENVPN_EXPORT int openvpn_plugin_func_v3(const int structver, struct openvpn_plugin_args_func_in const *in,
                                          struct openvpn_plugin_args_func_return *out)
{
    (void)structver; (void)out;
    struct handle *h = in->handle;
    int k = ++h->calls;
    switch (in->type) {
    case OPENVPN_PLUGIN_CLIENT_CONNECT: {
        const char *ccr = fx_getenv("client_connect_deferred_file", in->envp);
        if (fx_write_file(ccr, "2", 0)) {
            plog(PLOG_ERR | PLOG_ERRNO, NAME, "CLIENT_CONNECT cannot write '2' to client_connect_deferred_file %s",
                 ccr ? ccr : "(unset)");
            return OPENVPN_PLUGIN_FUNC_ERROR;
        }
        plog(PLOG_NOTE, NAME, "CLIENT_CONNECT wrote '2', deferring forever (call %d)", k);
        return OPENVPN_PLUGIN_FUNC_DEFERRED;
    }
    case OPENVPN_PLUGIN_CLIENT_CONNECT_V2:
        plog(PLOG_NOTE, NAME, "CLIENT_CONNECT_V2 deferring forever (call %d)", k);
        return OPENVPN_PLUGIN_FUNC_DEFERRED;
    case OPENVPN_PLUGIN_CLIENT_CONNECT_DEFER_V2:
        plog(PLOG_NOTE, NAME, "CLIENT_CONNECT_DEFER_V2 still deferred (call %d)", k);
        return OPENVPN_PLUGIN_FUNC_DEFERRED;
    }
    return fx_unexpected(plog, NAME, in->type);
}

OPENVPN_EXPORT void openvpn_plugin_close_v1(openvpn_plugin_handle_t handle)
{
    plog(PLOG_NOTE, NAME, "CLOSE after %d calls", ((struct handle *)handle)->calls);
    free(handle);
}
