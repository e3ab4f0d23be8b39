/* fault-slowclose: close takes ms= milliseconds (default 3000): with helper=1 it waits that long for a helper child it
 * forks in close (the helper sleeps, then exits), else it sleeps itself. Logs "close: waiting N ms" and "close: done".
 * Registers CLIENT_CONNECT_V2. */
#include "fixture.h"

#define NAME "fault-slowclose"

struct handle {
    struct openvpn_plugin_callbacks *cb;
    int ms;
    int helper;
};

OPENVPN_EXPORT int openvpn_plugin_open_v3(const int structver, struct openvpn_plugin_args_open_in const *in,
                                          struct openvpn_plugin_args_open_return *out)
{
    (void)structver;
    struct handle *h = calloc(1, sizeof *h);
    if (!h) return OPENVPN_PLUGIN_FUNC_ERROR;
    h->cb = in->callbacks;
    h->ms = atoi(fx_arg(in->argv, "ms", "3000"));
    h->helper = atoi(fx_arg(in->argv, "helper", "0"));
    out->type_mask = OPENVPN_PLUGIN_MASK(OPENVPN_PLUGIN_CLIENT_CONNECT_V2);
    out->handle = h;
    return OPENVPN_PLUGIN_FUNC_SUCCESS;
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
    struct handle *h = handle;
    h->cb->plugin_log(PLOG_NOTE, NAME, "close: waiting %d ms%s", h->ms, h->helper ? " for a helper" : "");
    struct timespec ts = { h->ms / 1000, (long)(h->ms % 1000) * 1000000L };
    if (h->helper) {
        pid_t pid = fork();
        if (pid == 0) {
            nanosleep(&ts, NULL);
            _exit(0);
        }
        if (pid > 0) waitpid(pid, NULL, 0);
    } else {
        nanosleep(&ts, NULL);
    }
    h->cb->plugin_log(PLOG_NOTE, NAME, "close: done");
    free(h);
}
