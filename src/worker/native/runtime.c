/* runtime.c — the native side of the plugin worker: the callbacks table plugins receive (log, vlog,
 * secure_memzero, base64), the log pipe, the fork guard, the hang watchdog and the call trampolines.
 *
 * Why C: plugins call these callbacks from their own threads and from fork()ed children, where no
 * JavaScript can run (docs/architecture.md says why). Everything here is async-signal-tolerant enough for that use:
 * a log line is formatted into a stack buffer and written with one write(2) to a pipe whose reader is
 * the supervisor process, never the (possibly blocked) worker itself.
 *
 * Log pipe records, one per line, fields separated by TAB, message escaped (\\ and \n):
 *   L <flags> <pid> <plugin name> <message>     a plugin_log / plugin_vlog call
 *   H <plugin id> <hook type> <timeout ms>      the watchdog killed the worker: a call did not return
 *   M <mark>                                    a marker the worker writes to order logs and results
 *   X <plugin id> <hook type> <signal> <frame>*  the worker crashed (fatal signal) inside that call; each frame, from
 *                                               the faulting one outwards, is "<hex offset> <symbol+0xoff or -> <module>"
 */
#define _GNU_SOURCE
#include "plugin-abi.h"
#include <dlfcn.h>
#include <errno.h>
#include <execinfo.h>
#include <ucontext.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#if defined(__has_include)
#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h> /* client requests: no-ops unless the worker runs under valgrind */
#define OVPH_VALGRIND 1
#endif
#endif

#define OVPH_EXPORT __attribute__((visibility("default")))
#define LOG_MSG_MAX 10240 /* OpenVPN's ERR_BUF_SIZE */

static int log_fd = -1;
static pid_t worker_pid;
/* The call in progress (plugin id, hook type), for crash and hang reports. */
static volatile int cur_plugin = -1, cur_type = -100;
/* The client whose hook (or script) is running, -1 for none: log records carry it, and a child forked during the
 * call inherits it, so a helper's later lines are still the client's. */
static volatile int cur_client = -1;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

/* ---- log pipe ------------------------------------------------------------------------------ */

static void write_all(const char *buf, size_t len)
{
    while (len > 0 && log_fd >= 0) {
        ssize_t n = write(log_fd, buf, len);
        if (n < 0) {
            if (errno == EINTR) continue;
            return;
        }
        buf += n;
        len -= (size_t)n;
    }
}

/* Append SRC to DST (capacity CAP, length *LEN) escaping backslash, newline and tab. */
static void append_escaped(char *dst, size_t cap, size_t *len, const char *src)
{
    for (; *src && *len + 3 < cap; src++) {
        char c = *src;
        if (c == '\\' || c == '\n' || c == '\t') {
            dst[(*len)++] = '\\';
            dst[(*len)++] = c == '\\' ? '\\' : c == '\n' ? 'n' : 't';
        } else {
            dst[(*len)++] = c;
        }
    }
}

static void emit_record(char *rec, size_t len)
{
    rec[len++] = '\n';
    /* Threads of this process are serialised; records from forked children are whole writes
     * (atomic up to PIPE_BUF bytes). */
    int locked = pthread_mutex_lock(&log_lock) == 0;
    write_all(rec, len);
    if (locked) pthread_mutex_unlock(&log_lock);
}

static void plugin_vlog(openvpn_plugin_log_flags_t flags, const char *name, const char *format, va_list ap)
{
    int saved_errno = errno;
    if (!format || !name || !*name) return; /* OpenVPN drops these too */
    char msg[LOG_MSG_MAX];
    int n = vsnprintf(msg, sizeof msg, format, ap);
    if (n < 0) msg[0] = 0;
    if (flags & PLOG_ERRNO) {
        size_t used = strlen(msg);
        snprintf(msg + used, sizeof msg - used, ": %s (errno=%d)", strerror(saved_errno), saved_errno);
    }
    char rec[2 * LOG_MSG_MAX + 512];
    size_t len = (size_t)snprintf(rec, 256, "L\t%d\t%d\t%d\t", (int)flags, (int)getpid(), (int)cur_client);
    append_escaped(rec, sizeof rec - 2, &len, name);
    rec[len++] = '\t';
    append_escaped(rec, sizeof rec - 2, &len, msg);
    emit_record(rec, len);
    errno = saved_errno;
}

