/* parity-recorder: recorder.c with skip=HOOK[,HOOK...] removed from its type mask, so that recording does not change a chain's semantics (e.g. skip=CLIENT_CONNECT_DEFER_V2 keeps "DEFERRED without DEFER_V2" failing). */
#define openvpn_plugin_open_v3 recorder_open_v3
#include "recorder.c"
#undef openvpn_plugin_open_v3

OPENVPN_EXPORT int openvpn_plugin_open_v3(const int structver, struct openvpn_plugin_args_open_in const *in,
                                          struct openvpn_plugin_args_open_return *out)
{
    int rc = recorder_open_v3(structver, in, out);
    if (rc != OPENVPN_PLUGIN_FUNC_SUCCESS) return rc;
    for (int i = 1; in->argv && in->argv[i]; i++) {
        if (strncmp(in->argv[i], "skip=", 5)) continue;
        char *list = strdup(in->argv[i] + 5), *save = NULL;
        for (char *name = strtok_r(list, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
            int t = fx_hook_type(name);
            if (t >= 0) out->type_mask &= ~OPENVPN_PLUGIN_MASK(t);
            else plog(PLOG_WARN, NAME, "skip: unknown hook name %s", name);
        }
        free(list);
    }
    plog(PLOG_NOTE, NAME, "type mask 0x%04x", out->type_mask);
    return OPENVPN_PLUGIN_FUNC_SUCCESS;
}
