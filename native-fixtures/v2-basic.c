/* v2-basic: v2 ABI (open_v2/func_v2) with per-client contexts and a CLIENT_CONNECT_V2 config returned through *return_list. */
#include "fixture.h"

static int dummy_handle; /* v2 has no state worth keeping; any non-NULL pointer will do */

OPENVPN_EXPORT openvpn_plugin_handle_t openvpn_plugin_open_v2(unsigned int *type_mask, const char *argv[],
                                                              const char *envp[],
                                                              struct openvpn_plugin_string_list **return_list)
{
    (void)argv;
    (void)envp;
    (void)return_list; /* NULL except at PRE_CONFIG_PARSE: left untouched */
    *type_mask = OPENVPN_PLUGIN_MASK(OPENVPN_PLUGIN_CLIENT_CONNECT_V2)
                 | OPENVPN_PLUGIN_MASK(OPENVPN_PLUGIN_LEARN_ADDRESS);
    printf("v2-basic: open\n");
    return &dummy_handle;
}

OPENVPN_EXPORT void *openvpn_plugin_client_constructor_v1(openvpn_plugin_handle_t handle)
{
    (void)handle;
    return calloc(1, sizeof(int)); /* set to 1 once CLIENT_CONNECT_V2 has been seen */
}

OPENVPN_EXPORT void openvpn_plugin_client_destructor_v1(openvpn_plugin_handle_t handle, void *per_client_context)
{
    (void)handle;
    printf("v2-basic: destructor connect_seen=%d\n", *(int *)per_client_context);
    free(per_client_context);
}

OPENVPN_EXPORT int openvpn_plugin_func_v2(openvpn_plugin_handle_t handle, const int type, const char *argv[],
                                          const char *envp[], void *per_client_context,
                                          struct openvpn_plugin_string_list **return_list)
{
    (void)handle;
    (void)argv;
    (void)envp;
    printf("v2-basic: type=%d pcc=%s\n", type, per_client_context ? "set" : "null");
    if (type == OPENVPN_PLUGIN_CLIENT_CONNECT_V2) {
        if (per_client_context) *(int *)per_client_context = 1;
        if (return_list) *return_list = fx_node("config", "ifconfig-push 10.8.0.2 255.255.255.0\n", NULL);
    }
    return OPENVPN_PLUGIN_FUNC_SUCCESS;
}

OPENVPN_EXPORT void openvpn_plugin_close_v1(openvpn_plugin_handle_t handle)
{
    (void)handle;
    printf("v2-basic: close\n");
}
