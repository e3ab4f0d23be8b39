/* no-close: exports open_v1 and func_v1 but no close_v1, which OpenVPN treats as a fatal load error. */
#include "fixture.h"

OPENVPN_EXPORT openvpn_plugin_handle_t openvpn_plugin_open_v1(unsigned int *type_mask, const char *argv[],
                                                              const char *envp[])
{
    (void)argv;
    (void)envp;
    static int dummy;
    *type_mask = OPENVPN_PLUGIN_MASK(OPENVPN_PLUGIN_UP);
    printf("no-close: open\n");
    return &dummy;
}

OPENVPN_EXPORT int openvpn_plugin_func_v1(openvpn_plugin_handle_t handle, const int type, const char *argv[],
                                          const char *envp[])
{
    (void)handle;
    (void)argv;
    (void)envp;
    printf("no-close: func type=%d\n", type);
    return OPENVPN_PLUGIN_FUNC_SUCCESS;
}
