/* no-func: exports open_v1 and close_v1 but no func_v1/v2/v3, which OpenVPN treats as a fatal load error. */
#include "fixture.h"

OPENVPN_EXPORT openvpn_plugin_handle_t openvpn_plugin_open_v1(unsigned int *type_mask, const char *argv[],
                                                              const char *envp[])
{
    (void)argv;
    (void)envp;
    static int dummy;
    *type_mask = OPENVPN_PLUGIN_MASK(OPENVPN_PLUGIN_UP);
    printf("no-func: open\n");
    return &dummy;
}

OPENVPN_EXPORT void openvpn_plugin_close_v1(openvpn_plugin_handle_t handle)
{
    (void)handle;
    printf("no-func: close\n");
}
