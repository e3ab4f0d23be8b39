/* bug-reopen: initialises its realm once ("initialised" flag) in open, frees it in close but leaves the flag set. Fine
 * for one open; after a SIGHUP (close, then open again in the same process, as OpenVPN does) CLIENT_CONNECT_V2 takes
 * the length of a NULL realm: a crash in libc's strlen, called from realm_length(). */
#include "fixture.h"

#define NAME "bug-reopen"
static plugin_log_t plog;
static int initialised;
static char *realm;

OPENVPN_EXPORT int openvpn_plugin_open_v3(const int structver, struct openvpn_plugin_args_open_in const *in,
                                          struct openvpn_plugin_args_open_return *out)
{
    if (structver < 5) return OPENVPN_PLUGIN_FUNC_ERROR;
    plog = in->callbacks->plugin_log;
    if (!initialised) { /* the bug: once per process, not once per open */
        realm = strdup(fx_arg(in->argv, "realm", "example"));
        initialised = 1;
    }
    out->type_mask = OPENVPN_PLUGIN_MASK(OPENVPN_PLUGIN_CLIENT_CONNECT_V2);
    out->handle = (openvpn_plugin_handle_t)NAME; /* any non-NULL handle */
    return OPENVPN_PLUGIN_FUNC_SUCCESS;
}

static __attribute__((noinline)) size_t realm_length(const char *volatile r)
{
    size_t n = strlen(r);
    __asm__ volatile("" ::: "memory"); /* no tail call: this function stays on the stack */
    return n;
}

OPENVPN_EXPORT int openvpn_plugin_func_v3(const int structver, struct openvpn_plugin_args_func_in const *in,
                                          struct openvpn_plugin_args_func_return *out)
{
    (void)structver; (void)out;
    if (in->type != OPENVPN_PLUGIN_CLIENT_CONNECT_V2) return fx_unexpected(plog, NAME, in->type);
    plog(PLOG_NOTE, NAME, "realm of %zu bytes", realm_length(realm));
    return OPENVPN_PLUGIN_FUNC_SUCCESS;
}

OPENVPN_EXPORT void openvpn_plugin_close_v1(openvpn_plugin_handle_t handle)
{
    (void)handle;
    free(realm);
    realm = NULL;
}