static void plugin_log(openvpn_plugin_log_flags_t flags, const char *name, const char *format, ...)
{
    va_list ap;
    va_start(ap, format);
    plugin_vlog(flags, name, format, ap);
    va_end(ap);
}

/* A log line on behalf of something that is not a plugin callback (a script's output). */
OVPH_EXPORT void ovph_log_line(int flags, const char *name, const char *message)
{
    plugin_log((openvpn_plugin_log_flags_t)flags, name, "%s", message);
}

/* Set the client whose calls follow (-1: none). */
OVPH_EXPORT void ovph_set_client(int client)
{
    cur_client = client;
}

/* Write a marker record: everything logged before it by this process is already in the pipe. */
OVPH_EXPORT void ovph_log_mark(const char *mark)
{
    char rec[512];
    size_t len = (size_t)snprintf(rec, 16, "M\t");
    append_escaped(rec, sizeof rec - 2, &len, mark);
    emit_record(rec, len);
}

/* ---- secure_memzero and base64, with OpenVPN's exact semantics -------------------------------- */

static void plugin_secure_memzero(void *data, size_t len)
{
    if (data && len) explicit_bzero(data, len);
}

static const char b64_chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Encode SIZE bytes; *STR is malloc'd (the plugin frees it with free()). Returns the length or -1. */
static int plugin_base64_encode(const void *data, int size, char **str)
{
    if (size < 0 || size > INT_MAX / 4 - 4 || !str) return -1;
    const unsigned char *in = data;
    char *out = malloc((size_t)size * 4 / 3 + 4), *p = out;
    if (!out) return -1;
    for (int i = 0; i < size; i += 3) {
        unsigned v = (unsigned)in[i] << 16;
        if (i + 1 < size) v |= (unsigned)in[i + 1] << 8;
        if (i + 2 < size) v |= in[i + 2];
        *p++ = b64_chars[(v >> 18) & 63];
        *p++ = b64_chars[(v >> 12) & 63];
        *p++ = i + 1 < size ? b64_chars[(v >> 6) & 63] : '=';
        *p++ = i + 2 < size ? b64_chars[v & 63] : '=';
    }
    *p = 0;
    *str = out;
    return (int)(p - out);
}

static int b64_pos(char c)
{
    const char *p = strchr(b64_chars, c);
    return c && p ? (int)(p - b64_chars) : -1;
}

#define B64_BAD 0xffffffffu

/* One 4-character group; the top byte of the result counts '=' markers. As in OpenVPN, only '='
 * placement and the group length are checked here: a character outside the alphabet in positions
 * 2-4 adds -1 (the group decodes to garbage), exactly like the server's decoder. */
static unsigned b64_group(const char *g)
{
    if (strnlen(g, 4) < 4) return B64_BAD;
    unsigned val = 0;
    int marker = 0;
    for (int i = 0; i < 4; i++) {
        val *= 64;
        if (g[i] == '=')
            marker++;
        else if (marker > 0)
            return B64_BAD;
        else
            val += (unsigned)b64_pos(g[i]);
    }
    if (marker > 2) return B64_BAD;
    return ((unsigned)marker << 24) | (val & 0xffffff);
}

/* Decode STR into DATA (at most SIZE bytes; SIZE < 0 = unbounded). Stops at the first character that
 * is neither in the alphabet nor '='. Returns the decoded length, or -1 on a malformed group or
 * overflow. The output is not NUL-terminated. */
static int plugin_base64_decode(const char *str, void *data, int size)
{
    if (!str || !data) return -1;
    unsigned char *q = data, *end = size >= 0 ? q + size : NULL;
    for (const char *p = str; *p && (*p == '=' || b64_pos(*p) >= 0); p += 4) {
        unsigned v = b64_group(p);
        if (v == B64_BAD) return -1;
        unsigned marker = (v >> 24) & 0xff;
        if (end && q >= end) return -1;
        *q++ = (v >> 16) & 0xff;
        if (marker < 2) {
            if (end && q >= end) return -1;
            *q++ = (v >> 8) & 0xff;
        }
        if (marker < 1) {
            if (end && q >= end) return -1;
            *q++ = v & 0xff;
        }
    }
    return (int)(q - (unsigned char *)data);
}

static struct openvpn_plugin_callbacks callbacks = {
    .plugin_log = plugin_log,
    .plugin_vlog = plugin_vlog,
    .plugin_secure_memzero = plugin_secure_memzero,
    .plugin_base64_encode = plugin_base64_encode,
    .plugin_base64_decode = plugin_base64_decode,
};

