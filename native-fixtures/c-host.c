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
 * argc argv lines and envc env lines. life and v2-many call the hooks only ("hooks only": no work around them).
 *
 * --server-work (life, and v2-many with --life FILE): also the work OpenVPN does around the hooks of a client's life
 * (see server_work below and ../shared/openvpn-semantics.md §3-§6): a per-client state struct; the client's env kept
 * as OpenVPN's env_set (a list of name=value strings, inherited from the server env, each set removing the old entry
 * and prepending a fresh copy, unset vars freed); per hook call script_type deleted and the envp array made from the
 * list; the TLS digests (SHA-1, SHA-256) of each chain certificate computed from its DER into the env; for
 * AUTH_USER_PASS_VERIFY (when a plugin registered it) the three auth control files (acf, apf, afr) created empty
 * (O_EXCL, 0600) with random names in --tmp-dir, named in the env, and unlinked after a non-deferred result; for
 * CLIENT_CONNECT (v1) the cc and ccr files likewise, the ccr's first byte and the config file read back, both unlinked
 * and their env vars removed; a deferred CLIENT_CONNECT_V2 client armed on a timer (a min-heap of wake-up times, one
 * per client) and re-checked with CLIENT_CONNECT_DEFER_V2 when it is due, then re-armed. Its life file ("server work"
 * format): "T <n>" and n lines, the server env each client inherits; then per hook call
 * "H <type> <cert depth> <client|server> <argc> <nset> <nunset> <cert DER hex or ->", argc argv lines, nset name=value
 * lines the host sets before the call and nunset names it removes (a server-context call gets the nset lines as its
 * whole env). The control file and digest vars are not in the file: the host makes them.
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
#include <openssl/evp.h>
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

/* Remove the entry whose name is the N bytes at NAME (env_set_del): the entry and its string are freed. */
static struct env_item *env_del_n(struct env_item *head, const char *name, size_t n)
{
    for (struct env_item **p = &head; *p; p = &(*p)->next) {
        if (!strncmp((*p)->string, name, n) && (*p)->string[n] == '=') {
            struct env_item *e = *p;
            *p = e->next;
            free(e->string);
            free(e);
            break;
        }
    }
    return head;
}

/* Remove NAME (env_set_del). */
static struct env_item *env_del(struct env_item *head, const char *name)
{
    return env_del_n(head, name, strlen(name));
}

/* Prepend STRING ("NAME=VALUE", owned by the list from now on). */
static struct env_item *env_push(struct env_item *head, char *string)
{
    struct env_item *e = calloc(1, sizeof *e);
    if (!e || !string) die("out of memory");
    e->string = string;
    e->next = head;
    return e;
}

/* Put NAME=VALUE first (replacing an existing NAME), as env_set_add does. */
static struct env_item *env_set(struct env_item *head, const char *name, const char *value)
{
    char *string;
    if (asprintf(&string, "%s=%s", name, value) < 0) die("out of memory");
    return env_push(env_del(head, name), string);
}

/* Set "NAME=VALUE" as one string (setenv_str: the old NAME removed, a fresh copy prepended). */
static struct env_item *env_set_str(struct env_item *head, const char *name_value)
{
    const char *eq = strchr(name_value, '=');
    size_t n = eq ? (size_t)(eq - name_value) : strlen(name_value);
    return env_push(env_del_n(head, name_value, n), strdup(name_value));
}

/* A new client's env: a copy of every server env string (env_set_inherit: adding each in turn reverses the order). */
static struct env_item *env_inherit(const struct env_item *top)
{
    struct env_item *head = NULL;
    for (const struct env_item *t = top; t; t = t->next) head = env_push(head, strdup(t->string));
    return head;
}

