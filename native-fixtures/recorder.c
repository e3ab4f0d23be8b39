/* recorder: appends one line per call (hook, argc, argv[1..], env keys in envp order) to out=PATH for differential tests; always SUCCESS. */
#include "fixture.h"

#define NAME "recorder"
static plugin_log_t plog;

struct handle { char *out; };

/* Append "<tag>[\t<argc>\t<argv[1..]>\t<env keys>]\n" to PATH with a single write(). */
static void record(const char *path, const char *tag, const char *argv[], const char *envp[], int with_lists)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    fputs(tag, f);
    if (with_lists) fx_put_lists(f, argv, envp);
    fputc('\n', f);
    fclose(f);
    if (fx_append(path, buf, len)) plog(PLOG_ERR | PLOG_ERRNO, NAME, "cannot append to %s", path);
    free(buf);
}

OPENVPN_EXPORT int openvpn_plugin_open_v3(const int structver, struct openvpn_plugin_args_open_in const *in,
                                          struct openvpn_plugin_args_open_return *out)
{
    if (structver < 5) return OPENVPN_PLUGIN_FUNC_ERROR;
    plog = in->callbacks->plugin_log;
    const char *path = NULL;
    for (int i = 1; in->argv && in->argv[i]; i++)
        if (!strncmp(in->argv[i], "out=", 4)) path = in->argv[i] + 4;
    if (!path || !*path) {
        plog(PLOG_ERR, NAME, "OPEN failed: missing out=PATH argument");
        return OPENVPN_PLUGIN_FUNC_ERROR;
    }
    struct handle *h = calloc(1, sizeof *h);
    h->out = strdup(path);
    out->type_mask = 0xFFFF & ~OPENVPN_PLUGIN_MASK(11);   /* every hook 0..15 except the removed ENABLE_PF */
    out->handle = h;
    record(h->out, "OPEN", in->argv, in->envp, 1);
    plog(PLOG_NOTE, NAME, "OPEN recording to %s", h->out);
    return OPENVPN_PLUGIN_FUNC_SUCCESS;
}

OPENVPN_EXPORT void *openvpn_plugin_client_constructor_v1(openvpn_plugin_handle_t handle)
{
    record(((struct handle *)handle)->out, "CONSTRUCTOR", NULL, NULL, 0);
    plog(PLOG_NOTE, NAME, "CONSTRUCTOR");
    return calloc(1, 1);
}

OPENVPN_EXPORT void openvpn_plugin_client_destructor_v1(openvpn_plugin_handle_t handle, void *ctx)
{
    record(((struct handle *)handle)->out, "DESTRUCTOR", NULL, NULL, 0);
    plog(PLOG_NOTE, NAME, "DESTRUCTOR");
    free(ctx);
}

OPENVPN_EXPORT int openvpn_plugin_func_v3(const int structver, struct openvpn_plugin_args_func_in const *in,
                                          struct openvpn_plugin_args_func_return *out)
{
    (void)structver; (void)out;
    struct handle *h = in->handle;
    const char *hook = fx_hook_name(in->type);
    record(h->out, hook, in->argv, in->envp, 1);
    plog(PLOG_NOTE, NAME, "%s recorded", hook);
    return OPENVPN_PLUGIN_FUNC_SUCCESS;
}

OPENVPN_EXPORT void openvpn_plugin_close_v1(openvpn_plugin_handle_t handle)
{
    struct handle *h = handle;
    record(h->out, "CLOSE", NULL, NULL, 0);
    plog(PLOG_NOTE, NAME, "CLOSE");
    free(h->out);
    free(h);
}
