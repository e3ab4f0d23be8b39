/* auth-nth: synchronous AUTH_USER_PASS_VERIFY that counts the calls per client (its per-client context) and fails the
 * fail=N-th and later ones (default 2: the first renegotiation's re-auth), with "re-auth N refused" in
 * auth_failed_reason_file (how=segv: it crashes there instead); every other call is SUCCESS. */
#include "fixture.h"

#define NAME "auth-nth"
static plugin_log_t plog;

struct handle { int fail; int segv; };
struct ctx { int calls; };

OPENVPN_EXPORT int openvpn_plugin_open_v3(const int structver, struct openvpn_plugin_args_open_in const *in,
                                          struct openvpn_plugin_args_open_return *out)
{
    if (structver < 5) return OPENVPN_PLUGIN_FUNC_ERROR;
    plog = in->callbacks->plugin_log;
    struct handle *h = calloc(1, sizeof *h);
    const char *f = fx_arg(in->argv, "fail", NULL);
    h->fail = f ? atoi(f) : 2;
    const char *how = fx_arg(in->argv, "how", "error");
    h->segv = !strcmp(how, "segv");
    out->type_mask = OPENVPN_PLUGIN_MASK(OPENVPN_PLUGIN_AUTH_USER_PASS_VERIFY);
    out->handle = h;
    plog(PLOG_NOTE, NAME, "OPEN fail=%d", h->fail);
    return OPENVPN_PLUGIN_FUNC_SUCCESS;
}

OPENVPN_EXPORT void *openvpn_plugin_client_constructor_v1(openvpn_plugin_handle_t handle)
{
    (void)handle;
    return calloc(1, sizeof(struct ctx));
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
    struct handle *h = in->handle;
    if (in->type != OPENVPN_PLUGIN_AUTH_USER_PASS_VERIFY) return fx_unexpected(plog, NAME, in->type);
    struct ctx *c = in->per_client_context;
    int n = c ? ++c->calls : 0;
    if (n < h->fail) {
        plog(PLOG_NOTE, NAME, "AUTH_USER_PASS_VERIFY call %d SUCCESS", n);
        return OPENVPN_PLUGIN_FUNC_SUCCESS;
    }
    if (h->segv) {
        plog(PLOG_NOTE, NAME, "about to crash in AUTH_USER_PASS_VERIFY call %d", n);
        *(volatile int *)0 = 1;
    }
    char reason[64];
    snprintf(reason, sizeof reason, "re-auth %d refused", n);
    const char *afr = fx_getenv("auth_failed_reason_file", in->envp);
    if (fx_write_file(afr, reason, 0)) plog(PLOG_ERR | PLOG_ERRNO, NAME, "cannot write auth_failed_reason_file");
    plog(PLOG_NOTE, NAME, "AUTH_USER_PASS_VERIFY call %d ERROR (%s)", n, reason);
    return OPENVPN_PLUGIN_FUNC_ERROR;
}

OPENVPN_EXPORT void openvpn_plugin_close_v1(openvpn_plugin_handle_t handle)
{
    plog(PLOG_NOTE, NAME, "CLOSE");
    free(handle);
}
