/* no-open: exports func_v1 and close_v1 but no open_v1/v2/v3, which OpenVPN treats as a fatal load error. */
#include "fixture.h"

OPENVPN_EXPORT int openvpn_plugin_func_v1(openvpn_plugin_handle_t handle, const int type, const char *argv[],
                                          const char *envp[])
{
    (void)handle;
    (void)argv;
    (void)envp;
    printf("no-open: func type=%d\n", type);
    return OPENVPN_PLUGIN_FUNC_SUCCESS;
}

OPENVPN_EXPORT void openvpn_plugin_close_v1(openvpn_plugin_handle_t handle)
{
    (void)handle;
    printf("no-open: close\n");
}
