/* c-host.c — the C baseline for bench/: a minimal OpenVPN-2.6-like plugin host with no JavaScript.
 *
 * It loads a plugin with dlopen, resolves open (v3, v2, v1) and func (v3, v2, v1) each on its own as OpenVPN
 * does, opens it with the given open-time envp, and then does, per hook call, the work OpenVPN's
 * plugin_call_ssl/plugin_call_item do:
 *   - build the envp array from the env list (make_env_array: a fresh pointer array over the env strings;
 *     with --env-copy every string is copied too, as a host whose env does not live in C memory must do),
 *   - build argv = [plugin path, hook args...] with a copy of each string (argv_insert_head),
 *   - call func, read the return list (each name and value copied out), free it as OpenVPN does
 *     (name freed, value zeroed then freed, node freed: libc free).
 * plugin_log/plugin_vlog format with vsnprintf and write one line per call to --log (default /dev/null), as
 * our runtime writes to its log pipe.
 *
 * Modes (first argument):
 *   call        run --iterations hook calls (after --warmup ones) in one client context; prints JSON with ns_per_call
 *   open-close  dlopen + resolve + open + close once; prints JSON with the wall time (cold-start baseline)
 *   v1-file     client-connect v1 file method, --samples times: CLIENT_CONNECT, then wait for the deferred file's
 *               first byte with inotify (and a --poll-interval timer), and print when the outcome was known
 *               (CLOCK_MONOTONIC ns) for each sample
 *   v2-defer    CLIENT_CONNECT_V2, then CLIENT_CONNECT_DEFER_V2 every --poll-interval ms until not DEFERRED; prints
 *               when the outcome was known for each sample
 *   life        --iterations clients, each: constructor, the hook calls of --life FILE in order (TLS_VERIFY with a real
 *               X509 parsed from DER per call, as current_cert), destructor; prints JSON with ns_per_life
 *   v2-many     --clients clients, each constructed and deferred by CLIENT_CONNECT_V2, then every pending client re-checked
 *               with CLIENT_CONNECT_DEFER_V2 every --poll-interval ms for --window-ms; prints RSS and CPU of the wait
 *
 * Life file: per hook call a line "H <type> <cert depth> <client|server> <argc> <envc> <cert DER hex or ->", then
 * argc argv lines and envc env lines.
 *
 * Build: gcc -O2 -I/usr/include/openvpn -o build/bench/c-host native-fixtures/c-host.c -ldl -lcrypto
 */
#define _GNU_SOURCE
#include <openvpn-plugin.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <openssl/x509.h>

typedef void *(*open_v1_fn)(unsigned int *, const char **, const char **);
typedef void *(*open_v2_fn)(unsigned int *, const char **, const char **, struct openvpn_plugin_string_list **);
typedef int (*open_v3_fn)(const int, struct openvpn_plugin_args_open_in const *, struct openvpn_plugin_args_open_return *);
typedef int (*func_v1_fn)(void *, const int, const char **, const char **);
typedef int (*func_v2_fn)(void *, const int, const char **, const char **, void *, struct openvpn_plugin_string_list **);
typedef int (*func_v3_fn)(const int, struct openvpn_plugin_args_func_in const *, struct openvpn_plugin_args_func_return *);
typedef void (*close_fn)(void *);
typedef void *(*ctor_fn)(void *);
typedef void (*dtor_fn)(void *, void *);

static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("c-host: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(2);
}