static void env_free(struct env_item *e)
{
    while (e) {
        struct env_item *next = e->next;
        free(e->string);
        free(e);
        e = next;
    }
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

/* N lines of F as an env list, in file order. */
static struct env_item *read_env_list(FILE *f, int n, const char *path)
{
    struct env_item *head = NULL, **tail = &head;
    for (int i = 0; i < n; i++) {
        struct env_item *e = calloc(1, sizeof *e);
        if (!(e->string = read_line(f))) die("%s: truncated", path);
        *tail = e;
        tail = &e->next;
    }
    return head;
}

/* The bytes HEX spells ("-": none) into *DER and *LEN. */
static void hex_der(const char *hex, unsigned char **der, long *len)
{
    if (!strcmp(hex, "-")) return;
    *len = (long)strlen(hex) / 2;
    *der = malloc((size_t)*len);
    for (long i = 0; i < *len; i++) sscanf(hex + 2 * i, "%2hhx", &(*der)[i]);
}

/* N lines of F, as a NULL-terminated array. */
static char **read_lines(FILE *f, int n, const char *path)
{
    char **v = calloc((size_t)n + 1, sizeof *v);
    for (int i = 0; i < n; i++)
        if (!(v[i] = read_line(f))) die("%s: truncated", path);
    return v;
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
        c->args = read_lines(f, c->nargs, path);
        c->env = read_env_list(f, nenv, path);
        hex_der(hex, &c->der, &c->der_len);
    }
    fclose(f);
    *out = calls;
    return n;
}

/* ---- the work OpenVPN does around the hooks of a client's life (--server-work) ------------------------------- */

static int server_work;          /* --server-work */
static const char *tmp_dir;      /* --tmp-dir, else $TMPDIR, else /tmp: where the control files go */
static long files_created;

struct sw_call {
    int type, cert_depth, server_context, nargs, nset, nunset;
    char **args, **sets, **unsets;
    struct env_item *server_env; /* a server-context call: its whole env */
    unsigned char *der;
    long der_len;
};

struct sw_life {
    struct env_item *top; /* the server env every client inherits */
    struct sw_call *calls;
    int ncalls;
};

static void sw_read(const char *path, struct sw_life *life)
{
    FILE *f = fopen(path, "r");
    if (!f) die("%s: %s", path, strerror(errno));
    char *line = read_line(f);
    int ntop;
    if (!line || sscanf(line, "T %d", &ntop) != 1) die("%s: not a server-work life file (no T line)", path);
    free(line);
    life->top = read_env_list(f, ntop, path);
    life->calls = NULL;
    life->ncalls = 0;
    while ((line = read_line(f))) {
        if (line[0] != 'H') {
            free(line);
            continue;
        }
        life->calls = realloc(life->calls, sizeof *life->calls * (size_t)(life->ncalls + 1));
        struct sw_call *c = &life->calls[life->ncalls++];
        memset(c, 0, sizeof *c);
        char ctx[16], hex[8192];
        if (sscanf(line, "H %d %d %15s %d %d %d %8191s", &c->type, &c->cert_depth, ctx, &c->nargs, &c->nset, &c->nunset, hex) != 7)
            die("%s: bad line: %s", path, line);
        free(line);
        /* server: its own env and the server's context; server-ctx: the client's env and the server's context */
        c->server_context = !strcmp(ctx, "server") ? 1 : !strcmp(ctx, "server-ctx") ? 2 : 0;
        c->args = read_lines(f, c->nargs, path);
        c->sets = read_lines(f, c->nset, path);
        c->unsets = read_lines(f, c->nunset, path);
        if (c->server_context == 1)
            for (int i = c->nset - 1; i >= 0; i--) c->server_env = env_set_str(c->server_env, c->sets[i]);
        hex_der(hex, &c->der, &c->der_len);
    }
    fclose(f);
}

/* plugin_call with OpenVPN's env handling: script_type deleted from the env set, then the envp array made from it. */
static int sw_call(struct plugin *p, int type, char *const *args, int nargs, struct env_item **env, void *ctx, int with_list,
                   int cert_depth, X509 *cert)
{
    if (!(p->mask & OPENVPN_PLUGIN_MASK(type))) return OPENVPN_PLUGIN_FUNC_SUCCESS;
    *env = env_del(*env, "script_type");
    return plugin_call_cert(p, type, args, nargs, *env, ctx, with_list, cert_depth, cert);
}

