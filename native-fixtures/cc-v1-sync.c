/* cc-v1-sync: synchronous v1 CLIENT_CONNECT writing a chosen first byte into the ccr file and returning a chosen code (OpenVPN's status x byte table). */
#include "fixture.h"

#define NAME "cc-v1-sync"
static plugin_log_t plog;

struct handle {
    char byte;          /* 0 = write nothing */
    char byte_name[16];
    int ret;
    char ret_name[16];
};

OPENVPN_EXPORT int openvpn_plugin_open_v3(const int structver, struct openvpn_plugin_args_open_in const *in,
                                          struct openvpn_plugin_args_open_return *out)
{
    if (structver < 5) return OPENVPN_PLUGIN_FUNC_ERROR;
    plog = in->callbacks->plugin_log;
    struct handle *h = calloc(1, sizeof *h);
    const char *b = fx_arg(in->argv, "byte", NULL), *r = fx_arg(in->argv, "return", NULL);
    snprintf(h->byte_name, sizeof h->byte_name, "%s", b ? b : "none");
    snprintf(h->ret_name, sizeof h->ret_name, "%s", r ? r : "success");
    h->byte = !strcmp(h->byte_name, "none") ? 0 : !strcmp(h->byte_name, "newline") ? '\n' : h->byte_name[0];
    h->ret = !strcmp(h->ret_name, "error") ? OPENVPN_PLUGIN_FUNC_ERROR
           : !strcmp(h->ret_name, "deferred") ? OPENVPN_PLUGIN_FUNC_DEFERRED : OPENVPN_PLUGIN_FUNC_SUCCESS;
    out->type_mask = OPENVPN_PLUGIN_MASK(OPENVPN_PLUGIN_CLIENT_CONNECT);
    out->handle = h;
    plog(PLOG_NOTE, NAME, "OPEN byte=%s return=%s", h->byte_name, h->ret_name);
    return OPENVPN_PLUGIN_FUNC_SUCCESS;
}

OPENVPN_EXPORT int openvpn_plugin_func_v3(const int structver, struct openvpn_plugin_args_func_in const *in,
                                          struct openvpn_plugin_args_func_return *out)
{
    (void)structver; (void)out;
    struct handle *h = in->handle;
    if (in->type != OPENVPN_PLUGIN_CLIENT_CONNECT) return fx_unexpected(plog, NAME, in->type);
    const char *cfg = fx_argv1(in->argv, NULL);
    if (fx_write_file(cfg, "push \"echo cc-v1-sync\"\n", 0))
        plog(PLOG_ERR | PLOG_ERRNO, NAME, "CLIENT_CONNECT cannot write config file %s", cfg ? cfg : "(no argv[1])");
    if (h->byte) {
        const char *ccr = fx_getenv("client_connect_deferred_file", in->envp);
        char text[2] = { h->byte, 0 };
        if (fx_write_file(ccr, text, 0)) {
            plog(PLOG_ERR | PLOG_ERRNO, NAME, "CLIENT_CONNECT cannot write byte to client_connect_deferred_file %s",
                 ccr ? ccr : "(unset)");
            return OPENVPN_PLUGIN_FUNC_ERROR;
        }
    }
    plog(PLOG_NOTE, NAME, "CLIENT_CONNECT wrote byte %s, returning %s", h->byte_name, h->ret_name);
    return h->ret;
}

OPENVPN_EXPORT void openvpn_plugin_close_v1(openvpn_plugin_handle_t handle)
{
    plog(PLOG_NOTE, NAME, "CLOSE");
    free(handle);
}
