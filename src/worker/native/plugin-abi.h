/* plugin-abi.h — the OpenVPN 2.6 plugin ABI as the runtime needs it: types, struct layouts and constants.
 *
 * These are facts of the binary interface (what a compiled plugin expects in memory), declared here so that the
 * runtime builds without OpenVPN's development header. `make test` compiles native-fixtures/abi-layout.c against
 * this file and against the distribution's real openvpn-plugin.h and checks that both print the same layout.
 */
#ifndef OVPH_PLUGIN_ABI_H
#define OVPH_PLUGIN_ABI_H

#include <stdarg.h>
#include <stddef.h>

/* Version of the plugin interface, and of the v3 argument structs. */
#define OPENVPN_PLUGIN_VERSION 3
#define OPENVPN_PLUGINv3_STRUCTVER 5

/* Hook types (bit positions in the type mask). 11 (ENABLE_PF) is gone in 2.6. */
#define OPENVPN_PLUGIN_UP 0
#define OPENVPN_PLUGIN_DOWN 1
#define OPENVPN_PLUGIN_ROUTE_UP 2
#define OPENVPN_PLUGIN_IPCHANGE 3
#define OPENVPN_PLUGIN_TLS_VERIFY 4
#define OPENVPN_PLUGIN_AUTH_USER_PASS_VERIFY 5
#define OPENVPN_PLUGIN_CLIENT_CONNECT 6
#define OPENVPN_PLUGIN_CLIENT_DISCONNECT 7
#define OPENVPN_PLUGIN_LEARN_ADDRESS 8
#define OPENVPN_PLUGIN_CLIENT_CONNECT_V2 9
#define OPENVPN_PLUGIN_TLS_FINAL 10
#define OPENVPN_PLUGIN_ROUTE_PREDOWN 12
#define OPENVPN_PLUGIN_CLIENT_CONNECT_DEFER 13
#define OPENVPN_PLUGIN_CLIENT_CONNECT_DEFER_V2 14
#define OPENVPN_PLUGIN_CLIENT_CRRESPONSE 15
#define OPENVPN_PLUGIN_N 16
#define OPENVPN_PLUGIN_MASK(x) (1 << (x))

/* How a plugin marks its entry points (nothing extra with gcc on Linux). */
#define OPENVPN_EXPORT

/* What a hook returns. */
#define OPENVPN_PLUGIN_FUNC_SUCCESS 0
#define OPENVPN_PLUGIN_FUNC_ERROR 1
#define OPENVPN_PLUGIN_FUNC_DEFERRED 2

/* When a plugin asks to be opened (openvpn_plugin_select_initialization_point_v1). */
#define OPENVPN_PLUGIN_INIT_PRE_CONFIG_PARSE 1
#define OPENVPN_PLUGIN_INIT_PRE_DAEMON 2
#define OPENVPN_PLUGIN_INIT_POST_DAEMON 3
#define OPENVPN_PLUGIN_INIT_POST_UID_CHANGE 4

typedef void *openvpn_plugin_handle_t;

/* A name/value list a plugin returns (malloc'd by the plugin, freed by the host). */
struct openvpn_plugin_string_list {
    struct openvpn_plugin_string_list *next;
    char *name;
    char *value;
};

/* Flags of a plugin_log call. */
typedef enum {
    PLOG_ERR = 1 << 0,
    PLOG_WARN = 1 << 1,
    PLOG_NOTE = 1 << 2,
    PLOG_DEBUG = 1 << 3,
    PLOG_ERRNO = 1 << 8,
    PLOG_NOMUTE = 1 << 9,
} openvpn_plugin_log_flags_t;

/* The callbacks table the host hands to open_v3. */
typedef void (*plugin_log_t)(openvpn_plugin_log_flags_t flags, const char *plugin_name, const char *format, ...)
    __attribute__((format(printf, 3, 4)));
typedef void (*plugin_vlog_t)(openvpn_plugin_log_flags_t flags, const char *plugin_name, const char *format, va_list arglist)
    __attribute__((format(printf, 3, 0)));
typedef void (*plugin_secure_memzero_t)(void *data, size_t len);
typedef int (*plugin_base64_encode_t)(const void *data, int size, char **str);
typedef int (*plugin_base64_decode_t)(const char *str, void *data, int size);

struct openvpn_plugin_callbacks {
    plugin_log_t plugin_log;
    plugin_vlog_t plugin_vlog;
    plugin_secure_memzero_t plugin_secure_memzero;
    plugin_base64_encode_t plugin_base64_encode;
    plugin_base64_decode_t plugin_base64_decode;
};

/* Which TLS library current_cert comes from. */
typedef enum { SSLAPI_NONE, SSLAPI_OPENSSL, SSLAPI_MBEDTLS } ovpnSSLAPI;

/* open_v3's arguments and results. */
struct openvpn_plugin_args_open_in {
    const int type_mask;
    const char **const argv;
    const char **const envp;
    struct openvpn_plugin_callbacks *callbacks;
    const ovpnSSLAPI ssl_api;
    const char *ovpn_version;
    const unsigned int ovpn_version_major;
    const unsigned int ovpn_version_minor;
    const char *const ovpn_version_patch;
};

struct openvpn_plugin_args_open_return {
    int type_mask;
    openvpn_plugin_handle_t handle;
    struct openvpn_plugin_string_list **return_list;
};

/* func_v3's arguments and results; current_cert is an OpenSSL X509 * (opaque here). */
struct openvpn_plugin_args_func_in {
    const int type;
    const char **const argv;
    const char **const envp;
    openvpn_plugin_handle_t handle;
    void *per_client_context;
    int current_cert_depth;
    void *current_cert;
};

struct openvpn_plugin_args_func_return {
    struct openvpn_plugin_string_list **return_list;
};

#endif