/* An empty temp file as platform_create_temp_file makes it: <dir>/openvpn_<prefix>_<hex>.tmp, O_EXCL, 0600. */
static char *sw_temp_file(const char *prefix)
{
    for (int attempt = 0; attempt < 6; attempt++) {
        char *path;
        if (asprintf(&path, "%s/openvpn_%s_%08lx%08lx.tmp", tmp_dir, prefix, (unsigned long)random(), (unsigned long)random()) < 0)
            die("out of memory");
        int fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
        if (fd >= 0) {
            close(fd);
            files_created++;
            return path;
        }
        free(path);
    }
    die("cannot create a temp file in %s: %s", tmp_dir, strerror(errno));
    return NULL;
}

static void sw_remove_file(char *path)
{
    unlink(path);
    free(path);
}

/* tls_digest_<d> and tls_digest_sha256_<d> of the certificate (X509_digest: a hash of its DER), colon hex, into the env
 * (verify_cert_set_env). */
static void sw_digest_env(struct env_item **env, const unsigned char *der, long der_len, int depth)
{
    const EVP_MD *algs[2] = { EVP_sha1(), EVP_sha256() };
    const char *names[2] = { "tls_digest_%d", "tls_digest_sha256_%d" };
    for (int i = 0; i < 2; i++) {
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int len = 0;
        char name[48], hex[EVP_MAX_MD_SIZE * 3 + 1];
        if (!EVP_Digest(der, (size_t)der_len, md, &len, algs[i], NULL)) die("EVP_Digest failed");
        for (unsigned j = 0; j < len; j++) sprintf(hex + 3 * j, "%02x%s", md[j], j + 1 < len ? ":" : "");
        snprintf(name, sizeof name, names[i], depth);
        *env = env_set(*env, name, hex);
    }
}

enum { CL_RUNNING, CL_DEFERRED, CL_DONE, CL_FAILED };

/* A client instance: its own env set, its per-client context, where it is in its life, its re-check timer. */
struct client {
    struct env_item *env;
    void *ctx;
    int state, next;
    int64_t due_ns;
};

/* AUTH_USER_PASS_VERIFY: the three control files made and named in the env, the call, the files removed. */
static int sw_auth(struct plugin *p, const struct sw_call *k, struct client *c)
{
    char *acf = sw_temp_file("acf"), *apf = sw_temp_file("apf"), *afr = sw_temp_file("afr");
    c->env = env_set(c->env, "auth_control_file", acf);
    c->env = env_set(c->env, "auth_pending_file", apf);
    c->env = env_set(c->env, "auth_failed_reason_file", afr);
    int rc = sw_call(p, k->type, k->args, k->nargs, &c->env, c->ctx, 0, -1, NULL);
    if (rc == OPENVPN_PLUGIN_FUNC_DEFERRED) die("--server-work: a deferred AUTH_USER_PASS_VERIFY is not emulated");
    sw_remove_file(acf);
    sw_remove_file(apf);
    sw_remove_file(afr);
    return rc;
}

static void sw_read_whole(const char *path)
{
    static char buf[65536];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    while (read(fd, buf, sizeof buf) > 0) {}
    close(fd);
}

/* CLIENT_CONNECT (v1): cc and ccr made and named in the env, the call with argv [cc], the ccr's first byte and the
 * config file read, both files and their env vars removed. */
static int sw_client_connect_v1(struct plugin *p, const struct sw_call *k, struct client *c)
{
    char *cc = sw_temp_file("cc"), *ccr = sw_temp_file("ccr");
    c->env = env_set(c->env, "client_connect_config_file", cc);
    c->env = env_set(c->env, "client_connect_deferred_file", ccr);
    char *args[1] = { cc };
    int rc = sw_call(p, k->type, args, 1, &c->env, c->ctx, 0, -1, NULL);
    int b = first_byte(ccr);
    if (rc == OPENVPN_PLUGIN_FUNC_DEFERRED || (rc == OPENVPN_PLUGIN_FUNC_SUCCESS && b == '2'))
        die("--server-work: a deferred CLIENT_CONNECT is not emulated");
    if (rc == OPENVPN_PLUGIN_FUNC_SUCCESS && (b <= 0 || b == '1')) sw_read_whole(cc);
    else rc = OPENVPN_PLUGIN_FUNC_ERROR;
    c->env = env_del(c->env, "client_connect_config_file");
    c->env = env_del(c->env, "client_connect_deferred_file");
    sw_remove_file(cc);
    sw_remove_file(ccr);
    return rc;
}