static int64_t clock_ns(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int64_t now_ns(void) { return clock_ns(CLOCK_MONOTONIC); }

/* CPU time of the whole process (all threads), as Node's process.cpuUsage() reports it. */
static int64_t cpu_ns(void) { return clock_ns(CLOCK_PROCESS_CPUTIME_ID); }

/* ---- callbacks ------------------------------------------------------------------------------- */

static int log_fd = -1;

static void cb_vlog(openvpn_plugin_log_flags_t flags, const char *name, const char *format, va_list ap)
{
    if (!format || !name || !*name) return;
    char msg[10240], line[10400];
    int n = vsnprintf(msg, sizeof msg, format, ap);
    if (n < 0) msg[0] = 0;
    int len = snprintf(line, sizeof line, "L\t%d\t%d\t%s\t%s\n", (int)flags, (int)getpid(), name, msg);
    if (len > (int)sizeof line - 1) len = (int)sizeof line - 1;
    if (log_fd >= 0 && write(log_fd, line, (size_t)len) < 0) { /* ignored, as a log write error is */ }
}

static void cb_log(openvpn_plugin_log_flags_t flags, const char *name, const char *format, ...)
{
    va_list ap;
    va_start(ap, format);
    cb_vlog(flags, name, format, ap);
    va_end(ap);
}

static void cb_memzero(void *data, size_t len)
{
    if (data && len) explicit_bzero(data, len);
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int cb_b64_encode(const void *data, int size, char **str)
{
    const unsigned char *in = data;
    if (size < 0 || !str) return -1;
    char *out = malloc((size_t)size * 4 / 3 + 4), *p = out;
    if (!out) return -1;
    for (int i = 0; i < size; i += 3) {
        unsigned v = (unsigned)in[i] << 16 | (i + 1 < size ? (unsigned)in[i + 1] << 8 : 0) | (i + 2 < size ? in[i + 2] : 0);
        *p++ = b64[v >> 18 & 63];
        *p++ = b64[v >> 12 & 63];
        *p++ = i + 1 < size ? b64[v >> 6 & 63] : '=';
        *p++ = i + 2 < size ? b64[v & 63] : '=';
    }
    *p = 0;
    *str = out;
    return (int)(p - out);
}

static int cb_b64_decode(const char *str, void *data, int size)
{
    unsigned char *q = data;
    int bits = 0;
    unsigned acc = 0;
    for (; str && *str && *str != '='; str++) {
        const char *c = strchr(b64, *str);
        if (!c) break;
        acc = acc << 6 | (unsigned)(c - b64);
        if ((bits += 6) >= 8) {
            bits -= 8;
            if (size >= 0 && q - (unsigned char *)data >= size) return -1;
            *q++ = (unsigned char)(acc >> bits);
        }
    }
    return (int)(q - (unsigned char *)data);
}

static struct openvpn_plugin_callbacks callbacks = { cb_log, cb_vlog, cb_memzero, cb_b64_encode, cb_b64_decode };

/* ---- env list and string arrays, OpenVPN style ----------------------------------------------- */

struct env_item { char *string; struct env_item *next; };

/* Read K=V lines from PATH ('-' = stdin) into a list, in file order (the file is already newest first). */
static struct env_item *env_read(const char *path)
{
    FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
    if (!f) die("%s: %s", path, strerror(errno));
    struct env_item *head = NULL, **tail = &head;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, f)) >= 0) {
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = 0;
        if (!n) continue;
        struct env_item *e = calloc(1, sizeof *e);
        e->string = strdup(line);
        *tail = e;
        tail = &e->next;
    }
    free(line);
    if (f != stdin) fclose(f);
    return head;
}

/* Put NAME=VALUE first (replacing an existing NAME), as env_set_add does. */
static struct env_item *env_set(struct env_item *head, const char *name, const char *value)
{
    size_t n = strlen(name);
    for (struct env_item **p = &head; *p; p = &(*p)->next) {
        if (!strncmp((*p)->string, name, n) && (*p)->string[n] == '=') {
            struct env_item *e = *p;
            *p = e->next;
            free(e->string);
            free(e);
            break;
        }
    }
    struct env_item *e = calloc(1, sizeof *e);
    if (asprintf(&e->string, "%s=%s", name, value) < 0) die("out of memory");
    e->next = head;
    return e;
}

static int env_copy_strings; /* --env-copy */

/* make_env_array: a NULL-terminated array over the list's strings (copied with --env-copy, in one block). */
static const char **env_array(const struct env_item *env)
{
    int n = 0;
    size_t bytes = 0;
    for (const struct env_item *e = env; e; e = e->next) {
        n++;
        if (env_copy_strings) bytes += strlen(e->string) + 1;
    }
    const char **v = malloc(sizeof(char *) * (size_t)(n + 1) + bytes);
    char *block = (char *)(v + n + 1);
    int i = 0;
    for (const struct env_item *e = env; e; e = e->next) {
        if (env_copy_strings) {
            size_t len = strlen(e->string) + 1;
            memcpy(block, e->string, len);
            v[i++] = block;
            block += len;
        } else {
            v[i++] = e->string;
        }
    }
    v[i] = NULL;
    return v;
}

