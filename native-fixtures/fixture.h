/* fixture.h — small helpers shared by the test plugins in native-fixtures/ (each .c is one plugin, one behaviour). */
#ifndef OVPH_FIXTURE_H
#define OVPH_FIXTURE_H

#ifdef OVPH_OWN_ABI_HEADER /* the prebuilt demo plugins, cross-compiled without OpenSSL's headers for the target */
#include "plugin-abi.h"
#else
#include <openvpn-plugin.h>
#endif
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <errno.h>
#include <time.h>
#include <sys/wait.h>

/* Value of KEY in the plugin's key=value arguments (argv[1..]; argv[0] is the plugin's path): the first, or DEF. */
static inline const char *fx_arg(const char *argv[], const char *key, const char *def)
{
    size_t n = strlen(key);
    for (int i = 1; argv && argv[i]; i++)
        if (!strncmp(argv[i], key, n) && argv[i][n] == '=') return argv[i] + n + 1;
    return def;
}

/* argv[1], the first argument after the plugin's path (in a v1 CLIENT_CONNECT call, the config file), or DEF. */
static inline const char *fx_argv1(const char *argv[], const char *def)
{
    return argv && argv[0] && argv[1] ? argv[1] : def;
}

/* Value of NAME in an OpenVPN envp array, or NULL. */
static inline const char *fx_getenv(const char *name, const char *envp[])
{
    if (!envp) return NULL;
    size_t n = strlen(name);
    for (int i = 0; envp[i]; i++)
        if (!strncmp(envp[i], name, n) && envp[i][n] == '=') return envp[i] + n + 1;
    return NULL;
}

/* OpenVPN's name of hook TYPE (OPENVPN_PLUGIN_<name>; 11 is the removed ENABLE_PF), or "UNKNOWN". */
static inline const char *fx_hook_name(int type)
{
    static const char *const names[OPENVPN_PLUGIN_N] = {
        "UP", "DOWN", "ROUTE_UP", "IPCHANGE", "TLS_VERIFY", "AUTH_USER_PASS_VERIFY", "CLIENT_CONNECT",
        "CLIENT_DISCONNECT", "LEARN_ADDRESS", "CLIENT_CONNECT_V2", "TLS_FINAL", "ENABLE_PF", "ROUTE_PREDOWN",
        "CLIENT_CONNECT_DEFER", "CLIENT_CONNECT_DEFER_V2", "CLIENT_CRRESPONSE",
    };
    return type >= 0 && type < OPENVPN_PLUGIN_N ? names[type] : "UNKNOWN";
}

/* The hook type whose fx_hook_name is NAME, or -1. */
static inline int fx_hook_type(const char *name)
{
    for (int t = 0; t < OPENVPN_PLUGIN_N; t++)
        if (!strcmp(name, fx_hook_name(t))) return t;
    return -1;
}

/* Number of entries in a NULL-terminated string array. */
static inline int fx_count(const char *v[])
{
    int n = 0;
    while (v && v[n]) n++;
    return n;
}

/* Overwrite FILE (no O_CREAT: OpenVPN creates it) with TEXT. Returns 0 on success. */
static inline int fx_write_file(const char *path, const char *text, int create)
{
    if (!path) return -1;
    int fd = open(path, O_WRONLY | O_TRUNC | (create ? O_CREAT : 0), 0600);
    if (fd < 0) return -1;
    size_t len = strlen(text);
    int rc = write(fd, text, len) == (ssize_t)len ? 0 : -1;
    close(fd);
    return rc;
}

/* Append LEN bytes of BUF to PATH (created 0600 if missing) with a single write(), so that the lines of concurrent
 * writers do not interleave. 0 on success, else -1 with errno set. */
static inline int fx_append(const char *path, const void *buf, size_t len)
{
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0600);
    if (fd < 0) return -1;
    int rc = write(fd, buf, len) == (ssize_t)len ? 0 : -1;
    int saved = errno;
    close(fd);
    errno = saved;
    return rc;
}

/* The recorders' list fields: "\t<argc>\t<argv[1..] joined by ,>\t<env keys joined by ,>" (test/parity/recorder.ts). */
static inline void fx_put_lists(FILE *f, const char *argv[], const char *envp[])
{
    fprintf(f, "\t%d\t", fx_count(argv));
    for (int i = 1; argv && argv[i]; i++) fprintf(f, "%s%s", i > 1 ? "," : "", argv[i]);
    fputc('\t', f);
    for (int i = 0; envp && envp[i]; i++) {
        const char *eq = strchr(envp[i], '=');
        fprintf(f, "%s%.*s", i ? "," : "", (int)(eq ? eq - envp[i] : (long)strlen(envp[i])), envp[i]);
    }
}

/* Write the byte B at offset 0 of PATH without truncating or creating it (OpenVPN creates the file). 0 on success. */
static inline int fx_put_byte(const char *path, char b)
{
    int fd = path ? open(path, O_WRONLY) : -1;
    if (fd < 0) return -1;
    int rc = pwrite(fd, &b, 1, 0) == 1 ? 0 : -1;
    close(fd);
    return rc;
}

/* Sleep MS milliseconds, through signals. */
static inline void fx_sleep_ms(int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) && errno == EINTR) {}
}

/* Double fork as the OpenVPN samples do: 1 in the grandchild, 0 in the caller (child reaped), -1 on error. */
static inline int fx_double_fork(void)
{
    pid_t p1 = fork();
    if (p1 < 0) return -1;
    if (p1 > 0) {
        while (waitpid(p1, NULL, 0) < 0 && errno == EINTR) {}
        return 0;
    }
    pid_t p2 = fork();
    if (p2 != 0) exit(p2 < 0 ? 1 : 0);
    return 1;
}

/* For a hook type the fixture does not handle: logs "UNEXPECTED hook type N" (PLOG_ERR) and returns ERROR. */
static inline int fx_unexpected(plugin_log_t log, const char *name, int type)
{
    log(PLOG_ERR, name, "UNEXPECTED hook type %d", type);
    return OPENVPN_PLUGIN_FUNC_ERROR;
}

/* A malloc'd return-list node, as OpenVPN expects (it frees name, value and node with free()). */
static inline struct openvpn_plugin_string_list *fx_node(const char *name, const char *value,
                                                         struct openvpn_plugin_string_list *next)
{
    struct openvpn_plugin_string_list *n = calloc(1, sizeof *n);
    n->name = name ? strdup(name) : NULL;
    n->value = value ? strdup(value) : NULL;
    n->next = next;
    return n;
}

#endif
