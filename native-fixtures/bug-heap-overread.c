/* bug-heap-overread: TLS_FINAL copies the common name into a heap buffer of exactly its length (no room for the
 * NUL) and logs it as a string: the log reads past the end of the buffer, one byte or more. */
#include "fixture.h"

#define NAME "bug-heap-overread"
static plugin_log_t plog;

OPENVPN_EXPORT int openvpn_plugin_open_v3(const int structver, struct openvpn_plugin_args_open_in const *in,
                                          struct openvpn_plugin_args_open_return *out)
{
    if (structver < 5) return OPENVPN_PLUGIN_FUNC_ERROR;
    plog = in->callbacks->plugin_log;
    out->type_mask = OPENVPN_PLUGIN_MASK(OPENVPN_PLUGIN_TLS_FINAL);
    out->handle = (openvpn_plugin_handle_t)NAME; /* any non-NULL handle */
    return OPENVPN_PLUGIN_FUNC_SUCCESS;
}

OPENVPN_EXPORT int openvpn_plugin_func_v3(const int structver, struct openvpn_plugin_args_func_in const *in,
                                          struct openvpn_plugin_args_func_return *out)
{
    (void)structver; (void)out;
    if (in->type != OPENVPN_PLUGIN_TLS_FINAL) return fx_unexpected(plog, NAME, in->type);
    const char *cn = fx_getenv("common_name", in->envp);
    if (!cn) return OPENVPN_PLUGIN_FUNC_SUCCESS;
    size_t n = strlen(cn);
    char *copy = malloc(n ? n : 1);
    memcpy(copy, cn, n); /* the bug: no NUL, no room for it */
    plog(PLOG_NOTE, NAME, "TLS_FINAL for %.*s (%zu bytes)", (int)strlen(copy), copy, n);
    free(copy);
    return OPENVPN_PLUGIN_FUNC_SUCCESS;
}

OPENVPN_EXPORT void openvpn_plugin_close_v1(openvpn_plugin_handle_t handle)
{
    (void)handle;
}
