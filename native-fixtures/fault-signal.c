/* fault-signal: dies of a fatal signal (where=open|hook|close, how=segv|abort) to test crash isolation and the reported
 * call site. It logs "about to <how> in <where>" first; how=abort calls abort(), any other how is a NULL store
 * (SIGSEGV), so how=crash logs "about to crash in <where>". Registers CLIENT_CONNECT_V2; auth=1 also
 * AUTH_USER_PASS_VERIFY, tls=1 also TLS_VERIFY (with where=hook, every registered hook dies). */
#include "fixture.h"
#include <signal.h>

#define NAME "fault-signal"

struct handle {
    struct openvpn_plugin_callbacks *cb;
    char where[16];
    char how[16];
};

static void die(struct openvpn_plugin_callbacks *cb, const char *how, const char *where)
{
    cb->plugin_log(PLOG_NOTE, NAME, "about to %s in %s", how, where);
    if (!strcmp(how, "abort")) abort();
    volatile int *volatile p = NULL; /* both volatile: the store must really happen */
    *p = 42;
}

OPENVPN_EXPORT int openvpn_plugin_open_v3(const int structver, struct openvpn_plugin_args_open_in const *in,
                                          struct openvpn_plugin_args_open_return *out)
{
    (void)structver;
    const char *where = fx_arg(in->argv, "where", "hook"), *how = fx_arg(in->argv, "how", "segv");
    if (!strcmp(where, "open")) die(in->callbacks, how, where);
    struct handle *h = calloc(1, sizeof *h);
    if (!h) return OPENVPN_PLUGIN_FUNC_ERROR;
    h->cb = in->callbacks;
    snprintf(h->where, sizeof h->where, "%s", where);
    snprintf(h->how, sizeof h->how, "%s", how);
    out->type_mask = OPENVPN_PLUGIN_MASK(OPENVPN_PLUGIN_CLIENT_CONNECT_V2)
                     | (atoi(fx_arg(in->argv, "auth", "0")) ? OPENVPN_PLUGIN_MASK(OPENVPN_PLUGIN_AUTH_USER_PASS_VERIFY) : 0)
                     | (atoi(fx_arg(in->argv, "tls", "0")) ? OPENVPN_PLUGIN_MASK(OPENVPN_PLUGIN_TLS_VERIFY) : 0);
    out->handle = h;
    h->cb->plugin_log(PLOG_NOTE, NAME, "open: will %s in %s", h->how, h->where);
    return OPENVPN_PLUGIN_FUNC_SUCCESS;
}

OPENVPN_EXPORT int openvpn_plugin_func_v3(const int structver, struct openvpn_plugin_args_func_in const *in,
                                          struct openvpn_plugin_args_func_return *out)
{
    (void)structver;
    (void)out;
    struct handle *h = in->handle;
    if (!strcmp(h->where, "hook")) die(h->cb, h->how, h->where);
    return OPENVPN_PLUGIN_FUNC_SUCCESS;
}

OPENVPN_EXPORT void openvpn_plugin_close_v1(openvpn_plugin_handle_t handle)
{
    struct handle *h = handle;
    if (!strcmp(h->where, "close")) die(h->cb, h->how, h->where);
    free(h);
}
