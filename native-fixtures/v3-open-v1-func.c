/* v3-open-v1-func: mixed ABI like auth-pam and sample base64.c (open_v3 + func_v1), exercising the host's base64 callbacks at open. */
#include "fixture.h"

#define NAME "v3-open-v1-func"

struct handle {
    struct openvpn_plugin_callbacks *cb;
};

OPENVPN_EXPORT int openvpn_plugin_open_v3(const int structver, struct openvpn_plugin_args_open_in const *in,
                                          struct openvpn_plugin_args_open_return *out)
{
    if (structver < 5) return OPENVPN_PLUGIN_FUNC_ERROR; /* base64 callbacks appeared in structver 5 */
    struct openvpn_plugin_callbacks *cb = in->callbacks;
    cb->plugin_log(PLOG_NOTE, NAME, "open_v3 with func_v1");

    const char *plain = "Test-Client";
    char *encoded = NULL;
    int enc_ret = cb->plugin_base64_encode(plain, (int)strlen(plain), &encoded);
    cb->plugin_log(PLOG_NOTE, NAME, "BASE64 encoded '%s' (return value %d): '%s'", plain, enc_ret,
                   encoded ? encoded : "(null)");

    char decoded[64] = "";
    int dec_ret = encoded ? cb->plugin_base64_decode(encoded, decoded, sizeof decoded - 1) : -1;
    if (dec_ret >= 0) decoded[dec_ret] = '\0';
    cb->plugin_log(PLOG_NOTE, NAME, "BASE64 decoded '%s' (return value %d)", decoded, dec_ret);
    free(encoded);

    if (enc_ret < 0 || dec_ret != (int)strlen(plain) || strcmp(decoded, plain)) {
        cb->plugin_log(PLOG_ERR, NAME, "base64 round-trip failed");
        return OPENVPN_PLUGIN_FUNC_ERROR;
    }

    struct handle *h = calloc(1, sizeof *h);
    if (!h) return OPENVPN_PLUGIN_FUNC_ERROR;
    h->cb = cb;
    out->type_mask = OPENVPN_PLUGIN_MASK(OPENVPN_PLUGIN_AUTH_USER_PASS_VERIFY)
                     | OPENVPN_PLUGIN_MASK(OPENVPN_PLUGIN_TLS_VERIFY);
    out->handle = h;
    return OPENVPN_PLUGIN_FUNC_SUCCESS;
}

OPENVPN_EXPORT int openvpn_plugin_func_v1(openvpn_plugin_handle_t handle, const int type, const char *argv[],
                                          const char *envp[])
{
    (void)argv;
    struct handle *h = handle;
    h->cb->plugin_log(PLOG_NOTE, NAME, "func_v1 type=%d", type);
    if (type == OPENVPN_PLUGIN_AUTH_USER_PASS_VERIFY) {
        const char *user = fx_getenv("username", envp), *pass = fx_getenv("password", envp);
        return user && pass && !strcmp(user, "foo") && !strcmp(pass, "bar") ? OPENVPN_PLUGIN_FUNC_SUCCESS
                                                                              : OPENVPN_PLUGIN_FUNC_ERROR;
    }
    return OPENVPN_PLUGIN_FUNC_SUCCESS; /* TLS_VERIFY */
}

OPENVPN_EXPORT void openvpn_plugin_close_v1(openvpn_plugin_handle_t handle)
{
    struct handle *h = handle;
    h->cb->plugin_log(PLOG_NOTE, NAME, "close");
    free(h);
}
