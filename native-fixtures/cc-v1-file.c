/* cc-v1-file: v1 CLIENT_CONNECT deferred via the ccr file only (like sample-client-connect): writes '2', a double-forked grandchild writes the config then the final byte. */
#include "fixture.h"

#define NAME "cc-v1-file"
static plugin_log_t plog;

struct handle {
    int delay_ms;
    char byte;       /* byte the grandchild writes at the end; 0 = none */
    int ret;         /* what CLIENT_CONNECT returns after writing '2' */
    int early;       /* 1 = do not write '2' before returning (the "late writer" pitfall) */
};

OPENVPN_EXPORT int openvpn_plugin_open_v3(const int structver, struct openvpn_plugin_args_open_in const *in,
                                          struct openvpn_plugin_args_open_return *out)
{
    if (structver < 5) return OPENVPN_PLUGIN_FUNC_ERROR;
    plog = in->callbacks->plugin_log;
    struct handle *h = calloc(1, sizeof *h);
    const char *d = fx_arg(in->argv, "delay_ms", NULL), *b = fx_arg(in->argv, "byte", NULL);
    const char *r = fx_arg(in->argv, "return", NULL), *e = fx_arg(in->argv, "early", NULL);
    h->delay_ms = d ? atoi(d) : 200;
    h->byte = !b ? '1' : !strcmp(b, "none") ? 0 : b[0];
    h->ret = r && !strcmp(r, "success") ? OPENVPN_PLUGIN_FUNC_SUCCESS : OPENVPN_PLUGIN_FUNC_DEFERRED;
    h->early = e && !strcmp(e, "1");
    out->type_mask = OPENVPN_PLUGIN_MASK(OPENVPN_PLUGIN_CLIENT_CONNECT);
    out->handle = h;
    plog(PLOG_NOTE, NAME, "OPEN delay_ms=%d byte=%c return=%s early=%d", h->delay_ms, h->byte ? h->byte : '-',
         h->ret == OPENVPN_PLUGIN_FUNC_SUCCESS ? "success" : "deferred", h->early);
    return OPENVPN_PLUGIN_FUNC_SUCCESS;
}

OPENVPN_EXPORT int openvpn_plugin_func_v3(const int structver, struct openvpn_plugin_args_func_in const *in,
                                          struct openvpn_plugin_args_func_return *out)
{
    (void)structver; (void)out;
    struct handle *h = in->handle;
    if (in->type != OPENVPN_PLUGIN_CLIENT_CONNECT) return fx_unexpected(plog, NAME, in->type);
    const char *ccr = fx_getenv("client_connect_deferred_file", in->envp);
    const char *cfg = fx_argv1(in->argv, NULL);
    if (!ccr || !cfg) {
        plog(PLOG_ERR, NAME, "CLIENT_CONNECT missing %s", !ccr ? "client_connect_deferred_file" : "config file argv[1]");
        return OPENVPN_PLUGIN_FUNC_ERROR;
    }
    if (!h->early && fx_put_byte(ccr, '2')) {
        plog(PLOG_ERR | PLOG_ERRNO, NAME, "CLIENT_CONNECT cannot write '2' to %s", ccr);
        return OPENVPN_PLUGIN_FUNC_ERROR;
    }
    plog(PLOG_NOTE, NAME, "CLIENT_CONNECT %s, grandchild finishes in %d ms", h->early ? "did not write '2'" : "wrote '2'",
         h->delay_ms);

    switch (fx_double_fork()) {
    case -1:
        plog(PLOG_ERR | PLOG_ERRNO, NAME, "CLIENT_CONNECT fork failed");
        return OPENVPN_PLUGIN_FUNC_ERROR;
    case 0:
        return h->ret;
    }
    /* grandchild: never return into the host */
    fx_sleep_ms(h->delay_ms);
    if (fx_write_file(cfg, "push \"echo cc-v1-file\"\nifconfig-push 10.8.0.7 255.255.255.0\n", 0))
        plog(PLOG_ERR | PLOG_ERRNO, NAME, "grandchild cannot write config file %s", cfg);
    if (!h->byte)
        plog(PLOG_NOTE, NAME, "grandchild wrote nothing");
    else if (fx_put_byte(ccr, h->byte))
        plog(PLOG_ERR | PLOG_ERRNO, NAME, "grandchild cannot write '%c' to %s", h->byte, ccr);
    else
        plog(PLOG_NOTE, NAME, "grandchild wrote '%c'", h->byte);
    exit(0);
}

OPENVPN_EXPORT void openvpn_plugin_close_v1(openvpn_plugin_handle_t handle)
{
    plog(PLOG_NOTE, NAME, "CLOSE");
    free(handle);
}
