/* fault-hang: never returns (where=open|hook|close); how=sleep (default) sleeps forever and logs "hanging in <where>",
 * how=spin busy-loops with every signal blocked and logs "hanging (spin) in <where>". Registers CLIENT_CONNECT_V2;
 * auth=1 also AUTH_USER_PASS_VERIFY (with where=hook, every registered hook hangs). */
#include "fixture.h"
#include <signal.h>

#define NAME "fault-hang"

struct handle {
    struct openvpn_plugin_callbacks *cb;
    char where[16];
    char how[16];
};

static void hang(struct openvpn_plugin_callbacks *cb, const char *how, const char *where)
{
    if (!strcmp(how, "spin")) {
        cb->plugin_log(PLOG_NOTE, NAME, "hanging (spin) in %s", where);
        sigset_t all;
        sigfillset(&all);
        sigprocmask(SIG_BLOCK, &all, NULL);
        for (volatile unsigned long i = 0;; i++) {}
    }
    cb->plugin_log(PLOG_NOTE, NAME, "hanging in %s", where);
    for (;;) sleep(1);
}

OPENVPN_EXPORT int openvpn_plugin_open_v3(const int structver, struct openvpn_plugin_args_open_in const *in,
                                          struct openvpn_plugin_args_open_return *out)
{
    (void)structver;
    const char *where = fx_arg(in->argv, "where", "hook"), *how = fx_arg(in->argv, "how", "sleep");
    if (!strcmp(where, "open")) hang(in->callbacks, how, where);
    struct handle *h = calloc(1, sizeof *h);
    if (!h) return OPENVPN_PLUGIN_FUNC_ERROR;
    h->cb = in->callbacks;
    snprintf(h->where, sizeof h->where, "%s", where);
    snprintf(h->how, sizeof h->how, "%s", how);
    out->type_mask = OPENVPN_PLUGIN_MASK(OPENVPN_PLUGIN_CLIENT_CONNECT_V2)
                     | (atoi(fx_arg(in->argv, "auth", "0")) ? OPENVPN_PLUGIN_MASK(OPENVPN_PLUGIN_AUTH_USER_PASS_VERIFY) : 0);
    out->handle = h;
    return OPENVPN_PLUGIN_FUNC_SUCCESS;
}

OPENVPN_EXPORT int openvpn_plugin_func_v3(const int structver, struct openvpn_plugin_args_func_in const *in,
                                          struct openvpn_plugin_args_func_return *out)
{
    (void)structver;
    (void)out;
    struct handle *h = in->handle;
    if (!strcmp(h->where, "hook")) hang(h->cb, h->how, h->where);
    return OPENVPN_PLUGIN_FUNC_SUCCESS;
}

OPENVPN_EXPORT void openvpn_plugin_close_v1(openvpn_plugin_handle_t handle)
{
    struct handle *h = handle;
    if (!strcmp(h->where, "close")) hang(h->cb, h->how, h->where);
    free(h);
}
