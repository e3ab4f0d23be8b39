/* fault-exitstall: open fails (returns ERROR) after registering an exit handler that logs "exit handler: stalling"
 * and sleeps 20 s, as a process whose exit stalls (seen with eurephia and koffi's own exit handler). A host that
 * waits for a graceful exit after a failed open waits for it. */
#include "fixture.h"

#define NAME "fault-exitstall"

static struct openvpn_plugin_callbacks *g_cb;

static void stall(void)
{
    g_cb->plugin_log(PLOG_NOTE, NAME, "exit handler: stalling");
    sleep(20);
}

OPENVPN_EXPORT int openvpn_plugin_open_v3(const int structver, struct openvpn_plugin_args_open_in const *in,
                                          struct openvpn_plugin_args_open_return *out)
{
    (void)structver;
    (void)out;
    g_cb = in->callbacks;
    atexit(stall);
    g_cb->plugin_log(PLOG_ERR, NAME, "open fails");
    return OPENVPN_PLUGIN_FUNC_ERROR;
}

OPENVPN_EXPORT int openvpn_plugin_func_v3(const int structver, struct openvpn_plugin_args_func_in const *in,
                                          struct openvpn_plugin_args_func_return *out)
{
    (void)structver;
    (void)in;
    (void)out;
    return OPENVPN_PLUGIN_FUNC_SUCCESS;
}

OPENVPN_EXPORT void openvpn_plugin_close_v1(openvpn_plugin_handle_t handle)
{
    (void)handle;
}
