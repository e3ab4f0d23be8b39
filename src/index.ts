// The library's public API: open a plugin chain in a worker, call hooks, run client-connect, read typed results.
export { PluginHost, isFailure, openHost, HostOpenError } from './host.js';
export { Client } from './life/client.js';
export type { ConnectOptions } from './life/client.js';
export type * from './life/types.js';
export type { HostOptions, HookCallOptions, HookCallResult, HookReturnedOutcome, PluginCallReport } from './host.js';
export type { ClientConnectOptions, ClientConnectResult, ClientConnectDone, ClientConnectStep } from './stages/client-connect.js';
export type { FailureOutcome, LoadErrorOutcome, CrashedOutcome, HungOutcome } from './results.js';
export { EXIT } from './results.js';
export type { PluginLogEntry } from './supervisor/log-records.js';
export type { PluginInfo } from './worker/protocol.js';
export type { PluginSpec } from './plugin/plugin.js';
export { HOOKS, hookName, parseHookName, returnName } from './abi/constants.js';
export type { HookName } from './abi/constants.js';
export { envForHook, firstClientLife, serverOpenEnv } from './server/server-env.js';
export { parseClientConfig, mergeConfigs } from './server/client-config.js';