/* argv_insert_head: [head, args...], each string copied. */
static char **argv_new(const char *head, char *const *args, int nargs)
{
    char **v = calloc((size_t)nargs + 2, sizeof *v);
    v[0] = strdup(head);
    for (int i = 0; i < nargs; i++) v[i + 1] = strdup(args[i]);
    return v;
}

static void argv_free(char **v)
{
    for (int i = 0; v && v[i]; i++) free(v[i]);
    free(v);
}

/* Read the list (copy out every name and value, as a host that keeps them must) and free it as OpenVPN does. */
static size_t list_consume(struct openvpn_plugin_string_list *l)
{
    static char sink[65536];
    size_t total = 0;
    while (l) {
        struct openvpn_plugin_string_list *next = l->next;
        if (l->name) {
            size_t n = strlen(l->name);
            if (n < sizeof sink) memcpy(sink, l->name, n + 1);
            total += n;
            free(l->name);
        }
        if (l->value) {
            size_t n = strlen(l->value);
            if (n < sizeof sink) memcpy(sink, l->value, n + 1);
            total += n;
            explicit_bzero(l->value, n);
            free(l->value);
        }
        free(l);
        l = next;
    }
    return total;
}

/* ---- the plugin ------------------------------------------------------------------------------- */

struct plugin {
    const char *path;
    void *lib;
    open_v1_fn open1; open_v2_fn open2; open_v3_fn open3;
    func_v1_fn func1; func_v2_fn func2; func_v3_fn func3;
    close_fn close;
    ctor_fn ctor;
    dtor_fn dtor;
    void *handle;
    unsigned mask;
    int open_version, func_version;
};

static void plugin_load(struct plugin *p, const char *path)
{
    p->path = path;
    p->lib = dlopen(path, RTLD_NOW);
    if (!p->lib) die("dlopen: %s", dlerror());
#define SYM(field, name) (*(void **)&p->field = dlsym(p->lib, name))
    SYM(open3, "openvpn_plugin_open_v3");
    SYM(open2, "openvpn_plugin_open_v2");
    SYM(open1, "openvpn_plugin_open_v1");
    SYM(func3, "openvpn_plugin_func_v3");
    SYM(func2, "openvpn_plugin_func_v2");
    SYM(func1, "openvpn_plugin_func_v1");
    SYM(close, "openvpn_plugin_close_v1");
    SYM(ctor, "openvpn_plugin_client_constructor_v1");
    SYM(dtor, "openvpn_plugin_client_destructor_v1");
#undef SYM
    p->open_version = p->open3 ? 3 : p->open2 ? 2 : p->open1 ? 1 : 0;
    p->func_version = p->func3 ? 3 : p->func2 ? 2 : p->func1 ? 1 : 0;
    if (!p->open_version || !p->func_version || !p->close) die("%s: missing open, func or close entry point", path);
}

/* Open with argv = [path, args...]; argv/envp/version strings stay allocated for the plugin's lifetime. */
static void plugin_open(struct plugin *p, char *const *args, int nargs, const struct env_item *open_env)
{
    char **argv = argv_new(p->path, args, nargs);
    const char **envp = env_array(open_env);
    p->mask = 0xffff;
    if (p->open_version == 3) {
        static const char *version = "2.6.14";
        struct openvpn_plugin_args_open_in in = {
            .type_mask = (int)p->mask, .argv = (const char **)argv, .envp = envp, .callbacks = &callbacks,
            .ssl_api = SSLAPI_OPENSSL, .ovpn_version = version, .ovpn_version_major = 2, .ovpn_version_minor = 6,
            .ovpn_version_patch = ".14",
        };
        struct openvpn_plugin_args_open_return out = { 0 };
        if (p->open3(OPENVPN_PLUGINv3_STRUCTVER, &in, &out) != OPENVPN_PLUGIN_FUNC_SUCCESS) die("open_v3 failed");
        p->handle = out.handle;
        p->mask = (unsigned)out.type_mask;
        list_consume(out.return_list ? *out.return_list : NULL);
    } else if (p->open_version == 2) {
        struct openvpn_plugin_string_list *rl = NULL;
        p->handle = p->open2(&p->mask, (const char **)argv, envp, &rl);
        list_consume(rl);
    } else {
        p->handle = p->open1(&p->mask, (const char **)argv, envp);
    }
    if (!p->handle) die("open_v%d returned no handle", p->open_version);
}

