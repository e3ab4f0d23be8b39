/* learn-address: keeps an address -> common-name table from LEARN_ADDRESS add/update/delete and logs CLIENT_DISCONNECT statistics. */
#include "fixture.h"

#define NAME "learn-address"
#define MAX_ENTRIES 64
static plugin_log_t plog;

struct entry { char addr[128]; char cn[256]; };
struct handle { char *reject; int n; struct entry tab[MAX_ENTRIES]; };

static int find(struct handle *h, const char *addr)
{
    for (int i = 0; i < h->n; i++)
        if (!strcmp(h->tab[i].addr, addr)) return i;
    return -1;
}

OPENVPN_EXPORT int openvpn_plugin_open_v3(const int structver, struct openvpn_plugin_args_open_in const *in,
                                          struct openvpn_plugin_args_open_return *out)
{
    if (structver < 5) return OPENVPN_PLUGIN_FUNC_ERROR;
    plog = in->callbacks->plugin_log;
    struct handle *h = calloc(1, sizeof *h);
    const char *r = fx_arg(in->argv, "reject", NULL);
    h->reject = r ? strdup(r) : NULL;
    out->type_mask = OPENVPN_PLUGIN_MASK(OPENVPN_PLUGIN_LEARN_ADDRESS)
                   | OPENVPN_PLUGIN_MASK(OPENVPN_PLUGIN_CLIENT_DISCONNECT);
    out->handle = h;
    plog(PLOG_NOTE, NAME, "OPEN reject=%s", h->reject ? h->reject : "-");
    return OPENVPN_PLUGIN_FUNC_SUCCESS;
}

static int learn(struct handle *h, const char *argv[])
{
    int argc = fx_count(argv);
    const char *op = argc > 1 ? argv[1] : "", *addr = argc > 2 ? argv[2] : "", *cn = argc > 3 ? argv[3] : NULL;
    int i = find(h, addr);
    if (!strcmp(op, "add") || !strcmp(op, "update")) {
        if (!strcmp(op, "add") && h->reject && !strcmp(addr, h->reject)) {
            plog(PLOG_NOTE, NAME, "LEARN_ADDRESS learn %s %s %s rejected (table size %d)", op, addr, cn ? cn : "-", h->n);
            return OPENVPN_PLUGIN_FUNC_ERROR;
        }
        if (i < 0 && h->n == MAX_ENTRIES) {
            plog(PLOG_ERR, NAME, "LEARN_ADDRESS learn %s %s: table full", op, addr);
            return OPENVPN_PLUGIN_FUNC_ERROR;
        }
        if (i < 0) i = h->n++;
        snprintf(h->tab[i].addr, sizeof h->tab[i].addr, "%s", addr);
        snprintf(h->tab[i].cn, sizeof h->tab[i].cn, "%s", cn ? cn : "");
    } else if (!strcmp(op, "delete")) {
        if (i >= 0) h->tab[i] = h->tab[--h->n];
    } else {
        plog(PLOG_ERR, NAME, "LEARN_ADDRESS unknown op '%s' for %s", op, addr);
        return OPENVPN_PLUGIN_FUNC_ERROR;
    }
    plog(PLOG_NOTE, NAME, "LEARN_ADDRESS learn %s %s %s (table size %d)", op, addr, cn ? cn : "-", h->n);
    return OPENVPN_PLUGIN_FUNC_SUCCESS;
}

OPENVPN_EXPORT int openvpn_plugin_func_v3(const int structver, struct openvpn_plugin_args_func_in const *in,
                                          struct openvpn_plugin_args_func_return *out)
{
    (void)structver; (void)out;
    if (in->type == OPENVPN_PLUGIN_LEARN_ADDRESS) return learn(in->handle, in->argv);
    if (in->type == OPENVPN_PLUGIN_CLIENT_DISCONNECT) {
        const char *cn = fx_getenv("common_name", in->envp), *rx = fx_getenv("bytes_received", in->envp);
        const char *tx = fx_getenv("bytes_sent", in->envp), *dur = fx_getenv("time_duration", in->envp);
        plog(PLOG_NOTE, NAME, "CLIENT_DISCONNECT disconnect %s bytes_received=%s bytes_sent=%s time_duration=%s",
             cn ? cn : "-", rx ? rx : "-", tx ? tx : "-", dur ? dur : "-");
        return OPENVPN_PLUGIN_FUNC_SUCCESS;
    }
    return fx_unexpected(plog, NAME, in->type);
}

OPENVPN_EXPORT void openvpn_plugin_close_v1(openvpn_plugin_handle_t handle)
{
    struct handle *h = handle;
    plog(PLOG_NOTE, NAME, "CLOSE (table size %d)", h->n);
    free(h->reject);
    free(h);
}
