/* v3-basic: full v3 plugin (open_v3/func_v3, per-client contexts, close/abort, min-version 3) with user/pass auth and a CLIENT_CONNECT_V2 config. */
#include "fixture.h"

#define NAME "v3-basic"

struct handle {
    struct openvpn_plugin_callbacks *cb;
    int next_id;
};

struct client {
    int id;
    int calls;
};

OPENVPN_EXPORT int openvpn_plugin_min_version_required_v1(void)
{
    return 3;
}

OPENVPN_EXPORT int openvpn_plugin_open_v3(const int structver, struct openvpn_plugin_args_open_in const *in,
                                          struct openvpn_plugin_args_open_return *out)
{
    if (structver < 5) return OPENVPN_PLUGIN_FUNC_ERROR;

    struct handle *h = calloc(1, sizeof *h);
    if (!h) return OPENVPN_PLUGIN_FUNC_ERROR;
    h->cb = in->callbacks;

    char args[1024] = "";
    size_t used = 0;
    for (int i = 1; in->argv[i] && used < sizeof args; i++)
        used += snprintf(args + used, sizeof args - used, "%s%s", i > 1 ? " " : "", in->argv[i]);

    h->cb->plugin_log(PLOG_NOTE, NAME, "open: argc=%d argv[1..]=%s ovpn_version=%s envc=%d argv[0]=%s",
                      fx_count((const char **)in->argv), args, in->ovpn_version,
                      fx_count((const char **)in->envp), in->argv[0]);

    out->type_mask = OPENVPN_PLUGIN_MASK(OPENVPN_PLUGIN_UP) | OPENVPN_PLUGIN_MASK(OPENVPN_PLUGIN_DOWN)
                     | OPENVPN_PLUGIN_MASK(OPENVPN_PLUGIN_TLS_VERIFY)
                     | OPENVPN_PLUGIN_MASK(OPENVPN_PLUGIN_AUTH_USER_PASS_VERIFY)
                     | OPENVPN_PLUGIN_MASK(OPENVPN_PLUGIN_TLS_FINAL)
                     | OPENVPN_PLUGIN_MASK(OPENVPN_PLUGIN_CLIENT_CONNECT_V2)
                     | OPENVPN_PLUGIN_MASK(OPENVPN_PLUGIN_LEARN_ADDRESS)
                     | OPENVPN_PLUGIN_MASK(OPENVPN_PLUGIN_CLIENT_DISCONNECT);
    out->handle = h;
    return OPENVPN_PLUGIN_FUNC_SUCCESS;
}

OPENVPN_EXPORT void *openvpn_plugin_client_constructor_v1(openvpn_plugin_handle_t handle)
{
    struct handle *h = handle;
    struct client *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->id = ++h->next_id;
    h->cb->plugin_log(PLOG_NOTE, NAME, "constructor: context #%d", c->id);
    return c;
}

OPENVPN_EXPORT void openvpn_plugin_client_destructor_v1(openvpn_plugin_handle_t handle, void *per_client_context)
{
    struct handle *h = handle;
    struct client *c = per_client_context;
    h->cb->plugin_log(PLOG_NOTE, NAME, "destructor: context #%d after %d calls", c->id, c->calls);
    free(c);
}

OPENVPN_EXPORT int openvpn_plugin_func_v3(const int structver, struct openvpn_plugin_args_func_in const *in,
                                          struct openvpn_plugin_args_func_return *out)
{
    (void)structver;
    struct handle *h = in->handle;
    struct client *c = in->per_client_context;
    if (c) c->calls++;

    h->cb->plugin_log(PLOG_NOTE, NAME, "hook %d context #%d argc=%d depth=%d", in->type, c ? c->id : 0,
                      fx_count((const char **)in->argv), in->current_cert_depth);

    const char **envp = (const char **)in->envp;
    switch (in->type) {
    case OPENVPN_PLUGIN_AUTH_USER_PASS_VERIFY: {
        const char *user = fx_getenv("username", envp), *pass = fx_getenv("password", envp);
        if (user && pass && !strcmp(user, "foo") && !strcmp(pass, "bar")) {
            h->cb->plugin_log(PLOG_NOTE, NAME, "auth succeeded for user '%s'", user);
            return OPENVPN_PLUGIN_FUNC_SUCCESS;
        }
        h->cb->plugin_log(PLOG_NOTE, NAME, "auth failed for user '%s'", user ? user : "(none)");
        return OPENVPN_PLUGIN_FUNC_ERROR;
    }
    case OPENVPN_PLUGIN_CLIENT_CONNECT_V2:
        if (out && out->return_list) {
            char config[512] = "push \"echo v3-basic\"\n";
            const char *cn = fx_getenv("common_name", envp);
            if (cn) {
                size_t len = strlen(config);
                snprintf(config + len, sizeof config - len, "push \"setenv-safe CN %s\"\n", cn);
            }
            *out->return_list = fx_node("config", config, NULL);
        }
        return OPENVPN_PLUGIN_FUNC_SUCCESS;
    default:
        return OPENVPN_PLUGIN_FUNC_SUCCESS;
    }
}

OPENVPN_EXPORT void openvpn_plugin_close_v1(openvpn_plugin_handle_t handle)
{
    struct handle *h = handle;
    h->cb->plugin_log(PLOG_NOTE, NAME, "close");
    free(h);
}

OPENVPN_EXPORT void openvpn_plugin_abort_v1(openvpn_plugin_handle_t handle)
{
    struct handle *h = handle;
    if (h) h->cb->plugin_log(PLOG_NOTE, NAME, "abort");
    else printf(NAME ": abort (no handle)\n");
}