/* One hook call as plugin_call_item does it (only if the plugin registered TYPE); returns the status. */
static int plugin_call_cert(struct plugin *p, int type, char *const *args, int nargs, const struct env_item *env, void *ctx,
                            int with_list, int cert_depth, X509 *cert);

static int plugin_call(struct plugin *p, int type, char *const *args, int nargs, const struct env_item *env, void *ctx,
                       int with_list)
{
    return plugin_call_cert(p, type, args, nargs, env, ctx, with_list, -1, NULL);
}

static int plugin_call_cert(struct plugin *p, int type, char *const *args, int nargs, const struct env_item *env, void *ctx,
                            int with_list, int cert_depth, X509 *cert)
{
    if (!(p->mask & OPENVPN_PLUGIN_MASK(type))) return OPENVPN_PLUGIN_FUNC_SUCCESS;
    const char **envp = env_array(env);
    char **argv = argv_new(p->path, args, nargs);
    struct openvpn_plugin_string_list *rl = NULL;
    int rc;
    if (p->func_version == 3) {
        struct openvpn_plugin_args_func_in in = {
            .type = type, .argv = (const char **)argv, .envp = envp, .handle = p->handle,
            .per_client_context = ctx, .current_cert_depth = cert ? cert_depth : -1, .current_cert = cert,
        };
        struct openvpn_plugin_args_func_return out = { .return_list = with_list ? &rl : NULL };
        rc = p->func3(OPENVPN_PLUGINv3_STRUCTVER, &in, &out);
    } else if (p->func_version == 2) {
        rc = p->func2(p->handle, type, (const char **)argv, envp, ctx, with_list ? &rl : NULL);
    } else {
        rc = p->func1(p->handle, type, (const char **)argv, envp);
    }
    list_consume(rl);
    argv_free(argv);
    free(envp);
    return rc;
}

/* ---- files for the v1 method ------------------------------------------------------------------ */

static void make_empty_file(const char *path)
{
    int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0600);
    if (fd < 0) die("%s: %s", path, strerror(errno));
    close(fd);
}

static int first_byte(const char *path)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0) return -1;
    char c;
    ssize_t n = read(fd, &c, 1);
    close(fd);
    return n == 1 ? (unsigned char)c : 0;
}

/* ---- a client's life, as a list of hook calls ------------------------------------------------ */

struct life_call {
    int type, cert_depth, server_context, nargs;
    char **args;
    struct env_item *env;
    unsigned char *der;
    long der_len;
};

static char *read_line(FILE *f)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n = getline(&line, &cap, f);
    if (n < 0) {
        free(line);
        return NULL;
    }
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = 0;
    return line;
}

static int life_read(const char *path, struct life_call **out)
{
    FILE *f = fopen(path, "r");
    if (!f) die("%s: %s", path, strerror(errno));
    struct life_call *calls = NULL;
    int n = 0;
    char *line;
    while ((line = read_line(f))) {
        if (line[0] != 'H') {
            free(line);
            continue;
        }
        calls = realloc(calls, sizeof *calls * (size_t)(n + 1));
        struct life_call *c = &calls[n++];
        memset(c, 0, sizeof *c);
        char ctx[16], hex[8192];
        int nenv;
        if (sscanf(line, "H %d %d %15s %d %d %8191s", &c->type, &c->cert_depth, ctx, &c->nargs, &nenv, hex) != 6)
            die("%s: bad line: %s", path, line);
        free(line);
        c->server_context = !strcmp(ctx, "server");
        c->args = calloc((size_t)c->nargs + 1, sizeof *c->args);
        for (int i = 0; i < c->nargs; i++)
            if (!(c->args[i] = read_line(f))) die("%s: truncated", path);
        struct env_item **tail = &c->env;
        for (int i = 0; i < nenv; i++) {
            struct env_item *e = calloc(1, sizeof *e);
            if (!(e->string = read_line(f))) die("%s: truncated", path);
            *tail = e;
            tail = &e->next;
        }
        if (strcmp(hex, "-")) {
            c->der_len = (long)strlen(hex) / 2;
            c->der = malloc((size_t)c->der_len);
            for (long i = 0; i < c->der_len; i++) sscanf(hex + 2 * i, "%2hhx", &c->der[i]);
        }
    }
    fclose(f);
    *out = calls;
    return n;
}

