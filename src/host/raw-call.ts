// One raw hook call (`ovpn-plugin-host call`): OpenVPN 2.6.14's env/argv for the hook, overrides, hook files, TLS_VERIFY cert.
import type { HookName } from '../openvpn/constants.js';
import { PluginHost, isFailure, type PluginCallReport } from './host.js';
import type { FailureOutcome } from '../protocol/failures.js';
import type { EnvSet } from '../openvpn/env-set.js';
import { HookFiles, filesCreatedFor, type HookFileReport } from './hook-files.js';
import { envForHook } from '../openvpn/server-env.js';
import type { PluginLogEntry } from '../protocol/logs.js';
import type { PluginSpec, PluginInfo } from '../protocol/messages.js';

/** Bad input for a raw call (the CLI exits 2 with this message). */
export class RawCallInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RawCallInputError';
  }
}

export interface RawCallOptions {
  plugin: PluginSpec;
  hook: HookName;
  /** Hooks called after HOOK, in order, in the same host and, for client hooks, the same per-client context (one
   * client's contexts, made once): e.g. CLIENT_CONNECT_DEFER_V2 after a deferring CLIENT_CONNECT_V2. ENV and ARGV
   * apply to each. */
  nextHooks?: HookName[];
  /** NAME/VALUE pairs applied in order over the hook's default env: an existing NAME is replaced in place,
   * a new one is added at the front (newest first, as OpenVPN's env_set does). */
  env?: Array<[string, string]>;
  /** Replaces the hook's default argv after argv[0]. */
  argv?: string[];
  /** Give the plugin a fresh per-client context when OpenVPN passes a client's context for HOOK (default true);
   * false: the generic (server) context, as for UP/DOWN. */
  perClient?: boolean;
  callTimeoutMs?: number;
  onLog?: (entry: PluginLogEntry) => void;
}

export interface RawCallReturned {
  outcome: 'returned';
  hook: HookName;
  returnCode: number;
  returnName: string;
  notRegistered: boolean;
  /** The first "config" node OpenVPN would import, or null. */
  config: string | null;
  calls: PluginCallReport[];
  /** The hook files (created empty before the call) and their content right after it. */
  files: HookFileReport[];
  /** Everything the plugin logged, from open to close. */
  logs: PluginLogEntry[];
  /** argv as the plugin saw it, argv[0] (the path as given) first. */
  argv: string[];
  /** envp as the plugin saw it, in order. */
  env: string[];
  /** A remark about this hook's inputs (e.g. ENABLE_PF is never called by OpenVPN 2.6). */
  note?: string;
  /** The call returned, but closing the plugin afterwards crashed or hung. */
  closeFailure?: FailureOutcome;
  /** With RawCallOptions.nextHooks: the hooks called after this one, in order (the log is the run's, above). */
  next?: RawCallStep[];
}

/** One of the hooks a run with several hooks called after the first. */
export type RawCallStep = Omit<RawCallReturned, 'outcome' | 'logs' | 'closeFailure' | 'next'>;

export type RawCallResult = RawCallReturned | FailureOutcome;

interface PreparedCall {
  /** Arguments after argv[0]. */
  argv: string[];
  env: EnvSet;
  /** Give the plugin a fresh per-client context (a client's hook) rather than the generic one. */
  perClient: boolean;
  certDer?: Buffer;
  certDepth?: number;
  note?: string;
}

/** TLS_VERIFY's depth: argv[1] when the user gives argv, else 0. */
function tlsDepth(argv: string[] | undefined): number {
  const text = argv?.[0] ?? '0';
  if (!/^\d+$/.test(text)) throw new RawCallInputError(`TLS_VERIFY's first argument is the certificate depth (0 = the client's); got '${text}'`);
  return Number(text);
}

