/* parity-ctx-recorder: recorder.c plus, on every line, the per-client context the call got (#N in constructor order: #1 is
 * the server's generic context) and the VALUES of chosen env vars (tag=KEY[,KEY...]), so that the calls of several clients
 * on one server can be told apart. skip=HOOK[,HOOK...] removes hooks from the type mask (as parity-recorder). Always SUCCESS.
 * Lines: "<HOOK>\t<argc>\t<argv[1..]>\t<env keys>\t#<ctx>\t<KEY=value;...>" for OPEN (ctx empty) and hook calls,
 *        "CONSTRUCTOR\t\t\t\t#<ctx>\t" and "DESTRUCTOR\t\t\t\t#<ctx>\t", and a bare "CLOSE". */
#include "fixture.h"

#define NAME "parity-ctx-recorder"
static plugin_log_t plog;

#define MAX_TAGS 8
struct handle { char *out; int next_ctx; int ntags; char *tags[MAX_TAGS]; };
struct ctx { int id; };

/* A value as one field: tab, newline and ';' would break the line format. */
static void put_value(FILE *f, const char *v)
{
    for (; *v; v++) fputc(*v == '\t' || *v == '\n' || *v == ';' ? '_' : *v, f);
}

/* Append one line to h->out with a single write(). lists: argc/argv/env fields; ctx: -1 none, 0 NULL, else #id. */
static void record(struct handle *h, const char *tag, int lists, const char *argv[], const char *envp[], int ctx)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    fputs(tag, f);
    if (lists) {
        fx_put_lists(f, argv, envp);
    } else if (ctx >= 0) {
        fputs("\t\t\t", f);
    }
    if (lists || ctx >= 0) {
        fputc('\t', f);
        if (ctx > 0) fprintf(f, "#%d", ctx);
        else if (ctx == 0) fputc('-', f);
        fputc('\t', f);
        int first = 1;
        for (int t = 0; lists && t < h->ntags; t++) {
            const char *v = fx_getenv(h->tags[t], envp);
            if (!v) continue;
            fprintf(f, "%s%s=", first ? "" : ";", h->tags[t]);
            put_value(f, v);
            first = 0;
        }
    }
    fputc('\n', f);
    fclose(f);
    if (fx_append(h->out, buf, len)) plog(PLOG_ERR | PLOG_ERRNO, NAME, "cannot append to %s", h->out);
    free(buf);
}

OPENVPN_EXPORT int openvpn_plugin_open_v3(const int structver, struct openvpn_plugin_args_open_in const *in,
                                          struct openvpn_plugin_args_open_return *out)
{
    if (structver < 5) return OPENVPN_PLUGIN_FUNC_ERROR;
    plog = in->callbacks->plugin_log;
    struct handle *h = calloc(1, sizeof *h);
    unsigned int mask = 0xFFFF & ~OPENVPN_PLUGIN_MASK(11);   /* every hook 0..15 except the removed ENABLE_PF */
    for (int i = 1; in->argv && in->argv[i]; i++) {
        const char *a = in->argv[i];
        if (!strncmp(a, "out=", 4)) {
            free(h->out);
            h->out = strdup(a + 4);
        } else if (!strncmp(a, "tag=", 4) || !strncmp(a, "skip=", 5)) {
            int is_tag = a[0] == 't';
            char *list = strdup(a + (is_tag ? 4 : 5)), *save = NULL;
            for (char *name = strtok_r(list, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
                if (is_tag) {
                    if (h->ntags < MAX_TAGS) h->tags[h->ntags++] = strdup(name);
                    continue;
                }
                int t = fx_hook_type(name);
                if (t >= 0) mask &= ~OPENVPN_PLUGIN_MASK(t);
                else plog(PLOG_WARN, NAME, "skip: unknown hook name %s", name);
            }
            free(list);
        }
    }
    if (!h->out || !*h->out) {
        plog(PLOG_ERR, NAME, "OPEN failed: missing out=PATH argument");
        free(h->out);
        free(h);
        return OPENVPN_PLUGIN_FUNC_ERROR;
    }
    out->type_mask = mask;
    out->handle = h;
    record(h, "OPEN", 1, in->argv, in->envp, -1);
    plog(PLOG_NOTE, NAME, "OPEN recording to %s, type mask 0x%04x, %d tags", h->out, mask, h->ntags);
    return OPENVPN_PLUGIN_FUNC_SUCCESS;
}

OPENVPN_EXPORT void *openvpn_plugin_client_constructor_v1(openvpn_plugin_handle_t handle)
{
    struct handle *h = handle;
    struct ctx *c = calloc(1, sizeof *c);
    c->id = ++h->next_ctx;
    record(h, "CONSTRUCTOR", 0, NULL, NULL, c->id);
    plog(PLOG_NOTE, NAME, "CONSTRUCTOR #%d", c->id);
    return c;
}

OPENVPN_EXPORT void openvpn_plugin_client_destructor_v1(openvpn_plugin_handle_t handle, void *ctx)
{
    struct ctx *c = ctx;
    record(handle, "DESTRUCTOR", 0, NULL, NULL, c ? c->id : 0);
    plog(PLOG_NOTE, NAME, "DESTRUCTOR #%d", c ? c->id : 0);
    free(c);
}

OPENVPN_EXPORT int openvpn_plugin_func_v3(const int structver, struct openvpn_plugin_args_func_in const *in,
                                          struct openvpn_plugin_args_func_return *out)
{
    (void)structver; (void)out;
    struct handle *h = in->handle;
    struct ctx *c = in->per_client_context;
    const char *hook = fx_hook_name(in->type);
    record(h, hook, 1, in->argv, in->envp, c ? c->id : 0);
    plog(PLOG_NOTE, NAME, "%s recorded (#%d)", hook, c ? c->id : 0);
    return OPENVPN_PLUGIN_FUNC_SUCCESS;
}

OPENVPN_EXPORT void openvpn_plugin_close_v1(openvpn_plugin_handle_t handle)
{
    struct handle *h = handle;
    record(h, "CLOSE", 0, NULL, NULL, -1);
    plog(PLOG_NOTE, NAME, "CLOSE");
    for (int t = 0; t < h->ntags; t++) free(h->tags[t]);
    free(h->out);
    free(h);
}