/* Run the client's hook calls from where it is until its life ends, a call fails it, or CLIENT_CONNECT_V2 defers it. */
static void sw_advance(struct plugin *p, struct sw_life *life, struct client *c, void *server_ctx)
{
    c->state = CL_RUNNING;
    while (c->next < life->ncalls) {
        struct sw_call *k = &life->calls[c->next++];
        if (k->server_context == 1) {
            sw_call(p, k->type, k->args, k->nargs, &k->server_env, server_ctx, 0, -1, NULL);
            continue;
        }
        for (int i = 0; i < k->nunset; i++) c->env = env_del(c->env, k->unsets[i]);
        for (int i = 0; i < k->nset; i++) c->env = env_set_str(c->env, k->sets[i]);
        /* the certificate as an X509 for current_cert only when a plugin is called with it (OpenVPN has it from TLS) */
        X509 *cert = NULL;
        if (k->der) {
            sw_digest_env(&c->env, k->der, k->der_len, k->cert_depth);
            const unsigned char *d = k->der;
            if ((p->mask & OPENVPN_PLUGIN_MASK(k->type)) && !(cert = d2i_X509(NULL, &d, k->der_len)))
                die("a certificate in the life file does not parse");
        }
        int rc;
        if (k->type == OPENVPN_PLUGIN_AUTH_USER_PASS_VERIFY && (p->mask & OPENVPN_PLUGIN_MASK(k->type))) rc = sw_auth(p, k, c);
        else if (k->type == OPENVPN_PLUGIN_CLIENT_CONNECT && (p->mask & OPENVPN_PLUGIN_MASK(k->type))) rc = sw_client_connect_v1(p, k, c);
        else
            rc = sw_call(p, k->type, k->args, k->nargs, &c->env, k->server_context ? server_ctx : c->ctx, k->type == OPENVPN_PLUGIN_CLIENT_CONNECT_V2,
                         k->cert_depth, cert);
        X509_free(cert);
        if (k->type == OPENVPN_PLUGIN_CLIENT_CONNECT_V2 && rc == OPENVPN_PLUGIN_FUNC_DEFERRED) {
            c->state = CL_DEFERRED;
            return;
        }
        int must_succeed = k->type == OPENVPN_PLUGIN_TLS_VERIFY || k->type == OPENVPN_PLUGIN_AUTH_USER_PASS_VERIFY
                           || k->type == OPENVPN_PLUGIN_TLS_FINAL || k->type == OPENVPN_PLUGIN_CLIENT_CONNECT
                           || k->type == OPENVPN_PLUGIN_CLIENT_CONNECT_V2;
        if (must_succeed && rc != OPENVPN_PLUGIN_FUNC_SUCCESS) {
            c->state = CL_FAILED;
            return;
        }
    }
    c->state = CL_DONE;
}

/* A deferred client's re-check: CLIENT_CONNECT_DEFER_V2 with its env; once it is no longer deferred, its life goes on. */
static void sw_recheck(struct plugin *p, struct sw_life *life, struct client *c, void *server_ctx)
{
    int rc = sw_call(p, OPENVPN_PLUGIN_CLIENT_CONNECT_DEFER_V2, NULL, 0, &c->env, c->ctx, 1, -1, NULL);
    if (rc == OPENVPN_PLUGIN_FUNC_DEFERRED) return;
    if (rc != OPENVPN_PLUGIN_FUNC_SUCCESS) {
        c->state = CL_FAILED;
        return;
    }
    sw_advance(p, life, c, server_ctx);
}

