/* fault-bigreturn: CLIENT_CONNECT_V2 returns a huge return list: filler=N nodes named "filler" before the "config"
 * node, whose value has lines=L config lines ("push \"echo line <i>\""); cycle=1 points the last node back at the
 * first (a cyclic list: OpenVPN would never finish freeing it). */
#include "fixture.h"

#define NAME "fault-bigreturn"

struct handle {
    struct openvpn_plugin_callbacks *cb;
    int filler, lines, cycle;
};

OPENVPN_EXPORT int openvpn_plugin_open_v3(const int structver, struct openvpn_plugin_args_open_in const *in,
                                          struct openvpn_plugin_args_open_return *out)
{
    (void)structver;
    struct handle *h = calloc(1, sizeof *h);
    if (!h) return OPENVPN_PLUGIN_FUNC_ERROR;
    h->cb = in->callbacks;
    h->filler = atoi(fx_arg(in->argv, "filler", "0"));
    h->lines = atoi(fx_arg(in->argv, "lines", "1"));
    h->cycle = atoi(fx_arg(in->argv, "cycle", "0"));
    out->type_mask = OPENVPN_PLUGIN_MASK(OPENVPN_PLUGIN_CLIENT_CONNECT_V2);
    out->handle = h;
    return OPENVPN_PLUGIN_FUNC_SUCCESS;
}

/* LINES config lines, newline-terminated, in one malloc'd string. */
static char *config_text(int lines)
{
    size_t cap = (size_t)lines * 32 + 1, used = 0;
    char *text = malloc(cap);
    if (!text) return NULL;
    text[0] = '\0';
    for (int i = 1; i <= lines; i++) used += (size_t)snprintf(text + used, cap - used, "push \"echo line %d\"\n", i);
    return text;
}

OPENVPN_EXPORT int openvpn_plugin_func_v3(const int structver, struct openvpn_plugin_args_func_in const *in,
                                          struct openvpn_plugin_args_func_return *out)
{
    (void)structver;
    struct handle *h = in->handle;
    if (!out || !out->return_list) return OPENVPN_PLUGIN_FUNC_SUCCESS;
    struct openvpn_plugin_string_list *config = fx_node("config", NULL, NULL);
    config->value = config_text(h->lines);
    struct openvpn_plugin_string_list *head = config;
    for (int i = 0; i < h->filler; i++) head = fx_node("filler", "x", head);
    if (h->cycle) config->next = head;
    *out->return_list = head;
    h->cb->plugin_log(PLOG_NOTE, NAME, "returned %d filler nodes, then config with %d lines%s", h->filler, h->lines,
                      h->cycle ? ", the last node pointing back to the first" : "");
    return OPENVPN_PLUGIN_FUNC_SUCCESS;
}

OPENVPN_EXPORT void openvpn_plugin_close_v1(openvpn_plugin_handle_t handle)
{
    free(handle);
}
