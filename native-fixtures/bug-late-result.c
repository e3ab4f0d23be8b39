/* bug-late-result: defers AUTH_USER_PASS_VERIFY to a thread that waits delay_ms (default 500; close wakes it early),
 * then looks up the client's account in its per-client context and writes the verdict into auth_control_file. The
 * client destructor frees that context without waiting for the thread. Fine while the thread answers first; when the
 * client ends before (someone else wrote the file, hand-window passed, the client went away) the thread reads the
 * freed context, whose account pointer the destructor cleared: a NULL dereference in answer(), during close at the
 * latest (close wakes and joins the waiting threads). Contexts come from the plugin's own slab and a freed slot is
 * never handed out again, so a later client's context never hides the bug: the crash is certain, not the allocator's
 * choice. */
#include "fixture.h"
#include <pthread.h>

#define NAME "bug-late-result"
#define MAX_THREADS 256
#define MAX_CLIENTS 4096
static plugin_log_t plog;

struct account { char user[64]; char pass[64]; int answers; };
struct client { char acf[1024]; struct account *account; };
/* the contexts: slot after slot, each used once */
static struct client slab[MAX_CLIENTS];
static int slots_used;

static int delay_ms = 500;
static char *good_user, *good_pass;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static int closing;
static pthread_t threads[MAX_THREADS];
static int nthreads;

OPENVPN_EXPORT int openvpn_plugin_open_v3(const int structver, struct openvpn_plugin_args_open_in const *in,
                                          struct openvpn_plugin_args_open_return *out)
{
    if (structver < 5) return OPENVPN_PLUGIN_FUNC_ERROR;
    plog = in->callbacks->plugin_log;
    const char *d = fx_arg(in->argv, "delay_ms", NULL);
    if (d) delay_ms = atoi(d);
    good_user = strdup(fx_arg(in->argv, "user", "foo"));
    good_pass = strdup(fx_arg(in->argv, "pass", "bar"));
    closing = 0;
    nthreads = 0;
    out->type_mask = OPENVPN_PLUGIN_MASK(OPENVPN_PLUGIN_AUTH_USER_PASS_VERIFY);
    out->handle = (openvpn_plugin_handle_t)NAME; /* any non-NULL handle */
    return OPENVPN_PLUGIN_FUNC_SUCCESS;
}

OPENVPN_EXPORT void *openvpn_plugin_client_constructor_v1(openvpn_plugin_handle_t handle)
{
    (void)handle;
    if (slots_used == MAX_CLIENTS) return NULL; /* no context: AUTH_USER_PASS_VERIFY then fails */
    struct client *c = &slab[slots_used++];
    c->account = calloc(1, sizeof *c->account);
    return c;
}

OPENVPN_EXPORT void openvpn_plugin_client_destructor_v1(openvpn_plugin_handle_t handle, void *ctx)
{
    (void)handle;
    struct client *c = ctx;
    free(c->account);
    c->account = NULL; /* the context is freed; the bug: a thread may still hold c */
}

/* The thread's answer: look up the account, write '1' or '0'. */
static __attribute__((noinline)) void answer(struct client *volatile c)
{
    struct account *a = c->account;
    a->answers++;
    int pass = !strcmp(a->user, good_user) && !strcmp(a->pass, good_pass);
    __asm__ volatile("" ::: "memory"); /* no tail call: this function stays on the stack */
    if (fx_write_file(c->acf, pass ? "1" : "0", 0)) plog(PLOG_ERR | PLOG_ERRNO, NAME, "cannot write auth_control_file");
}

static void *verdict_thread(void *arg)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += delay_ms / 1000;
    until.tv_nsec += (long)(delay_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) until.tv_sec++, until.tv_nsec -= 1000000000L;
    pthread_mutex_lock(&lock);
    while (!closing && pthread_cond_timedwait(&wake, &lock, &until) == 0) {}
    pthread_mutex_unlock(&lock);
    answer(arg);
    return NULL;
}

OPENVPN_EXPORT int openvpn_plugin_func_v3(const int structver, struct openvpn_plugin_args_func_in const *in,
                                          struct openvpn_plugin_args_func_return *out)
{
    (void)structver; (void)out;
    if (in->type != OPENVPN_PLUGIN_AUTH_USER_PASS_VERIFY) return fx_unexpected(plog, NAME, in->type);
    struct client *c = in->per_client_context;
    const char *acf = fx_getenv("auth_control_file", in->envp);
    const char *u = fx_getenv("username", in->envp), *p = fx_getenv("password", in->envp);
    if (!c || !acf) return OPENVPN_PLUGIN_FUNC_ERROR;
    snprintf(c->acf, sizeof c->acf, "%s", acf);
    snprintf(c->account->user, sizeof c->account->user, "%s", u ? u : "");
    snprintf(c->account->pass, sizeof c->account->pass, "%s", p ? p : "");
    pthread_mutex_lock(&lock);
    int ok = nthreads < MAX_THREADS && pthread_create(&threads[nthreads], NULL, verdict_thread, c) == 0;
    if (ok) nthreads++;
    pthread_mutex_unlock(&lock);
    if (!ok) {
        plog(PLOG_ERR, NAME, "AUTH_USER_PASS_VERIFY cannot start a thread");
        return OPENVPN_PLUGIN_FUNC_ERROR;
    }
    plog(PLOG_NOTE, NAME, "AUTH_USER_PASS_VERIFY deferred: a thread answers in %d ms", delay_ms);
    return OPENVPN_PLUGIN_FUNC_DEFERRED;
}

OPENVPN_EXPORT void openvpn_plugin_close_v1(openvpn_plugin_handle_t handle)
{
    (void)handle;
    pthread_mutex_lock(&lock);
    closing = 1;
    pthread_cond_broadcast(&wake);
    pthread_mutex_unlock(&lock);
    for (int i = 0; i < nthreads; i++) pthread_join(threads[i], NULL);
    nthreads = 0;
    free(good_user), free(good_pass);
}