/* The table passed to open_v3: static, so it lives as long as the process (plugins keep it). */
OVPH_EXPORT struct openvpn_plugin_callbacks *ovph_callbacks(void) { return &callbacks; }

/* Exposed for tests of OpenVPN's base64 semantics. */
OVPH_EXPORT int ovph_base64_encode(const void *data, int size, char **str) { return plugin_base64_encode(data, size, str); }
OVPH_EXPORT int ovph_base64_decode(const char *str, void *data, int size) { return plugin_base64_decode(str, data, size); }

/* ---- fork guard -------------------------------------------------------------------------------
 * exit() in a child forked from Node runs libuv's exit-time cleanup, which joins threads that do not
 * exist in the child (SIGSEGV/SIGABRT). In every forked child we register, last, an on_exit handler
 * that flushes stdio and _exit()s with the same status, so it runs before any inherited handler. */

static void guard_on_exit(int status, void *arg)
{
    (void)arg;
    fflush(NULL);
    _exit(status);
}

static void guard_atfork_child(void) { on_exit(guard_on_exit, NULL); }

/* log_lock across fork(): a child forked while another thread is inside emit_record would inherit the mutex
 * locked, with no thread left to unlock it, and block in its first log line. The forking thread holds it across
 * the fork (waiting for a record in progress to be written), and both sides release it. */
static void log_atfork_prepare(void) { pthread_mutex_lock(&log_lock); }
static void log_atfork_release(void) { pthread_mutex_unlock(&log_lock); }

/* ---- watchdog: a hook that does not return in time is reported and the worker killed ---------- */

static pthread_mutex_t wd_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wd_cond;
static int wd_armed, wd_plugin, wd_type;
static unsigned wd_ms;
static struct timespec wd_deadline;
static int wd_started;
/* What the watchdog thread sleeps for: wd_idle = untimed (nothing armed), else until wd_sleep_until. Arming
 * wakes the thread only when it would otherwise sleep past the new deadline: calls in a row with the same
 * timeout cost no wake-up (the thread wakes at the older, earlier deadline and waits again). */
static int wd_idle = 1;
static struct timespec wd_sleep_until;

static int ts_before(const struct timespec *a, const struct timespec *b)
{
    return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

static void *watchdog_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&wd_lock);
    for (;;) {
        wd_idle = 1;
        while (!wd_armed) pthread_cond_wait(&wd_cond, &wd_lock);
        wd_idle = 0;
        wd_sleep_until = wd_deadline;
        int rc = pthread_cond_timedwait(&wd_cond, &wd_lock, &wd_sleep_until);
        if (rc == ETIMEDOUT && wd_armed) {
            struct timespec now;
            clock_gettime(CLOCK_MONOTONIC, &now);
            if (now.tv_sec > wd_deadline.tv_sec ||
                (now.tv_sec == wd_deadline.tv_sec && now.tv_nsec >= wd_deadline.tv_nsec)) {
                char rec[128];
                size_t len = (size_t)snprintf(rec, sizeof rec - 1, "H\t%d\t%d\t%u", wd_plugin, wd_type, wd_ms);
                emit_record(rec, len);
                kill(getpid(), SIGKILL);
            }
        }
    }
    return NULL;
}

/* Arm for a call that started at NOW. */
static inline void wd_arm_at(int plugin, int type, unsigned ms, const struct timespec *now)
{
    if (!ms || !wd_started) return;
    pthread_mutex_lock(&wd_lock);
    wd_deadline = *now;
    wd_deadline.tv_sec += ms / 1000;
    wd_deadline.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (wd_deadline.tv_nsec >= 1000000000L) {
        wd_deadline.tv_sec++;
        wd_deadline.tv_nsec -= 1000000000L;
    }
    wd_plugin = plugin;
    wd_type = type;
    wd_ms = ms;
    wd_armed = 1;
    if (wd_idle || ts_before(&wd_deadline, &wd_sleep_until)) pthread_cond_signal(&wd_cond);
    pthread_mutex_unlock(&wd_lock);
}

static inline void wd_arm(int plugin, int type, unsigned ms)
{
    if (!ms || !wd_started) return;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    wd_arm_at(plugin, type, ms, &now);
}

static inline void wd_disarm(unsigned ms)
{
    if (!ms || !wd_started) return;
    pthread_mutex_lock(&wd_lock);
    wd_armed = 0;
    pthread_mutex_unlock(&wd_lock);
}

