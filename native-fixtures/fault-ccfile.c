/* fault-ccfile: tampers with the files OpenVPN created for the call (v1 CLIENT_CONNECT: ccr= and cc=; AUTH_USER_PASS_VERIFY:
 * acf=), then returns ret=success|deferred|error (default success). Actions:
 *   byte:X      write the single byte X (an unknown byte when X is not 0/1/2)
 *   delete      unlink the file
 *   symlink:T   replace the file by a symlink to T
 *   fifo        replace the file by a FIFO (opening it for reading would block)
 *   dir         replace the file by a directory */
#include "fixture.h"
#include <errno.h>
#include <sys/stat.h>

#define NAME "fault-ccfile"

struct handle {
    struct openvpn_plugin_callbacks *cb;
    char ccr[512], cc[512], acf[512];
    int ret;
};

static int tamper(struct handle *h, const char *what, const char *path, const char *action)
{
    int rc = 0;
    if (!*action) return 0;
    if (!path) {
        h->cb->plugin_log(PLOG_ERR, NAME, "%s: no file to tamper with", what);
        return -1;
    }
    if (!strncmp(action, "byte:", 5)) {
        int fd = open(path, O_WRONLY);
        rc = fd < 0 || write(fd, action + 5, 1) != 1 ? -1 : 0;
        if (fd >= 0) close(fd);
    } else if (!strcmp(action, "delete")) {
        rc = unlink(path);
    } else if (!strncmp(action, "symlink:", 8)) {
        rc = unlink(path) || symlink(action + 8, path) ? -1 : 0;
    } else if (!strcmp(action, "fifo")) {
        rc = unlink(path) || mkfifo(path, 0600) ? -1 : 0;
    } else if (!strcmp(action, "dir")) {
        rc = unlink(path) || mkdir(path, 0700) ? -1 : 0;
    } else {
        h->cb->plugin_log(PLOG_ERR, NAME, "%s: unknown action %s", what, action);
        return -1;
    }
    if (rc) h->cb->plugin_log(PLOG_ERR | PLOG_ERRNO, NAME, "%s: %s on %s failed", what, action, path);
    else h->cb->plugin_log(PLOG_NOTE, NAME, "%s: %s done", what, action);
    return rc;
}

OPENVPN_EXPORT int openvpn_plugin_open_v3(const int structver, struct openvpn_plugin_args_open_in const *in,
                                          struct openvpn_plugin_args_open_return *out)
{
    (void)structver;
    struct handle *h = calloc(1, sizeof *h);
    if (!h) return OPENVPN_PLUGIN_FUNC_ERROR;
    h->cb = in->callbacks;
    snprintf(h->ccr, sizeof h->ccr, "%s", fx_arg(in->argv, "ccr", ""));
    snprintf(h->cc, sizeof h->cc, "%s", fx_arg(in->argv, "cc", ""));
    snprintf(h->acf, sizeof h->acf, "%s", fx_arg(in->argv, "acf", ""));
    const char *r = fx_arg(in->argv, "ret", "success");
    h->ret = !strcmp(r, "deferred") ? OPENVPN_PLUGIN_FUNC_DEFERRED
             : !strcmp(r, "error")  ? OPENVPN_PLUGIN_FUNC_ERROR
                                    : OPENVPN_PLUGIN_FUNC_SUCCESS;
    /* AUTH_USER_PASS_VERIFY only when acf= is given, so a client without a password still reaches client-connect */
    out->type_mask = OPENVPN_PLUGIN_MASK(OPENVPN_PLUGIN_CLIENT_CONNECT)
                     | (h->acf[0] ? OPENVPN_PLUGIN_MASK(OPENVPN_PLUGIN_AUTH_USER_PASS_VERIFY) : 0);
    out->handle = h;
    return OPENVPN_PLUGIN_FUNC_SUCCESS;
}

OPENVPN_EXPORT int openvpn_plugin_func_v3(const int structver, struct openvpn_plugin_args_func_in const *in,
                                          struct openvpn_plugin_args_func_return *out)
{
    (void)structver;
    (void)out;
    struct handle *h = in->handle;
    if (in->type == OPENVPN_PLUGIN_CLIENT_CONNECT) {
        if (fx_write_file(fx_argv1(in->argv, NULL), "push \"echo fault-ccfile\"\n", 0))
            h->cb->plugin_log(PLOG_ERR | PLOG_ERRNO, NAME, "cannot write the config file");
        tamper(h, "ccr", fx_getenv("client_connect_deferred_file", in->envp), h->ccr);
        tamper(h, "cc", fx_argv1(in->argv, NULL), h->cc);
    } else if (in->type == OPENVPN_PLUGIN_AUTH_USER_PASS_VERIFY) {
        tamper(h, "acf", fx_getenv("auth_control_file", in->envp), h->acf);
    }
    return h->ret;
}

OPENVPN_EXPORT void openvpn_plugin_close_v1(openvpn_plugin_handle_t handle)
{
    free(handle);
}