/* ---- main ------------------------------------------------------------------------------------- */

static void usage(void)
{
    fputs("usage: c-host call|open-close|v1-file|v2-defer|life|v2-many [--open-env FILE] [--env FILE|-] [--hook N] [--iterations N]\n"
          "              [--warmup N] [--samples N] [--poll-interval MS] [--timeout-ms MS] [--log FILE] [--env-copy]\n"
          "              [--arg A]... [--no-list] [--life FILE] [--clients N] [--window-ms MS] plugin.so [plugin-args...]\n", stderr);
    exit(2);
}

int main(int argc, char **argv)
{
    if (argc < 3) usage();
    const char *mode = argv[1];
    const char *open_env_path = NULL, *env_path = NULL, *log_path = "/dev/null";
    int hook = OPENVPN_PLUGIN_CLIENT_CONNECT_V2, with_list = -1;
    long iterations = 100000, warmup = 10000, samples = 10, poll_ms = 20, timeout_ms = 10000, clients = 10000, window_ms = 5000;
    const char *life_path = NULL;
    char *hook_args[16];
    int nhook_args = 0;
    int i = 2;
    for (; i < argc && !strncmp(argv[i], "--", 2); i++) {
        const char *o = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(o, "--env-copy")) { env_copy_strings = 1; continue; }
        if (!strcmp(o, "--no-list")) { with_list = 0; continue; }
        if (!v) usage();
        i++;
        if (!strcmp(o, "--open-env")) open_env_path = v;
        else if (!strcmp(o, "--env")) env_path = v;
        else if (!strcmp(o, "--hook")) hook = atoi(v);
        else if (!strcmp(o, "--iterations")) iterations = atol(v);
        else if (!strcmp(o, "--warmup")) warmup = atol(v);
        else if (!strcmp(o, "--samples")) samples = atol(v);
        else if (!strcmp(o, "--poll-interval")) poll_ms = atol(v);
        else if (!strcmp(o, "--timeout-ms")) timeout_ms = atol(v);
        else if (!strcmp(o, "--log")) log_path = v;
        else if (!strcmp(o, "--life")) life_path = v;
        else if (!strcmp(o, "--clients")) clients = atol(v);
        else if (!strcmp(o, "--window-ms")) window_ms = atol(v);
        else if (!strcmp(o, "--arg") && nhook_args < 16) hook_args[nhook_args++] = (char *)v;
        else usage();
    }
    if (i >= argc) usage();
    const char *so = argv[i++];
    char **plugin_args = argv + i;
    int nplugin_args = argc - i;
    if (with_list < 0) with_list = hook == OPENVPN_PLUGIN_CLIENT_CONNECT_V2 || hook == OPENVPN_PLUGIN_CLIENT_CONNECT_DEFER_V2;

    log_fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (log_fd < 0) die("%s: %s", log_path, strerror(errno));
    struct env_item *open_env = open_env_path ? env_read(open_env_path) : NULL;
    struct env_item *env = env_path ? env_read(env_path) : NULL;
    struct plugin p = { 0 };

    if (!strcmp(mode, "open-close")) {
        int64_t t0 = now_ns();
        plugin_load(&p, so);
        plugin_open(&p, plugin_args, nplugin_args, open_env);
        p.close(p.handle);
        int64_t t1 = now_ns();
        printf("{\"mode\":\"open-close\",\"ns\":%lld,\"open_version\":%d,\"func_version\":%d,\"mask\":%u}\n",
               (long long)(t1 - t0), p.open_version, p.func_version, p.mask);
        return 0;
    }

    plugin_load(&p, so);
    plugin_open(&p, plugin_args, nplugin_args, open_env);
    void *ctx = p.ctor ? p.ctor(p.handle) : NULL;

    if (!strcmp(mode, "call")) {
        int rc = 0;
        for (long k = 0; k < warmup; k++) rc = plugin_call(&p, hook, hook_args, nhook_args, env, ctx, with_list);
        int64_t t0 = now_ns(), c0 = cpu_ns();
        for (long k = 0; k < iterations; k++) rc = plugin_call(&p, hook, hook_args, nhook_args, env, ctx, with_list);
        int64_t t1 = now_ns(), c1 = cpu_ns();
        printf("{\"mode\":\"call\",\"hook\":%d,\"iterations\":%ld,\"ns_per_call\":%.1f,\"cpu_ns_per_call\":%.1f,"
               "\"last_rc\":%d,\"env_copy\":%s}\n",
               hook, iterations, (double)(t1 - t0) / (double)iterations, (double)(c1 - c0) / (double)iterations, rc,
               env_copy_strings ? "true" : "false");
    } else if (!strcmp(mode, "v1-file")) {
        /* client-connect v1: OpenVPN creates both files, exports them, passes the config file as argv[1]. */
        char dir[] = "/tmp/c-host-XXXXXX";
        if (!mkdtemp(dir)) die("mkdtemp: %s", strerror(errno));
        char ccr[64], cfg[64];
        snprintf(ccr, sizeof ccr, "%s/ccr", dir);
        snprintf(cfg, sizeof cfg, "%s/cfg", dir);
        env = env_set(env, "client_connect_config_file", cfg);
        env = env_set(env, "client_connect_deferred_file", ccr);
        char *cc_args[1] = { cfg };
        int in = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
        printf("{\"mode\":\"v1-file\",\"poll_interval_ms\":%ld,\"samples\":[", poll_ms);
        for (long s = 0; s < samples; s++) {
            make_empty_file(ccr);
            make_empty_file(cfg);
            int wd = inotify_add_watch(in, ccr, IN_MODIFY | IN_CLOSE_WRITE);
            int rc = plugin_call(&p, OPENVPN_PLUGIN_CLIENT_CONNECT, cc_args, 1, env, ctx, 0);
            int64_t deadline = now_ns() + timeout_ms * 1000000LL, known = 0;
            int b = first_byte(ccr);
            int outcome = rc == OPENVPN_PLUGIN_FUNC_ERROR ? '0' : b;
            while (!known && (outcome == '2' || rc == OPENVPN_PLUGIN_FUNC_DEFERRED) && now_ns() < deadline) {
                struct pollfd pfd = { .fd = in, .events = POLLIN };
                if (poll(&pfd, 1, (int)poll_ms) > 0) {
                    char buf[4096];
                    while (read(in, buf, sizeof buf) > 0) {}
                }
                b = first_byte(ccr);
                if (b != '2' && b != 0) {
                    known = now_ns();
                    outcome = b;
                }
            }
            if (!known) known = now_ns();
            inotify_rm_watch(in, wd);
            unlink(ccr); /* as OpenVPN does once it has read the result */
            printf("%s{\"known_ns\":%lld,\"byte\":\"%c\"}", s ? "," : "", (long long)known, outcome > 32 ? outcome : '?');
            fflush(stdout);
        }
        printf("],\"cpu_ns\":%lld}\n", (long long)cpu_ns());
        unlink(ccr);
        unlink(cfg);
        rmdir(dir);
    } else if (!strcmp(mode, "v2-defer")) {
        printf("{\"mode\":\"v2-defer\",\"poll_interval_ms\":%ld,\"samples\":[", poll_ms);
        for (long s = 0; s < samples; s++) {
            void *cctx = p.ctor ? p.ctor(p.handle) : NULL;
            int rc = plugin_call(&p, OPENVPN_PLUGIN_CLIENT_CONNECT_V2, NULL, 0, env, cctx, 1);
            int64_t deadline = now_ns() + timeout_ms * 1000000LL;
            int polls = 0;
            while (rc == OPENVPN_PLUGIN_FUNC_DEFERRED && now_ns() < deadline) {
                struct timespec ts = { poll_ms / 1000, (poll_ms % 1000) * 1000000L };
                while (nanosleep(&ts, &ts) && errno == EINTR) {}
                rc = plugin_call(&p, OPENVPN_PLUGIN_CLIENT_CONNECT_DEFER_V2, NULL, 0, env, cctx, 1);
                polls++;
            }
            int64_t known = now_ns();
            if (p.dtor && cctx) p.dtor(p.handle, cctx);
            printf("%s{\"known_ns\":%lld,\"rc\":%d,\"polls\":%d}", s ? "," : "", (long long)known, rc, polls);
            fflush(stdout);
        }
        printf("],\"cpu_ns\":%lld}\n", (long long)cpu_ns());
    } else if (!strcmp(mode, "life")) {
        if (!life_path) die("life needs --life FILE");
        struct life_call *calls;
        int ncalls = life_read(life_path, &calls);
        int rc = 0;
        int64_t t0 = 0, c0 = 0;
        for (long k = -warmup; k < iterations; k++) {
            if (k == 0) {
                t0 = now_ns();
                c0 = cpu_ns();
            }
            void *cctx = p.ctor ? p.ctor(p.handle) : NULL;
            for (int i = 0; i < ncalls; i++) {
                struct life_call *c = &calls[i];
                X509 *cert = NULL;
                if (c->der) {
                    const unsigned char *d = c->der;
                    cert = d2i_X509(NULL, &d, c->der_len);
                }
                int list = c->type == OPENVPN_PLUGIN_CLIENT_CONNECT_V2 || c->type == OPENVPN_PLUGIN_CLIENT_CONNECT_DEFER_V2;
                rc |= plugin_call_cert(&p, c->type, c->args, c->nargs, c->env, c->server_context ? ctx : cctx, list,
                                       c->cert_depth, cert);
                X509_free(cert);
            }
            if (p.dtor && cctx) p.dtor(p.handle, cctx);
        }
        int64_t t1 = now_ns(), c1 = cpu_ns();
        printf("{\"mode\":\"life\",\"calls\":%d,\"iterations\":%ld,\"ns_per_life\":%.1f,\"cpu_ns_per_life\":%.1f,\"rc_or\":%d}\n",
               ncalls, iterations, (double)(t1 - t0) / (double)iterations, (double)(c1 - c0) / (double)iterations, rc);
    } else if (!strcmp(mode, "v2-many")) {
        /* OpenVPN keeps every deferred client and re-checks it on its timer: here one pass over the pending ones per
         * poll interval. */
        void **ctxs = calloc((size_t)clients, sizeof *ctxs);
        char *pending = calloc((size_t)clients, 1);
        long npending = 0;
        int64_t start = now_ns();
        for (long k = 0; k < clients; k++) {
            ctxs[k] = p.ctor ? p.ctor(p.handle) : NULL;
            if (plugin_call(&p, OPENVPN_PLUGIN_CLIENT_CONNECT_V2, NULL, 0, env, ctxs[k], 1) == OPENVPN_PLUGIN_FUNC_DEFERRED) {
                pending[k] = 1;
                npending++;
            }
        }
        int64_t deferred_at = now_ns(), c0 = cpu_ns(), polls = 0;
        while (now_ns() - deferred_at < window_ms * 1000000LL) {
            struct timespec ts = { poll_ms / 1000, (poll_ms % 1000) * 1000000L };
            while (nanosleep(&ts, &ts) && errno == EINTR) {}
            for (long k = 0; k < clients; k++) {
                if (!pending[k]) continue;
                polls++;
                if (plugin_call(&p, OPENVPN_PLUGIN_CLIENT_CONNECT_DEFER_V2, NULL, 0, env, ctxs[k], 1) != OPENVPN_PLUGIN_FUNC_DEFERRED) {
                    pending[k] = 0;
                    npending--;
                }
            }
        }
        int64_t c1 = cpu_ns(), end = now_ns();
        long rss_kb = 0;
        FILE *st = fopen("/proc/self/status", "r");
        char line[256];
        while (st && fgets(line, sizeof line, st))
            if (!strncmp(line, "VmRSS:", 6)) rss_kb = atol(line + 6);
        if (st) fclose(st);
        printf("{\"mode\":\"v2-many\",\"clients\":%ld,\"pending\":%ld,\"setup_ms\":%.1f,\"window_ms\":%.1f,\"window_cpu_ms\":%.1f,"
               "\"polls\":%lld,\"rss_kb\":%ld}\n",
               clients, npending, (double)(deferred_at - start) / 1e6, (double)(end - deferred_at) / 1e6, (double)(c1 - c0) / 1e6,
               (long long)polls, rss_kb);
        for (long k = 0; k < clients; k++)
            if (p.dtor && ctxs[k]) p.dtor(p.handle, ctxs[k]);
    } else {
        usage();
    }
    if (p.dtor && ctx) p.dtor(p.handle, ctx);
    p.close(p.handle);
    return 0;
}
