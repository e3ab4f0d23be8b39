// Default inputs that stand in for a real server's: the open-time env and a client's env at client-connect.
import type { HookName } from './constants.js';
import { envForHook, serverOpenEnv, type LifeParams } from './server-env.js';

/** OpenVPN 2.6.14's envp at plugin open (init point 2). */
export function defaultOpenEnv(): string[] {
  return serverOpenEnv().toEnvp();
}

export interface ClientDefaults {
  /** Hooks the chain registered: OpenVPN's env depends on them (auth files only with an auth plugin, ...). */
  registeredHooks?: readonly string[];
  commonName?: string;
  username?: string;
  /** User overrides, applied last: an existing var keeps its place, a new one goes to the front (EnvSet.override). */
  env?: Record<string, string>;
  params?: Partial<LifeParams>;
}

/** The client's env when the client-connect chain starts, before plugin v1 adds its two file names. */
export function clientConnectEnv(d: ClientDefaults = {}): string[] {
  const registered = d.registeredHooks
    ? ([...new Set([...d.registeredHooks.filter((h) => h !== 'CLIENT_CONNECT' && h !== 'CLIENT_CONNECT_DEFER'), 'CLIENT_CONNECT_V2'])] as HookName[])
    : (['TLS_VERIFY', 'CLIENT_CONNECT_V2'] as HookName[]);
  const overrides: Record<string, string> = {};
  if (d.commonName !== undefined) overrides.common_name = d.commonName;
  Object.assign(overrides, d.env ?? {});
  return envForHook('CLIENT_CONNECT_V2', {
    ...d.params,
    registeredHooks: registered,
    ...(d.username !== undefined ? { username: d.username } : {}),
    envOverrides: overrides,
  }).env.toEnvp();
}
