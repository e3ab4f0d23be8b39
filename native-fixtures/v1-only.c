/* v1-only: legacy v1 ABI only (open_v1/func_v1/close_v1): user/pass auth and CLIENT_CONNECT writing the config file from argv[1]. */
#include "fixture.h"

struct handle {
    char *arg1; /* copy of argv[1] from open, or NULL */
};

OPENVPN_EXPORT openvpn_plugin_handle_t openvpn_plugin_open_v1(unsigned int *type_mask, const char *argv[],
                                                              const char *envp[])
{
    (void)envp;
    struct handle *h = calloc(1, sizeof *h);
    if (!h) return NULL;
    const char *arg1 = fx_argv1(argv, NULL);
    h->arg1 = arg1 ? strdup(arg1) : NULL;
    printf("v1-only: open argv[1]=%s\n", h->arg1 ? h->arg1 : "(none)");
    *type_mask = OPENVPN_PLUGIN_MASK(OPENVPN_PLUGIN_AUTH_USER_PASS_VERIFY)
                 | OPENVPN_PLUGIN_MASK(OPENVPN_PLUGIN_CLIENT_CONNECT);
    return h;
}

OPENVPN_EXPORT int openvpn_plugin_func_v1(openvpn_plugin_handle_t handle, const int type, const char *argv[],
                                          const char *envp[])
{
    (void)handle;
    printf("v1-only: func type=%d\n", type);
    if (type == OPENVPN_PLUGIN_AUTH_USER_PASS_VERIFY) {
        const char *user = fx_getenv("username", envp), *pass = fx_getenv("password", envp);
        return user && pass && !strcmp(user, "foo") && !strcmp(pass, "bar") ? OPENVPN_PLUGIN_FUNC_SUCCESS
                                                                              : OPENVPN_PLUGIN_FUNC_ERROR;
    }
    if (type == OPENVPN_PLUGIN_CLIENT_CONNECT) {
        /* argv = [so path, client config file]; OpenVPN has already created the file. */
        const char *path = fx_argv1(argv, NULL);
        if (fx_write_file(path, "push \"echo v1-only\"\n", 0)) {
            printf("v1-only: cannot write config file %s\n", path ? path : "(none)");
            return OPENVPN_PLUGIN_FUNC_ERROR;
        }
        return OPENVPN_PLUGIN_FUNC_SUCCESS;
    }
    return OPENVPN_PLUGIN_FUNC_SUCCESS;
}

OPENVPN_EXPORT void openvpn_plugin_close_v1(openvpn_plugin_handle_t handle)
{
    struct handle *h = handle;
    printf("v1-only: close\n");
    free(h->arg1);
    free(h);
}
