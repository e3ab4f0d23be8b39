// The library's public API: open a plugin chain in a worker, call hooks, run client-connect, read typed results.
export { PluginHost, isFailure, openHost, HostOpenError } from './host/host.js';
export { Client } from './host/client.js';
export type { ConnectOptions } from './host/client.js';
export type * from './protocol/client-results.js';
export type { HostOptions, HookCallOptions, HookCallResult, HookReturnedOutcome, PluginCallReport } from './host/host.js';
export type { ClientConnectOptions, ClientConnectResult, ClientConnectDone, ClientConnectStep } from './host/client-connect-stage.js';
export type { FailureOutcome, LoadErrorOutcome, CrashedOutcome, HungOutcome } from './protocol/failures.js';
export { EXIT } from './protocol/failures.js';
export type { PluginLogEntry } from './host/worker/log-pipe.js';
export type { PluginInfo } from './protocol/messages.js';
export type { PluginSpec } from './worker/plugin/plugin.js';
export { HOOKS, hookName, parseHookName, returnName } from './openvpn/constants.js';
export type { HookName } from './openvpn/constants.js';
export { envForHook, firstClientLife, serverOpenEnv } from './openvpn/server-env.js';
export { parseClientConfig, mergeConfigs } from './openvpn/client-config.js';