/* The re-check timers: a binary min-heap of the deferred clients by wake-up time. */
static struct client **heap;
static long heap_n, heap_cap;

static void heap_swap(long a, long b)
{
    struct client *t = heap[a];
    heap[a] = heap[b];
    heap[b] = t;
}

static void heap_push(struct client *c)
{
    if (heap_n == heap_cap) {
        heap_cap = heap_cap ? heap_cap * 2 : 1024;
        heap = realloc(heap, sizeof *heap * (size_t)heap_cap);
    }
    long i = heap_n++;
    heap[i] = c;
    while (i > 0 && heap[i]->due_ns < heap[(i - 1) / 2]->due_ns) {
        heap_swap(i, (i - 1) / 2);
        i = (i - 1) / 2;
    }
}

static struct client *heap_pop(void)
{
    struct client *top = heap[0];
    heap[0] = heap[--heap_n];
    for (long i = 0;;) {
        long l = 2 * i + 1, r = l + 1, m = i;
        if (l < heap_n && heap[l]->due_ns < heap[m]->due_ns) m = l;
        if (r < heap_n && heap[r]->due_ns < heap[m]->due_ns) m = r;
        if (m == i) break;
        heap_swap(i, m);
        i = m;
    }
    return top;
}

static void sleep_until(int64_t t_ns)
{
    struct timespec ts = { (time_t)(t_ns / 1000000000LL), (long)(t_ns % 1000000000LL) };
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {}
}

static long rss_kb_now(void)
{
    long rss_kb = 0;
    FILE *st = fopen("/proc/self/status", "r");
    char line[256];
    while (st && fgets(line, sizeof line, st))
        if (!strncmp(line, "VmRSS:", 6)) rss_kb = atol(line + 6);
    if (st) fclose(st);
    return rss_kb;
}

/* ---- main ------------------------------------------------------------------------------------- */

