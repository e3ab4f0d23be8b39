// The library's public API: open a plugin chain in a worker, call hooks, run clients, read typed results.
export { PluginHost, isFailure, openHost, HostOpenError } from './host/host.js';
export type { HookCallOptions, HookCallResult, HookReturnedOutcome, PluginCallReport } from './host/host.js';
export { Client } from './host/client.js';
export type { ClientInput, ConnectOptions, DeferralOptions, HostOptions } from './host/options.js';
export type * from './protocol/client-results.js';
export type { ClientConnectOptions, ClientConnectResult, ClientConnectDone } from './host/client-connect-stage.js';
export type { FailureOutcome, LoadErrorOutcome, CrashedOutcome, HungOutcome } from './protocol/failures.js';
export { EXIT } from './host/exit-codes.js';
export { BUNDLED_PLUGINS, bundledPlugin } from './host/bundled.js';
export type { BundledPluginName } from './host/bundled.js';
export type { PluginLogEntry } from './protocol/logs.js';
export type { PluginInfo, PluginSpec } from './protocol/messages.js';
export { HOOKS, hookName, parseHookName, returnName } from './openvpn/constants.js';
export type { HookName } from './openvpn/constants.js';
export { envForHook, firstClientLife, serverOpenEnv } from './openvpn/server-env.js';
export { parseClientConfig, mergeConfigs } from './openvpn/client-config.js';
export { ServerConfigError } from './openvpn/server-config.js';
