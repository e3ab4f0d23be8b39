/* bug-interleave: keeps "the client being authenticated" in one global from AUTH_USER_PASS_VERIFY (deferred: a thread
 * writes '1' into auth_control_file after delay_ms, default 20) to CLIENT_CONNECT_V2, which uses and frees it. Fine for
 * one client at a time; when two clients' auths overlap, the first CLIENT_CONNECT_V2 takes the second's state and the
 * second finds NULL: a crash. */
#include "fixture.h"
#include <pthread.h>

#define NAME "bug-interleave"
static plugin_log_t plog;
static int delay_ms = 20;

struct current { unsigned id; char user[128]; };
static unsigned next_id;
static struct current *current; /* the bug: one slot for all clients */

OPENVPN_EXPORT int openvpn_plugin_open_v3(const int structver, struct openvpn_plugin_args_open_in const *in,
                                          struct openvpn_plugin_args_open_return *out)
{
    if (structver < 5) return OPENVPN_PLUGIN_FUNC_ERROR;
    plog = in->callbacks->plugin_log;
    delay_ms = atoi(fx_arg(in->argv, "delay_ms", "20"));
    out->type_mask = OPENVPN_PLUGIN_MASK(OPENVPN_PLUGIN_AUTH_USER_PASS_VERIFY) | OPENVPN_PLUGIN_MASK(OPENVPN_PLUGIN_CLIENT_CONNECT_V2);
    out->handle = (openvpn_plugin_handle_t)NAME; /* any non-NULL handle */
    return OPENVPN_PLUGIN_FUNC_SUCCESS;
}

static void *decide(void *arg)
{
    char *acf = arg;
    fx_sleep_ms(delay_ms);
    fx_write_file(acf, "1", 0);
    free(acf);
    return NULL;
}

static __attribute__((noinline)) const char *take_current(void)
{
    static char user[160];
    snprintf(user, sizeof user, "#%u %s", current->id, current->user); /* crashes when another client took the slot */
    free(current);
    current = NULL;
    return user;
}

OPENVPN_EXPORT int openvpn_plugin_func_v3(const int structver, struct openvpn_plugin_args_func_in const *in,
                                          struct openvpn_plugin_args_func_return *out)
{
    (void)structver; (void)out;
    if (in->type == OPENVPN_PLUGIN_AUTH_USER_PASS_VERIFY) {
        const char *acf = fx_getenv("auth_control_file", in->envp), *user = fx_getenv("username", in->envp);
        if (!acf) return OPENVPN_PLUGIN_FUNC_ERROR;
        current = calloc(1, sizeof *current); /* leaks a previous client's slot */
        current->id = ++next_id;
        snprintf(current->user, sizeof current->user, "%s", user ? user : "");
        pthread_t t;
        if (pthread_create(&t, NULL, decide, strdup(acf))) return OPENVPN_PLUGIN_FUNC_ERROR;
        pthread_detach(t);
        return OPENVPN_PLUGIN_FUNC_DEFERRED;
    }
    if (in->type == OPENVPN_PLUGIN_CLIENT_CONNECT_V2) {
        plog(PLOG_NOTE, NAME, "connect %s", take_current());
        return OPENVPN_PLUGIN_FUNC_SUCCESS;
    }
    return fx_unexpected(plog, NAME, in->type);
}

OPENVPN_EXPORT void openvpn_plugin_close_v1(openvpn_plugin_handle_t handle)
{
    (void)handle;
}