static void usage(void)
{
    fputs("usage: c-host call|open-close|v1-file|v2-defer|life|v2-many [--open-env FILE] [--env FILE|-] [--hook N] [--iterations N]\n"
          "              [--warmup N] [--samples N] [--poll-interval MS] [--timeout-ms MS] [--log FILE] [--env-copy]\n"
          "              [--arg A]... [--no-list] [--life FILE] [--clients N] [--window-ms MS] [--server-work] [--tmp-dir DIR]\n"
          "              plugin.so [plugin-args...]\n", stderr);
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
        if (!strcmp(o, "--server-work")) { server_work = 1; continue; }
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
        else if (!strcmp(o, "--tmp-dir")) tmp_dir = v;
        else if (!strcmp(o, "--arg") && nhook_args < 16) hook_args[nhook_args++] = (char *)v;
        else usage();
    }
    if (i >= argc) usage();
    const char *so = argv[i++];
    char **plugin_args = argv + i;
    int nplugin_args = argc - i;
    if (with_list < 0) with_list = hook == OPENVPN_PLUGIN_CLIENT_CONNECT_V2 || hook == OPENVPN_PLUGIN_CLIENT_CONNECT_DEFER_V2;

    if (!tmp_dir) tmp_dir = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    srandom((unsigned)(now_ns() ^ getpid()));
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
    } else if (!strcmp(mode, "life") && server_work) {
        if (!life_path) die("life needs --life FILE");
        struct sw_life life;
        sw_read(life_path, &life);
        long failed = 0;
        int64_t t0 = 0, c0 = 0;
        for (long k = -warmup; k < iterations; k++) {
            if (k == 0) {
                t0 = now_ns();
                c0 = cpu_ns();
                files_created = 0;
            }
            struct client c = { .env = env_inherit(life.top), .ctx = p.ctor ? p.ctor(p.handle) : NULL };
            sw_advance(&p, &life, &c, ctx);
            if (c.state == CL_DEFERRED) die("life --server-work: the plugin deferred client-connect (v2-many re-checks deferred clients)");
            if (c.state == CL_FAILED) failed++;
            if (p.dtor && c.ctx) p.dtor(p.handle, c.ctx);
            env_free(c.env);
        }
        int64_t t1 = now_ns(), c1 = cpu_ns();
        printf("{\"mode\":\"life\",\"server_work\":true,\"calls\":%d,\"iterations\":%ld,\"ns_per_life\":%.1f,\"cpu_ns_per_life\":%.1f,"
               "\"files_per_life\":%.2f,\"failed\":%ld}\n",
               life.ncalls, iterations, (double)(t1 - t0) / (double)iterations, (double)(c1 - c0) / (double)iterations,
               (double)files_created / (double)iterations, failed);
    } else if (!strcmp(mode, "v2-many") && server_work) {
        /* N client instances, each through its life up to the deferred CLIENT_CONNECT_V2, then each deferred one
         * re-checked on its own timer (due --poll-interval ms after its last check) until --window-ms has passed. */
        if (!life_path) die("v2-many --server-work needs --life FILE");
        struct sw_life life;
        sw_read(life_path, &life);
        long rss_open_kb = rss_kb_now();
        struct client *cl = calloc((size_t)clients, sizeof *cl);
        int64_t start = now_ns();
        for (long k = 0; k < clients; k++) {
            struct client *c = &cl[k];
            c->env = env_inherit(life.top);
            c->ctx = p.ctor ? p.ctor(p.handle) : NULL;
            sw_advance(&p, &life, c, ctx);
            if (c->state == CL_DEFERRED) {
                c->due_ns = now_ns() + poll_ms * 1000000LL;
                heap_push(c);
            }
        }
        int64_t deferred_at = now_ns(), c0 = cpu_ns(), end = deferred_at + window_ms * 1000000LL;
        long polls = 0;
        /* the heap holds the clients still deferred */
        while (heap_n > 0 && heap[0]->due_ns < end) {
            int64_t now = now_ns();
            if (heap[0]->due_ns > now) {
                sleep_until(heap[0]->due_ns);
                continue;
            }
            struct client *c = heap_pop();
            sw_recheck(&p, &life, c, ctx);
            polls++;
            if (c->state == CL_DEFERRED) {
                c->due_ns = now_ns() + poll_ms * 1000000LL;
                heap_push(c);
            }
        }
        sleep_until(end);
        int64_t c1 = cpu_ns(), t_end = now_ns();
        long rss_kb = rss_kb_now();
        printf("{\"mode\":\"v2-many\",\"server_work\":true,\"clients\":%ld,\"pending\":%ld,\"setup_ms\":%.1f,\"window_ms\":%.1f,"
               "\"window_cpu_ms\":%.1f,\"polls\":%ld,\"rss_open_kb\":%ld,\"rss_kb\":%ld}\n",
               clients, heap_n, (double)(deferred_at - start) / 1e6, (double)(t_end - deferred_at) / 1e6, (double)(c1 - c0) / 1e6,
               polls, rss_open_kb, rss_kb);
        for (long k = 0; k < clients; k++) {
            if (p.dtor && cl[k].ctx) p.dtor(p.handle, cl[k].ctx);
            env_free(cl[k].env);
        }
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
        long rss_open_kb = rss_kb_now();
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
        long rss_kb = rss_kb_now();
        printf("{\"mode\":\"v2-many\",\"clients\":%ld,\"pending\":%ld,\"setup_ms\":%.1f,\"window_ms\":%.1f,\"window_cpu_ms\":%.1f,"
               "\"polls\":%lld,\"rss_open_kb\":%ld,\"rss_kb\":%ld}\n",
               clients, npending, (double)(deferred_at - start) / 1e6, (double)(end - deferred_at) / 1e6, (double)(c1 - c0) / 1e6,
               (long long)polls, rss_open_kb, rss_kb);
        for (long k = 0; k < clients; k++)
            if (p.dtor && ctxs[k]) p.dtor(p.handle, ctxs[k]);
    } else {
        usage();
    }
    if (p.dtor && ctx) p.dtor(p.handle, ctx);
    p.close(p.handle);
    return 0;
}
