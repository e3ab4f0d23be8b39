/* abi-layout: not a plugin; prints the sizes and offsets of the openvpn-plugin.h structs and its constants as one JSON object.
 * Built twice: against the real openvpn-plugin.h, and with -DOWN_ABI_HEADER against the runtime's own declarations
 * (src/worker/native/plugin-abi.h); the ABI test checks that both print the same. */
#ifdef OWN_ABI_HEADER
#include "plugin-abi.h"
#else
#include <openvpn-plugin.h>
#endif
#include <stddef.h>
#include <stdio.h>

#define FIELD(T, f, last) printf("\"" #f "\":%zu%s", offsetof(T, f), (last) ? "" : ",")
#define BEGIN(key, T) printf("\"" key "\":{\"size\":%zu,\"fields\":{", sizeof(T))
#define END(last) printf("}}%s", (last) ? "" : ",")
#define CONST(c, last) printf("\"" #c "\":%d%s", (int)(c), (last) ? "" : ",")

int main(void)
{
    printf("{");

    BEGIN("string_list", struct openvpn_plugin_string_list);
    FIELD(struct openvpn_plugin_string_list, next, 0);
    FIELD(struct openvpn_plugin_string_list, name, 0);
    FIELD(struct openvpn_plugin_string_list, value, 1);
    END(0);

    BEGIN("callbacks", struct openvpn_plugin_callbacks);
    FIELD(struct openvpn_plugin_callbacks, plugin_log, 0);
    FIELD(struct openvpn_plugin_callbacks, plugin_vlog, 0);
    FIELD(struct openvpn_plugin_callbacks, plugin_secure_memzero, 0);
    FIELD(struct openvpn_plugin_callbacks, plugin_base64_encode, 0);
    FIELD(struct openvpn_plugin_callbacks, plugin_base64_decode, 1);
    END(0);

    BEGIN("open_in", struct openvpn_plugin_args_open_in);
    FIELD(struct openvpn_plugin_args_open_in, type_mask, 0);
    FIELD(struct openvpn_plugin_args_open_in, argv, 0);
    FIELD(struct openvpn_plugin_args_open_in, envp, 0);
    FIELD(struct openvpn_plugin_args_open_in, callbacks, 0);
    FIELD(struct openvpn_plugin_args_open_in, ssl_api, 0);
    FIELD(struct openvpn_plugin_args_open_in, ovpn_version, 0);
    FIELD(struct openvpn_plugin_args_open_in, ovpn_version_major, 0);
    FIELD(struct openvpn_plugin_args_open_in, ovpn_version_minor, 0);
    FIELD(struct openvpn_plugin_args_open_in, ovpn_version_patch, 1);
    END(0);

    BEGIN("open_return", struct openvpn_plugin_args_open_return);
    FIELD(struct openvpn_plugin_args_open_return, type_mask, 0);
    FIELD(struct openvpn_plugin_args_open_return, handle, 0);
    FIELD(struct openvpn_plugin_args_open_return, return_list, 1);
    END(0);

    BEGIN("func_in", struct openvpn_plugin_args_func_in);
    FIELD(struct openvpn_plugin_args_func_in, type, 0);
    FIELD(struct openvpn_plugin_args_func_in, argv, 0);
    FIELD(struct openvpn_plugin_args_func_in, envp, 0);
    FIELD(struct openvpn_plugin_args_func_in, handle, 0);
    FIELD(struct openvpn_plugin_args_func_in, per_client_context, 0);
    FIELD(struct openvpn_plugin_args_func_in, current_cert_depth, 0);
    FIELD(struct openvpn_plugin_args_func_in, current_cert, 1);
    END(0);

    BEGIN("func_return", struct openvpn_plugin_args_func_return);
    FIELD(struct openvpn_plugin_args_func_return, return_list, 1);
    END(0);

    printf("\"constants\":{\"OPENVPN_PLUGINv3_STRUCTVER\":%d,\"OPENVPN_PLUGIN_VERSION\":%d,\"OPENVPN_PLUGIN_N\":%d},",
           OPENVPN_PLUGINv3_STRUCTVER, OPENVPN_PLUGIN_VERSION, OPENVPN_PLUGIN_N);

    /* hook type numbers (ENABLE_PF, 11, is commented out in the 2.6 header) */
    printf("\"hooks\":{");
    CONST(OPENVPN_PLUGIN_UP, 0); CONST(OPENVPN_PLUGIN_DOWN, 0); CONST(OPENVPN_PLUGIN_ROUTE_UP, 0);
    CONST(OPENVPN_PLUGIN_IPCHANGE, 0); CONST(OPENVPN_PLUGIN_TLS_VERIFY, 0);
    CONST(OPENVPN_PLUGIN_AUTH_USER_PASS_VERIFY, 0); CONST(OPENVPN_PLUGIN_CLIENT_CONNECT, 0);
    CONST(OPENVPN_PLUGIN_CLIENT_DISCONNECT, 0); CONST(OPENVPN_PLUGIN_LEARN_ADDRESS, 0);
    CONST(OPENVPN_PLUGIN_CLIENT_CONNECT_V2, 0); CONST(OPENVPN_PLUGIN_TLS_FINAL, 0);
    CONST(OPENVPN_PLUGIN_ROUTE_PREDOWN, 0); CONST(OPENVPN_PLUGIN_CLIENT_CONNECT_DEFER, 0);
    CONST(OPENVPN_PLUGIN_CLIENT_CONNECT_DEFER_V2, 0); CONST(OPENVPN_PLUGIN_CLIENT_CRRESPONSE, 1);
    printf("},\"returns\":{");
    CONST(OPENVPN_PLUGIN_FUNC_SUCCESS, 0); CONST(OPENVPN_PLUGIN_FUNC_ERROR, 0); CONST(OPENVPN_PLUGIN_FUNC_DEFERRED, 1);
    printf("},\"plog\":{");
    CONST(PLOG_ERR, 0); CONST(PLOG_WARN, 0); CONST(PLOG_NOTE, 0); CONST(PLOG_DEBUG, 0); CONST(PLOG_ERRNO, 0);
    CONST(PLOG_NOMUTE, 1);
    printf("},\"init_points\":{");
    CONST(OPENVPN_PLUGIN_INIT_PRE_CONFIG_PARSE, 0); CONST(OPENVPN_PLUGIN_INIT_PRE_DAEMON, 0);
    CONST(OPENVPN_PLUGIN_INIT_POST_DAEMON, 0); CONST(OPENVPN_PLUGIN_INIT_POST_UID_CHANGE, 1);
    printf("},\"misc\":{");
    CONST(SSLAPI_OPENSSL, 0);
#ifndef OWN_ABI_HEADER /* the version of the OpenVPN that shipped the header: not part of the ABI */
    CONST(OPENVPN_VERSION_MAJOR, 0); CONST(OPENVPN_VERSION_MINOR, 0);
    printf("\"OPENVPN_VERSION_PATCH\":\"%s\",", OPENVPN_VERSION_PATCH);
#endif
    printf("\"sizeof_log_flags\":%zu,\"sizeof_ssl_api\":%zu", sizeof(openvpn_plugin_log_flags_t), sizeof(ovpnSSLAPI));
    printf("}}\n");
    return 0;
}
