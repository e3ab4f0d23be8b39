/* abi-layout: not a plugin; prints the sizes and offsets of the openvpn-plugin.h structs (and key constants) as one JSON object. */
#include <openvpn-plugin.h>
#include <stddef.h>
#include <stdio.h>

#define FIELD(T, f, last) printf("\"" #f "\":%zu%s", offsetof(T, f), (last) ? "" : ",")
#define BEGIN(key, T) printf("\"" key "\":{\"size\":%zu,\"fields\":{", sizeof(T))
#define END(last) printf("}}%s", (last) ? "" : ",")

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

    printf("\"constants\":{\"OPENVPN_PLUGINv3_STRUCTVER\":%d,\"OPENVPN_PLUGIN_VERSION\":%d,\"OPENVPN_PLUGIN_N\":%d}",
           OPENVPN_PLUGINv3_STRUCTVER, OPENVPN_PLUGIN_VERSION, OPENVPN_PLUGIN_N);
    printf("}\n");
    return 0;
}