/* ---- crash report: a fatal signal in the worker names the call it happened in ------------------ */

static char *fmt_int(char *p, long v)
{
    char tmp[24];
    int n = 0;
    int neg = v < 0;
    unsigned long u = neg ? (unsigned long)(-v) : (unsigned long)v;
    do tmp[n++] = (char)('0' + u % 10); while ((u /= 10) && n < 22);
    if (neg) *p++ = '-';
    while (n) *p++ = tmp[--n];
    return p;
}

static char *fmt_hex(char *p, uintptr_t v)
{
    char tmp[2 * sizeof v];
    int n = 0;
    do tmp[n++] = "0123456789abcdef"[v & 15]; while ((v >>= 4) && n < (int)sizeof tmp);
    *p++ = '0'; *p++ = 'x';
    while (n) *p++ = tmp[--n];
    return p;
}

#define CRASH_FRAMES 12     /* frames named in a crash record, from the faulting one outwards */
#define CRASH_REC_MAX 4096  /* PIPE_BUF: the record is one atomic write; frames that do not fit are left out */

/* The faulting instruction's address, from the signal's context (0 where the architecture is not known here). */
static uintptr_t fault_pc(void *uctx)
{
    ucontext_t *uc = uctx;
    if (!uc) return 0;
#if defined(__x86_64__)
    return (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
#elif defined(__aarch64__)
    return (uintptr_t)uc->uc_mcontext.pc;
#else
    return 0;
#endif
}

/* Append one frame " \t<hex offset> <symbol+0xoff | -> <module>" for ADDR (a return address unless EXACT: its symbol is
 * looked up one byte back, so a call at a function's very end is not named after the next function). Returns the new
 * end, or P unchanged when it does not fit before END. */
static char *append_frame(char *p, char *end, uintptr_t addr, int exact)
{
    char frame[1024];
    size_t len = 0;
    Dl_info info;
    uintptr_t look = exact ? addr : addr - 1;
    if (!dladdr((void *)look, &info) || !info.dli_fname) return p;
    frame[len++] = '\t';
    len = (size_t)(fmt_hex(frame + len, addr - (uintptr_t)info.dli_fbase) - frame);
    frame[len++] = ' ';
    if (info.dli_sname && info.dli_saddr) {
        append_escaped(frame, sizeof frame - 24, &len, info.dli_sname);
        frame[len++] = '+';
        len = (size_t)(fmt_hex(frame + len, addr - (uintptr_t)info.dli_saddr) - frame);
    } else {
        frame[len++] = '-';
    }
    frame[len++] = ' ';
    append_escaped(frame, sizeof frame, &len, info.dli_fname);
    if (len > (size_t)(end - p)) return p;
    memcpy(p, frame, len);
    return p + len;
}

/* On a fatal signal in the worker: one X record naming the call in progress, the signal and the faulting frames.
 * Async-signal-safety: write(2) is; backtrace() was called once at init so it does not load libgcc_s (malloc) here;
 * dladdr() takes the loader's lock, so a crash inside dlopen/dlclose would deadlock here (the watchdog then reports a
 * hang of that call). */
static void crash_handler(int sig, siginfo_t *si, void *uctx)
{
    (void)si;
    /* Threads faulting at once (a plugin's threads woken together): only the first reports, the others wait here for
     * the process to die (with the handler reset on the first delivery, a second thread's fault used to end the
     * process before the first's record was out). A fault inside the handler itself (same thread) just dies. */
    static volatile pid_t crashing;
    pid_t me = (pid_t)syscall(SYS_gettid);
    pid_t first = __sync_val_compare_and_swap(&crashing, 0, me);
    if (first == me) {
        signal(sig, SIG_DFL);
        raise(sig);
        return;
    }
    if (first != 0) {
        for (;;) pause();
    }
    if (getpid() == worker_pid && log_fd >= 0) { /* forked children inherit the handler: stay quiet there */
        static char rec[CRASH_REC_MAX];
        char *p = rec, *end = rec + sizeof rec - 1;
        *p++ = 'X'; *p++ = '\t';
        p = fmt_int(p, cur_plugin); *p++ = '\t';
        p = fmt_int(p, cur_type); *p++ = '\t';
        p = fmt_int(p, sig);
        void *trace[CRASH_FRAMES + 8];
        int n = backtrace(trace, CRASH_FRAMES + 8);
        uintptr_t pc = fault_pc(uctx);
        int from = 0;
        if (pc) { /* skip the handler's own frames and the kernel's signal trampoline */
            for (int i = 0; i < n; i++) {
                if ((uintptr_t)trace[i] == pc) { from = i; break; }
            }
        }
        for (int i = from, k = 0; i < n && k < CRASH_FRAMES; i++, k++) p = append_frame(p, end, (uintptr_t)trace[i], i == from && pc);
        *p++ = '\n';
        ssize_t r = write(log_fd, rec, (size_t)(p - rec));
        (void)r;
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

static void install_crash_handler(void)
{
    static char altstack[64 * 1024];
    stack_t ss = { .ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0 };
    sigaltstack(&ss, NULL);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    void *warm[2];
    backtrace(warm, 2); /* loads libgcc_s now, not in the handler */
    sa.sa_sigaction = crash_handler;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER; /* no SA_RESETHAND: see crash_handler */
    sigemptyset(&sa.sa_mask);
    int sigs[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT };
    for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++) sigaction(sigs[i], &sa, NULL);
}

/* ---- init -------------------------------------------------------------------------------------- */

/* Take over FD as the log pipe (moved above 100: plugins close 3..100 in their helpers), install
 * the fork guard and start the watchdog. Returns the new fd, or -1. */
OVPH_EXPORT int ovph_init(int fd)
{
    static int done;
    if (done) return log_fd;
    done = 1;
    if (fd >= 0) {
        log_fd = fcntl(fd, F_DUPFD_CLOEXEC, 101);
        if (log_fd >= 0) close(fd);
    }
    worker_pid = getpid();
    pthread_atfork(NULL, NULL, guard_atfork_child);
    pthread_atfork(log_atfork_prepare, log_atfork_release, log_atfork_release);
    install_crash_handler();
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&wd_cond, &ca);
    pthread_t t;
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old); /* the watchdog thread takes no signals */
    if (pthread_create(&t, NULL, watchdog_main, NULL) == 0) {
        pthread_detach(t);
        wd_started = 1;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return log_fd;
}

/* ---- string arrays (argv/envp) in C memory ----------------------------------------------------- */

/* One malloc holding a NULL-terminated char*[] of at least MIN_SLOTS+1 zeroed slots followed by a
 * copy of BLOCK (COUNT strings, each NUL-terminated, LEN bytes in all). Free with ovph_free. */
OVPH_EXPORT char **ovph_strv_new(const char *block, int len, int count, int min_slots)
{
    int slots = (count > min_slots ? count : min_slots) + 1;
    char **v = calloc(1, sizeof(char *) * (size_t)slots + (size_t)len);
    if (!v) return NULL;
    char *copy = (char *)(v + slots);
    memcpy(copy, block, (size_t)len);
    for (int i = 0, off = 0; i < count && off < len; i++) {
        v[i] = copy + off;
        off += (int)strlen(copy + off) + 1;
    }
    return v;
}

OVPH_EXPORT void ovph_free(void *p) { free(p); }

/* Free a plugin's return list as OpenVPN does: name freed, value zeroed then freed, node freed. */
OVPH_EXPORT void ovph_list_free(struct openvpn_plugin_string_list *l)
{
    while (l) {
        struct openvpn_plugin_string_list *next = l->next;
        free(l->name);
        if (l->value) {
            explicit_bzero(l->value, strlen(l->value));
            free(l->value);
        }
        free(l);
        l = next;
    }
}

/* ---- call trampolines: arm the watchdog, call the entry point, flush the plugin's stdio ----------
 * FN is the entry point's address (resolved by koffi from the plugin library); ID names the plugin
 * and TYPE the hook (or a negative pseudo-type for open/close/...) in a watchdog report. */

typedef void *(*open_v1_fn)(unsigned int *, const char **, const char **);
typedef void *(*open_v2_fn)(unsigned int *, const char **, const char **, struct openvpn_plugin_string_list **);
typedef int (*open_v3_fn)(const int, struct openvpn_plugin_args_open_in const *, struct openvpn_plugin_args_open_return *);
typedef int (*func_v1_fn)(void *, const int, const char **, const char **);
typedef int (*func_v2_fn)(void *, const int, const char **, const char **, void *, struct openvpn_plugin_string_list **);
typedef int (*func_v3_fn)(const int, struct openvpn_plugin_args_func_in const *, struct openvpn_plugin_args_func_return *);
typedef void (*handle_fn)(void *);
typedef void *(*ctor_fn)(void *);
typedef void (*dtor_fn)(void *, void *);
typedef int (*int_fn)(void);

/* ---- memcheck: under valgrind, each plugin call is marked in valgrind's output, and the bytes it leaked are
 * reported right after it (a leak check of what was added since the last one), so every error and leak can be
 * attributed to the call that made it. Outside valgrind (or in a runtime built without its headers) nothing. */

#ifdef OVPH_VALGRIND
static int mc_leaks_per_call;
#endif

/* Turn on the leak check after every plugin call (the worker does it when it runs under valgrind). Returns whether
 * this runtime can: 1 when it was built with valgrind's headers and runs under valgrind, else 0. */
OVPH_EXPORT int ovph_memcheck_enable(int leaks_per_call)
{
#ifdef OVPH_VALGRIND
    mc_leaks_per_call = leaks_per_call;
    return RUNNING_ON_VALGRIND ? 1 : 0;
#else
    (void)leaks_per_call;
    return 0;
#endif
}

static void mc_begin(int id, int type)
{
#ifdef OVPH_VALGRIND
    if (RUNNING_ON_VALGRIND) VALGRIND_PRINTF("ovph-call %d %d %d\n", id, type, (int)cur_client);
#else
    (void)id, (void)type;
#endif
}

static void mc_end(int id, int type)
{
#ifdef OVPH_VALGRIND
    if (RUNNING_ON_VALGRIND) {
        if (mc_leaks_per_call) VALGRIND_DO_ADDED_LEAK_CHECK;
        VALGRIND_PRINTF("ovph-done %d %d\n", id, type);
    }
#else
    (void)id, (void)type;
#endif
}

#define CALL(expr)                   \
    do {                             \
        cur_plugin = id;             \
        cur_type = type;             \
        mc_begin(id, type);          \
        wd_arm(id, type, timeout);   \
        expr;                        \
        fflush(NULL);                \
        wd_disarm(timeout);          \
        mc_end(id, type);            \
        cur_plugin = -1;             \
        cur_type = -100;             \
    } while (0)

/* CALL for a call that started at START (the caller read the clock already). */
#define CALL_AT(start, expr)                  \
    do {                                      \
        cur_plugin = id;                      \
        cur_type = type;                      \
        mc_begin(id, type);                   \
        wd_arm_at(id, type, timeout, start);  \
        expr;                                 \
        fflush(NULL);                         \
        wd_disarm(timeout);                   \
        mc_end(id, type);                     \
        cur_plugin = -1;                      \
        cur_type = -100;                      \
    } while (0)

OVPH_EXPORT void *ovph_open_v1(void *fn, int id, int type, unsigned timeout, unsigned *mask, const char **argv, const char **envp)
{
    void *h;
    CALL(h = ((open_v1_fn)fn)(mask, argv, envp));
    return h;
}

OVPH_EXPORT void *ovph_open_v2(void *fn, int id, int type, unsigned timeout, unsigned *mask, const char **argv, const char **envp,
                               struct openvpn_plugin_string_list **list)
{
    void *h;
    CALL(h = ((open_v2_fn)fn)(mask, argv, envp, list));
    return h;
}

OVPH_EXPORT int ovph_open_v3(void *fn, int id, int type, unsigned timeout, int structver, void *in, void *out)
{
    int rc;
    CALL(rc = ((open_v3_fn)fn)(structver, in, out));
    return rc;
}

OVPH_EXPORT int ovph_func_v1(void *fn, int id, int type, unsigned timeout, void *handle, const char **argv, const char **envp)
{
    int rc;
    CALL(rc = ((func_v1_fn)fn)(handle, type, argv, envp));
    return rc;
}

OVPH_EXPORT int ovph_func_v2(void *fn, int id, int type, unsigned timeout, void *handle, const char **argv, const char **envp,
                             void *per_client, struct openvpn_plugin_string_list **list)
{
    int rc;
    CALL(rc = ((func_v2_fn)fn)(handle, type, argv, envp, per_client, list));
    return rc;
}

OVPH_EXPORT int ovph_func_v3(void *fn, int id, int type, unsigned timeout, int structver, void *in, void *out)
{
    int rc;
    CALL(rc = ((func_v3_fn)fn)(structver, in, out));
    return rc;
}

OVPH_EXPORT void ovph_handle_call(void *fn, int id, int type, unsigned timeout, void *handle)
{
    CALL(((handle_fn)fn)(handle));
}

OVPH_EXPORT void *ovph_construct(void *fn, int id, int type, unsigned timeout, void *handle)
{
    void *ctx;
    CALL(ctx = ((ctor_fn)fn)(handle));
    return ctx;
}

OVPH_EXPORT void ovph_destruct(void *fn, int id, int type, unsigned timeout, void *handle, void *ctx)
{
    CALL(((dtor_fn)fn)(handle, ctx));
}

OVPH_EXPORT int ovph_int_call(void *fn, int id, int type, unsigned timeout)
{
    int rc;
    CALL(rc = ((int_fn)fn)());
    return rc;
}

/* ---- the lean hook call: one FFI call per plugin call -------------------------------------------
 * A frame holds everything a func call needs, in C memory the JavaScript side patches in place through a
 * typed-array view (no per-call encoding). ovph_frame_call calls the entry point (func v3, v2 or v1) as the
 * trampolines above do, then copies the return list into the frame and frees it as OpenVPN does, so the caller
 * reads it without further calls. Argument arrays may be "guarded" (cached across calls): the frame restores
 * them after the call if the plugin wrote into them, so every call sees exactly what a fresh copy would hold. */

struct ovph_frame {
    void *fn;                                    /* 0: the func entry point */
    int id;                                      /* 8: plugin id (watchdog and crash reports) */
    int version;                                 /* 12: 1, 2 or 3 */
    unsigned timeout;                            /* 16: watchdog, ms (0 = none) */
    int collect;                                 /* 20: pass a return-list slot */
    struct openvpn_plugin_args_func_in in;       /* 24: type, argv, envp, handle, per_client_context, depth, cert */
    struct openvpn_plugin_args_func_return out;  /* 80 */
    struct openvpn_plugin_string_list *list;     /* 88: the slot; non-NULL after the call = left for the caller */
    char **argv_guard;                           /* 96: guarded strv to restore after the call, or NULL */
    char **envp_guard;                           /* 104: same, for envp */
    int nodes;                                   /* 112: nodes copied into buf; -1 = list left in `list` */
    int used;                                    /* 116: bytes of buf used */
    int cap;                                     /* 120: capacity of buf */
    int reserved;                                /* 124 */
    int64_t elapsed_ns;                          /* 128: how long the entry point ran (CLOCK_MONOTONIC) */
    unsigned char buf[];                         /* 136: per node: int32 name length, int32 value length (-1 = NULL),
                                                  * the name bytes, the value bytes, padded to 4 */
};

/* The offsets src/worker/native/structs.ts (FRAME) relies on. */
_Static_assert(offsetof(struct ovph_frame, id) == 8, "frame layout");
_Static_assert(offsetof(struct ovph_frame, version) == 12, "frame layout");
_Static_assert(offsetof(struct ovph_frame, timeout) == 16, "frame layout");
_Static_assert(offsetof(struct ovph_frame, collect) == 20, "frame layout");
_Static_assert(offsetof(struct ovph_frame, in) == 24, "frame layout");
_Static_assert(offsetof(struct ovph_frame, argv_guard) == 96, "frame layout");
_Static_assert(offsetof(struct ovph_frame, envp_guard) == 104, "frame layout");
_Static_assert(offsetof(struct ovph_frame, out) == 80, "frame layout");
_Static_assert(offsetof(struct ovph_frame, list) == 88, "frame layout");
_Static_assert(offsetof(struct ovph_frame, nodes) == 112, "frame layout");
_Static_assert(offsetof(struct ovph_frame, elapsed_ns) == 128, "frame layout");
_Static_assert(offsetof(struct ovph_frame, buf) == 136, "frame layout");

#define OVPH_MAX_LIST_NODES 10000 /* a longer list (or a cyclic one) is left to the slow path: return-list.ts */

/* A zeroed frame with CAP bytes for the return list. Free with ovph_free. */
OVPH_EXPORT struct ovph_frame *ovph_frame_new(int cap)
{
    struct ovph_frame *f = calloc(1, sizeof *f + (size_t)cap);
    if (f) f->cap = cap;
    return f;
}

OVPH_EXPORT int ovph_frame_size(void) { return (int)sizeof(struct ovph_frame); }

/* Header of a guarded strv: the live size; the pristine copy follows the live bytes. */
#define GUARD_HDR 16

static void strv_fill(char **v, char *copy, const char *block, int len, int count)
{
    memcpy(copy, block, (size_t)len);
    for (int i = 0, off = 0; i < count && off < len; i++) {
        v[i] = copy + off;
        off += (int)strlen(copy + off) + 1;
    }
}

/* As ovph_strv_new, plus a pristine copy used by ovph_strv_restore. Free with ovph_strv_guarded_free. */
OVPH_EXPORT char **ovph_strv_guarded(const char *block, int len, int count, int min_slots)
{
    int slots = (count > min_slots ? count : min_slots) + 1;
    size_t live = sizeof(char *) * (size_t)slots + (size_t)len;
    unsigned char *m = malloc(GUARD_HDR + 2 * live);
    if (!m) return NULL;
    *(size_t *)m = live;
    char **v = (char **)(m + GUARD_HDR);
    memset(v, 0, sizeof(char *) * (size_t)slots);
    strv_fill(v, (char *)(v + slots), block, len, count);
    memcpy((unsigned char *)v + live, v, live);
    return v;
}

/* Undo any write a plugin made into a guarded strv (its pointers or its strings). Returns 1 if it had to. */
OVPH_EXPORT int ovph_strv_restore(char **v)
{
    if (!v) return 0;
    size_t live = *(size_t *)((unsigned char *)v - GUARD_HDR);
    unsigned char *pristine = (unsigned char *)v + live;
    if (!memcmp(v, pristine, live)) return 0;
    memcpy(v, pristine, live);
    return 1;
}

OVPH_EXPORT void ovph_strv_guarded_free(char **v)
{
    if (v) free((unsigned char *)v - GUARD_HDR);
}

/* Copy the list into the frame (nodes >= 0) and free it as OpenVPN does; if it does not fit or is too long, leave
 * it in f->list for the caller (nodes = -1). */
static void frame_take_list(struct ovph_frame *f)
{
    struct openvpn_plugin_string_list *l = f->list;
    size_t used = 0, cap = (size_t)f->cap;
    int n = 0;
    f->nodes = 0;
    f->used = 0;
    if (!l) return;
    for (const struct openvpn_plugin_string_list *p = l; p; p = p->next) {
        size_t nl = p->name ? strlen(p->name) : 0, vl = p->value ? strlen(p->value) : 0;
        size_t need = 8 + ((nl + vl + 3) & ~(size_t)3);
        if (++n > OVPH_MAX_LIST_NODES || nl > INT_MAX || vl > INT_MAX || used + need > cap) {
            f->nodes = -1;
            return;
        }
        int32_t lens[2] = { p->name ? (int32_t)nl : -1, p->value ? (int32_t)vl : -1 };
        memcpy(f->buf + used, lens, 8);
        if (nl) memcpy(f->buf + used + 8, p->name, nl);
        if (vl) memcpy(f->buf + used + 8 + nl, p->value, vl);
        used += need;
    }
    f->nodes = n;
    f->used = (int)used;
    ovph_list_free(l);
    f->list = NULL;
}

/* One hook call described by F. Returns the plugin's return code. */
OVPH_EXPORT int ovph_frame_call(struct ovph_frame *f)
{
    int rc, id = f->id, type = f->in.type;
    unsigned timeout = f->timeout;
    struct timespec t0, t1;
    f->list = NULL;
    f->out.return_list = f->collect ? &f->list : NULL;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    switch (f->version) {
    case 3:
        CALL_AT(&t0, rc = ((func_v3_fn)f->fn)(OPENVPN_PLUGINv3_STRUCTVER, &f->in, &f->out));
        break;
    case 2:
        CALL_AT(&t0, rc = ((func_v2_fn)f->fn)(f->in.handle, type, (const char **)f->in.argv, (const char **)f->in.envp,
                                              f->in.per_client_context, f->collect ? &f->list : NULL));
        break;
    default:
        CALL_AT(&t0, rc = ((func_v1_fn)f->fn)(f->in.handle, type, (const char **)f->in.argv, (const char **)f->in.envp));
        break;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    f->elapsed_ns = (int64_t)(t1.tv_sec - t0.tv_sec) * 1000000000LL + (t1.tv_nsec - t0.tv_nsec);
    ovph_strv_restore(f->argv_guard);
    ovph_strv_restore(f->envp_guard);
    frame_take_list(f);
    return rc;
}

/* ---- child processes --------------------------------------------------------------------------- */

/* Reap PID if it is a zombie; returns its raw wait status, or -1 if it was not reapable. */
OVPH_EXPORT int ovph_reap(int pid)
{
    int status = 0;
    pid_t r = waitpid(pid, &status, WNOHANG);
    return r == pid ? status : -1;
}
