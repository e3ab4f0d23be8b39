/* cert-cn: reads the subject CN from the real X509* passed to TLS_VERIFY, keeps the depth-0 CN per client and pushes it from CLIENT_CONNECT_V2. */
#include "fixture.h"
#include <openssl/x509.h>

#define NAME "cert-cn"
static plugin_log_t plog;

struct client { char cn[256]; };

OPENVPN_EXPORT int openvpn_plugin_open_v3(const int structver, struct openvpn_plugin_args_open_in const *in,
                                          struct openvpn_plugin_args_open_return *out)
{
    if (structver < 5) return OPENVPN_PLUGIN_FUNC_ERROR;
    plog = in->callbacks->plugin_log;
    out->type_mask = OPENVPN_PLUGIN_MASK(OPENVPN_PLUGIN_TLS_VERIFY)
                   | OPENVPN_PLUGIN_MASK(OPENVPN_PLUGIN_CLIENT_CONNECT_V2);
    out->handle = calloc(1, 1);
    plog(PLOG_NOTE, NAME, "OPEN ssl_api=%d", (int)in->ssl_api);
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
    plog(PLOG_NOTE, NAME, "DESTRUCTOR cn=%s", ctx && ((struct client *)ctx)->cn[0] ? ((struct client *)ctx)->cn : "-");
    free(ctx);
}

static int tls_verify(struct openvpn_plugin_args_func_in const *in, struct client *c)
{
    X509 *cert = in->current_cert;
    int depth = in->current_cert_depth;
    if (!cert) {
        plog(PLOG_ERR, NAME, "TLS_VERIFY depth %d: no certificate (current_cert is NULL)", depth);
        return OPENVPN_PLUGIN_FUNC_ERROR;
    }
    char cn[256] = "";
    if (X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof cn) < 0) cn[0] = 0;
    plog(PLOG_NOTE, NAME, "TLS_VERIFY depth %d CN=%s", depth, cn);
    if (depth != 0) return OPENVPN_PLUGIN_FUNC_SUCCESS;
    if (!c) {
        plog(PLOG_ERR, NAME, "TLS_VERIFY missing per-client context");
        return OPENVPN_PLUGIN_FUNC_ERROR;
    }
    snprintf(c->cn, sizeof c->cn, "%s", cn);
    const char *env_cn = fx_getenv("common_name", in->envp);
    if (env_cn && !strcmp(env_cn, cn))
        plog(PLOG_NOTE, NAME, "TLS_VERIFY env common_name matches");
    else if (env_cn)
        plog(PLOG_NOTE, NAME, "TLS_VERIFY env common_name MISMATCH (env=%s cert=%s)", env_cn, cn);
    return OPENVPN_PLUGIN_FUNC_SUCCESS;
}

OPENVPN_EXPORT int openvpn_plugin_func_v3(const int structver, struct openvpn_plugin_args_func_in const *in,
                                          struct openvpn_plugin_args_func_return *out)
{
    (void)structver;
    struct client *c = in->per_client_context;
    if (in->type == OPENVPN_PLUGIN_TLS_VERIFY) return tls_verify(in, c);
    if (in->type != OPENVPN_PLUGIN_CLIENT_CONNECT_V2) return fx_unexpected(plog, NAME, in->type);
    if (!c) {
        plog(PLOG_ERR, NAME, "CLIENT_CONNECT_V2 missing per-client context");
        return OPENVPN_PLUGIN_FUNC_ERROR;
    }
    const char *cn = c->cn[0] ? c->cn : "(none)";
    char cfg[320];
    snprintf(cfg, sizeof cfg, "push \"echo cert-cn %s\"\n", cn);
    if (out && out->return_list) *out->return_list = fx_node("config", cfg, NULL);
    plog(PLOG_NOTE, NAME, "CLIENT_CONNECT_V2 pushing cert-cn %s", cn);
    return OPENVPN_PLUGIN_FUNC_SUCCESS;
}

OPENVPN_EXPORT void openvpn_plugin_close_v1(openvpn_plugin_handle_t handle)
{
    plog(PLOG_NOTE, NAME, "CLOSE");
    free(handle);
}
