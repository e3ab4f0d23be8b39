/* auth-defer: deferred AUTH_USER_PASS_VERIFY like OpenVPN's multi-auth.c: a double-forked grandchild checks user/pass (user=* takes any username) after delay_ms and writes '1'/'0' into auth_control_file. Per client: env AUTH_DELAY_MS overrides delay_ms; AUTH_BLOCK_MS sleeps inside the call first. */
#include "fixture.h"

#define NAME "auth-defer"
static plugin_log_t plog;

struct handle { int delay_ms; char *user, *pass, *reason; int pending; };

OPENVPN_EXPORT int openvpn_plugin_open_v3(const int structver, struct openvpn_plugin_args_open_in const *in,
                                          struct openvpn_plugin_args_open_return *out)
{
    if (structver < 5) return OPENVPN_PLUGIN_FUNC_ERROR;
    plog = in->callbacks->plugin_log;
    struct handle *h = calloc(1, sizeof *h);
    const char *d = fx_arg(in->argv, "delay_ms", NULL), *u = fx_arg(in->argv, "user", NULL);
    const char *p = fx_arg(in->argv, "pass", NULL), *pe = fx_arg(in->argv, "pending", NULL);
    const char *r = fx_arg(in->argv, "reason", NULL);
    h->delay_ms = d ? atoi(d) : 300;
    h->user = strdup(u ? u : "foo");
    h->pass = strdup(p ? p : "bar");
    h->pending = pe && !strcmp(pe, "1");
    h->reason = r ? strdup(r) : NULL;
    out->type_mask = OPENVPN_PLUGIN_MASK(OPENVPN_PLUGIN_AUTH_USER_PASS_VERIFY);
    out->handle = h;
    plog(PLOG_NOTE, NAME, "OPEN delay_ms=%d user=%s pending=%d reason=%s", h->delay_ms, h->user, h->pending,
         h->reason ? h->reason : "-");
    return OPENVPN_PLUGIN_FUNC_SUCCESS;
}

OPENVPN_EXPORT int openvpn_plugin_func_v3(const int structver, struct openvpn_plugin_args_func_in const *in,
                                          struct openvpn_plugin_args_func_return *out)
{
    (void)structver; (void)out;
    struct handle *h = in->handle;
    if (in->type != OPENVPN_PLUGIN_AUTH_USER_PASS_VERIFY) return fx_unexpected(plog, NAME, in->type);
    const char *acf = fx_getenv("auth_control_file", in->envp);
    if (!acf) {
        plog(PLOG_ERR, NAME, "AUTH_USER_PASS_VERIFY missing auth_control_file");
        return OPENVPN_PLUGIN_FUNC_ERROR;
    }
    if (h->pending) {
        const char *apf = fx_getenv("auth_pending_file", in->envp);
        if (fx_write_file(apf, "60\nwebauth\nOPEN_URL:https://example.invalid/login\n", 0)) {
            plog(PLOG_ERR | PLOG_ERRNO, NAME, "AUTH_USER_PASS_VERIFY cannot write auth_pending_file %s",
                 apf ? apf : "(unset)");
            return OPENVPN_PLUGIN_FUNC_ERROR;
        }
    }
    /* copy what the grandchild needs before forking (the host owns envp) */
    const char *u = fx_getenv("username", in->envp), *p = fx_getenv("password", in->envp);
    const char *afr = fx_getenv("auth_failed_reason_file", in->envp);
    char *user = strdup(u ? u : ""), *password = strdup(p ? p : "");
    char *acf_copy = strdup(acf), *afr_copy = afr ? strdup(afr) : NULL;
    /* a client may ask for its own delay through its env (AUTH_DELAY_MS), and for a blocking call (AUTH_BLOCK_MS) */
    const char *cd = fx_getenv("AUTH_DELAY_MS", in->envp), *cb = fx_getenv("AUTH_BLOCK_MS", in->envp);
    int delay_ms = cd ? atoi(cd) : h->delay_ms;
    if (cb) usleep((useconds_t)atoi(cb) * 1000);
    plog(PLOG_NOTE, NAME, "AUTH_USER_PASS_VERIFY user=%s deferring %d ms%s", user, delay_ms,
         h->pending ? " (auth_pending_file written)" : "");

    switch (fx_double_fork()) {
    case -1:
        plog(PLOG_ERR | PLOG_ERRNO, NAME, "AUTH_USER_PASS_VERIFY fork failed");
        memset(password, 0, strlen(password));
        free(user), free(password), free(acf_copy), free(afr_copy);
        return OPENVPN_PLUGIN_FUNC_ERROR;
    case 0:
        memset(password, 0, strlen(password));
        free(user), free(password), free(acf_copy), free(afr_copy);
        return OPENVPN_PLUGIN_FUNC_DEFERRED;
    }
    /* grandchild: never return into the host */
    fx_sleep_ms(delay_ms);
    int pass = u && p && (!strcmp(h->user, "*") || !strcmp(user, h->user)) && !strcmp(password, h->pass);
    if (!pass && h->reason && fx_write_file(afr_copy, h->reason, 0))
        plog(PLOG_ERR | PLOG_ERRNO, NAME, "grandchild cannot write auth_failed_reason_file %s",
             afr_copy ? afr_copy : "(unset)");
    int fd = open(acf_copy, O_WRONLY);
    if (fd < 0) {
        plog(PLOG_ERR | PLOG_ERRNO, NAME, "grandchild cannot open auth_control_file %s", acf_copy);
        exit(1);
    }
    if (write(fd, pass ? "1" : "0", 1) != 1)
        plog(PLOG_ERR | PLOG_ERRNO, NAME, "grandchild cannot write auth_control_file %s", acf_copy);
    close(fd);
    plog(PLOG_NOTE, NAME, "auth result %s for %s", pass ? "PASS" : "FAIL", user);
    exit(0);
}

OPENVPN_EXPORT void openvpn_plugin_close_v1(openvpn_plugin_handle_t handle)
{
    struct handle *h = handle;
    plog(PLOG_NOTE, NAME, "CLOSE");
    free(h->user), free(h->pass), free(h->reason), free(h);
}
