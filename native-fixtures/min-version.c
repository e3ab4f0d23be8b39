/* min-version: requires plugin interface version 4 via min_version_required_v1; OpenVPN 2.6 only supports 3 and refuses to load it. */
#include "fixture.h"

OPENVPN_EXPORT int openvpn_plugin_min_version_required_v1(void)
{
    return 4;
}

OPENVPN_EXPORT openvpn_plugin_handle_t openvpn_plugin_open_v1(unsigned int *type_mask, const char *argv[],
                                                              const char *envp[])
{
    (void)argv;
    (void)envp;
    static int dummy;
    *type_mask = OPENVPN_PLUGIN_MASK(OPENVPN_PLUGIN_UP);
    printf("min-version: open (should never happen)\n");
    return &dummy;
}

OPENVPN_EXPORT int openvpn_plugin_func_v1(openvpn_plugin_handle_t handle, const int type, const char *argv[],
                                          const char *envp[])
{
    (void)handle;
    (void)argv;
    (void)envp;
    printf("min-version: func type=%d\n", type);
    return OPENVPN_PLUGIN_FUNC_SUCCESS;
}

OPENVPN_EXPORT void openvpn_plugin_close_v1(openvpn_plugin_handle_t handle)
{
    (void)handle;
    printf("min-version: close\n");
}