/** The hook's default argv/env (its temp files created empty in FILES' dir), then the user's overrides. */
function prepareCall(options: Pick<RawCallOptions, 'hook' | 'env' | 'argv' | 'perClient'>, files: HookFiles): PreparedCall {
  const { hook } = options;
  const depth = hook === 'TLS_VERIFY' ? tlsDepth(options.argv) : undefined;
  let base;
  try {
    base = envForHook(hook, { tmpDir: files.dir, certDepth: depth });
  } catch (err) {
    if (err instanceof RangeError) throw new RawCallInputError(`TLS_VERIFY at depth ${depth}: ${err.message}`);
    throw err;
  }
  const env = base.env;
  // The files OpenVPN creates for this hook: its placeholder names point into our private dir; create them empty.
  // (Stale names of other hooks' files stay in the env, pointing at files that no longer exist, as in OpenVPN.)
  for (const key of filesCreatedFor(hook)) {
    const path = env.get(key);
    if (path !== undefined) files.add(key, path);
  }
  let argv = [...base.argv];
  if ((hook === 'CLIENT_CONNECT' || hook === 'CLIENT_CONNECT_DEFER') && argv[0] !== undefined && argv[0] !== env.get('client_connect_config_file')) {
    files.add('client_connect_config_file', argv[0]);
  }
  for (const [name, value] of options.env ?? []) {
    if (!name || name.includes('=')) throw new RawCallInputError(`bad env name '${name}'`);
    env.override(name, value);
  }
  if (options.argv) argv = [...options.argv];
  const prepared: PreparedCall = { argv, env, perClient: (options.perClient ?? true) && base.context === 'client', note: base.note };
  if (hook === 'TLS_VERIFY' && base.cert) {
    prepared.certDer = base.cert.der;
    prepared.certDepth = base.certDepth;
  }
  return prepared;
}

/** One raw call; abort() (Ctrl-C) removes the temp files and kills the worker at once. */
export class RawCall {
  private host: PluginHost | undefined;
  private files: HookFiles | undefined;
  private aborted = false;
  /** What the plugin reported at load/open (set once open succeeded). */
  plugin: PluginInfo | undefined;

  constructor(readonly options: RawCallOptions) {}

  async run(): Promise<RawCallResult> {
    const o = this.options;
    const files = HookFiles.create();
    this.files = files;
    try {
      // every hook's argv, env and files first: bad input for any of them is said before anything runs
      const inputs = [o.hook, ...(o.nextHooks ?? [])].map((hook) => ({ hook, input: prepareCall({ ...o, hook }, files) }));
      const host = await PluginHost.open({ plugins: [o.plugin], callTimeoutMs: o.callTimeoutMs, onLog: o.onLog });
      if (isFailure(host)) return host;
      this.host = host;
      this.plugin = host.plugins[0];
      if (this.aborted) await host.kill();
      // several hooks: one client's per-client contexts for all of them (its constructors run once, now)
      const client = o.nextHooks?.length ? host.client() : undefined;
      const steps: RawCallStep[] = [];
      for (const { hook, input } of inputs) {
        const r = await host.call(hook, {
          argv: input.argv,
          env: input.env.toEnvp(),
          perClient: input.perClient,
          client: input.perClient ? client : undefined,
          certDer: input.certDer,
          certDepth: input.certDepth,
        });
        if (isFailure(r)) {
          await host.kill();
          return { ...r, logs: [...host.logs] };
        }
        // Report the files the plugin was told about (a user's --env may have pointed a name elsewhere).
        const referenced = new Set([...input.env.entries().map(([, v]) => v), ...input.argv]);
        const step: RawCallStep = {
          hook: r.hook,
          returnCode: r.returnCode,
          returnName: r.returnName,
          notRegistered: r.notRegistered,
          config: r.config ?? null,
          calls: r.calls,
          files: files.report().filter((f) => referenced.has(f.path)),
          argv: [o.plugin.path, ...input.argv],
          env: input.env.toEnvp(),
        };
        if (input.note) step.note = input.note;
        steps.push(step);
      }
      const closeFailure = await host.close();
      const result: RawCallReturned = { outcome: 'returned', ...steps[0]!, logs: [...host.logs] };
      if (steps.length > 1) result.next = steps.slice(1);
      if (closeFailure) result.closeFailure = closeFailure;
      return result;
    } finally {
      files.remove();
    }
  }

  async abort(): Promise<void> {
    this.aborted = true;
    this.files?.remove();
    await this.host?.kill();
  }
}
