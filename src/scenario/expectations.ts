// Check a client's connect/disconnect result against the scenario's expectations. Pure: results in, verdicts out.
import type { ConnectResult, DisconnectResult, RenegotiateResult } from '../protocol/client-results.js';
import type {
  ConnectExpectations,
  DisconnectExpectations,
  HooksExpectation,
  LogsExpectation,
  RenegotiateExpectations,
  StepName,
  TextMatcher,
} from './schema.js';
import type { PluginLogEntry } from '../protocol/logs.js';

/** One checked expectation. `expectation` is the field's path under expect/expectDisconnect (e.g. "logs.contains[1]"). */
export interface ExpectationResult {
  client: string;
  step: StepName;
  expectation: string;
  pass: boolean;
  expected: unknown;
  actual: unknown;
  /** What was expected, in words (stable: JUnit test case names use it). */
  description: string;
  /** The description, and on failure what was found instead (one line). */
  message: string;
}

type AnyResult = ConnectResult | DisconnectResult | RenegotiateResult;
type AnyExpectations = ConnectExpectations | DisconnectExpectations | RenegotiateExpectations;

const FAILURES = new Set(['crashed', 'hung', 'load-error']);

/** True for a result where the worker died or never ran (crashed, hung, load-error). */
export function isFailureResult(r: AnyResult): boolean {
  return FAILURES.has(r.outcome);
}

/** A one-line summary of a result, for reports and failure messages. */
export function summarize(r: AnyResult): string {
  switch (r.outcome) {
    case 'connected': {
      const defer = [
        r.auth.deferred ? `auth deferred, ${r.auth.polls} re-checks` : '',
        r.clientConnect.deferred ? `client-connect deferred, ${r.clientConnect.polls} re-checks` : '',
      ].filter(Boolean);
      return `connected as ${r.address}${defer.length ? ` (${defer.join('; ')})` : ''}`;
    }
    case 'renewed':
      return `renewed${r.auth.deferred ? ` (auth deferred, ${r.auth.polls} re-checks)` : ''}${r.token ? ` (session_state ${r.token.sessionState}${r.token.pluginsSkipped ? ', plugins skipped' : ''})` : ''}`;
    case 'rejected':
      return `rejected at ${r.stage}: ${r.clientSees}${'tunnelKilled' in r ? ', the tunnel was killed' : ''}`;
    case 'timeout':
      return `timeout at ${r.stage}: ${r.pending}`;
    case 'fatal':
      return `fatal at ${r.stage}: ${r.reason}`;
    case 'dropped':
      return `dropped at ${r.stage} by ${r.by === 'client' ? 'the client vanishing' : `the server's ${r.by}`}`;
    case 'disconnected': {
      if (!r.vanished) return 'disconnected';
      const left = r.vanished.leftBehind.map((f) => f.split('/').pop());
      return `vanished during ${r.vanished.stage}; OpenVPN would leave ${left.length ? `${left.join(', ')} (removed by the host)` : 'no file'}`;
    }
    case 'load-error':
      return `load error: ${r.error.message}`;
    case 'crashed':
    case 'hung':
      return `${r.outcome}: ${r.message}`;
  }
}

/** The texts `reason` is matched against (it holds when any matches): for rejected, the reason and what the client
 * sees (AUTH_FAILED,...); fatal: the reason; timeout: what was pending; crashed/hung/load-error: the message. */
export function reasonsOf(r: ConnectResult | RenegotiateResult): string[] {
  switch (r.outcome) {
    case 'rejected':
      return r.reason !== undefined && r.reason !== r.clientSees ? [r.reason, r.clientSees] : [r.clientSees];
    case 'fatal':
      return [r.reason];
    case 'timeout':
      return [r.pending];
    case 'load-error':
      return [r.error.message];
    case 'crashed':
    case 'hung':
      return [r.message];
    default:
      return [];
  }
}

/** Log lines as matched by `logs`: "plugin: message". */
export function logLines(logs: readonly PluginLogEntry[] | undefined): string[] {
  return (logs ?? []).map((l) => `${l.plugin}: ${l.message}`);
}

function matches(m: TextMatcher, text: string): boolean {
  return m.regex ? m.regex.test(text) : text.includes(m.text);
}

function describeMatcher(m: TextMatcher): string {
  return m.regex ? m.text : JSON.stringify(m.text);
}

function q(value: unknown): string {
  return value === undefined ? 'nothing' : typeof value === 'string' ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
}

/** Collects results for one client step. */
class Verdicts {
  readonly out: ExpectationResult[] = [];
  constructor(
    private readonly client: string,
    private readonly step: StepName,
    private readonly context: string,
  ) {}

  add(expectation: string, pass: boolean, expected: unknown, actual: unknown, what: string, got: string): void {
    this.out.push({
      client: this.client,
      step: this.step,
      expectation,
      pass,
      expected,
      actual,
      description: what,
      message: pass ? what : `${what}: got ${got}${this.context}`,
    });
  }
}

function checkHooks(v: Verdicts, h: HooksExpectation, hooks: string[] | undefined): void {
  const got = hooks ?? [];
  const list = hooks === undefined ? 'no hooks (not reported)' : got.length ? got.join(', ') : 'no hooks';
  if (h.equals) {
    const pass = hooks !== undefined && got.length === h.equals.length && got.every((x, i) => x === h.equals![i]);
    v.add('hooks.equals', pass, h.equals, hooks, `hooks called: ${h.equals.join(', ') || '(none)'}`, list);
  }
  h.includes?.forEach((name, i) => {
    v.add(`hooks.includes[${i}]`, got.includes(name), name, hooks, `hook ${name} called`, list);
  });
  h.excludes?.forEach((name, i) => {
    v.add(`hooks.excludes[${i}]`, !got.includes(name), name, hooks, `hook ${name} not called`, list);
  });
}

function checkLogs(v: Verdicts, l: LogsExpectation, logs: readonly PluginLogEntry[] | undefined): void {
  const lines = logLines(logs);
  const count = `${lines.length} log line${lines.length === 1 ? '' : 's'}`;
  l.contains?.forEach((m, i) => {
    const hit = lines.find((line) => matches(m, line));
    v.add(`logs.contains[${i}]`, hit !== undefined, m.text, hit ?? null, `a log line matches ${describeMatcher(m)}`, `no line matches (${count})`);
  });
  l.excludes?.forEach((m, i) => {
    const hit = lines.find((line) => matches(m, line));
    v.add(`logs.excludes[${i}]`, hit === undefined, m.text, hit ?? null, `no log line matches ${describeMatcher(m)}`, q(hit));
  });
}

/** The extra context appended to a failure message: what the result actually was. */
function contextOf(r: AnyResult): string {
  return ` [${summarize(r)}]`;
}

/** The outcome (a crash or hang the scenario did not expect fails it) and the stage a life stopped at: connect and
 * renegotiate check them alike. */
function checkOutcomeAndStage(v: Verdicts, e: { outcome?: string; stage?: string }, r: AnyResult): void {
  if (e.outcome !== undefined) {
    v.add('outcome', r.outcome === e.outcome, e.outcome, r.outcome, `outcome ${e.outcome}`, r.outcome);
  } else if (isFailureResult(r)) {
    v.add('outcome', false, 'no crash or hang', r.outcome, 'the plugin neither crashes nor hangs', r.outcome);
  }
  if (e.stage !== undefined) {
    const stage = 'stage' in r ? r.stage : undefined;
    v.add('stage', stage === e.stage, e.stage, stage, `stage ${e.stage}`, stage ?? `no stage (outcome ${r.outcome})`);
  }
}

/** Check a connect result. A crash or hang that the scenario did not expect is reported as a failed `outcome`. */
export function checkConnect(client: string, e: ConnectExpectations, r: ConnectResult, step: StepName = 'connect'): ExpectationResult[] {
  const v = new Verdicts(client, step, contextOf(r));
  const connected = r.outcome === 'connected' ? r : undefined;
  const life = isFailureResult(r) ? undefined : (r as Exclude<ConnectResult, { outcome: 'crashed' | 'hung' | 'load-error' }>);
  checkOutcomeAndStage(v, e, r);
  if (e.reason !== undefined) {
    const reasons = reasonsOf(r);
    const m = e.reason;
    v.add(
      'reason',
      reasons.some((x) => matches(m, x)),
      m.text,
      reasons.length > 1 ? reasons : (reasons[0] ?? null),
      `reason matches ${describeMatcher(m)}`,
      reasons.length ? reasons.map(q).join(' / ') : `no reason (outcome ${r.outcome})`,
    );
  }
  if (e.config) {
    const config = connected?.config;
    const got = config === undefined ? `no config (outcome ${r.outcome})` : q(config);
    e.config.contains?.forEach((m, i) => {
      v.add(`config.contains[${i}]`, config !== undefined && matches(m, config), m.text, config ?? null, `config contains ${describeMatcher(m)}`, got);
    });
    if (e.config.equals !== undefined) {
      const norm = (s: string) => s.replace(/\s+$/, '');
      v.add(
        'config.equals',
        config !== undefined && norm(config) === norm(e.config.equals),
        e.config.equals,
        config ?? null,
        `config equals ${q(norm(e.config.equals))}`,
        got,
      );
    }
  }
  if (e.options) {
    const options = connected?.options;
    const shown = (o: { name: string; args: string[] }) => [o.name, ...o.args].join(' ');
    const got = options === undefined ? `no options (outcome ${r.outcome})` : options.length ? options.map(shown).join('; ') : 'no options';
    e.options.present?.forEach((o, i) => {
      const hit = options?.find(
        (x) => x.name === o.name && (o.args === undefined || (x.args.length === o.args.length && x.args.every((a, j) => a === o.args![j]))),
      );
      const label = o.args === undefined ? `option ${o.name} present` : `option "${shown({ name: o.name, args: o.args })}" present`;
      v.add(`options.present[${i}]`, hit !== undefined, o, hit ? { name: hit.name, args: hit.args } : null, label, got);
    });
    e.options.absent?.forEach((name, i) => {
      const hit = options?.find((x) => x.name === name);
      v.add(
        `options.absent[${i}]`,
        options !== undefined && hit === undefined,
        name,
        hit ? { name: hit.name, args: hit.args } : null,
        `option ${name} absent`,
        hit ? q(shown(hit)) : got,
      );
    });
  }
  if (e.address !== undefined) {
    const address = connected?.address;
    v.add('address', address === e.address, e.address, address ?? null, `address ${e.address}`, address ?? `no address (outcome ${r.outcome})`);
  }
  if (e.deferred) {
    if (e.deferred.auth !== undefined) {
      const d = life?.auth.deferred;
      v.add(
        'deferred.auth',
        d === e.deferred.auth,
        e.deferred.auth,
        d ?? null,
        `auth ${e.deferred.auth ? 'deferred' : 'not deferred'}`,
        d === undefined ? 'unknown' : d ? 'deferred' : 'not deferred',
      );
    }
    if (e.deferred.clientConnect !== undefined) {
      const cc = life && 'clientConnect' in life ? life.clientConnect : undefined;
      const d = life ? (cc?.deferred ?? false) : undefined;
      v.add(
        'deferred.clientConnect',
        d === e.deferred.clientConnect,
        e.deferred.clientConnect,
        d ?? null,
        `client-connect ${e.deferred.clientConnect ? 'deferred' : 'not deferred'}`,
        d === undefined ? 'unknown' : d ? 'deferred' : cc ? 'not deferred' : 'not deferred (client-connect not reached)',
      );
    }
  }
  if (e.maxPolls !== undefined) {
    const cc = life && 'clientConnect' in life ? life.clientConnect : undefined;
    const polls = life ? life.auth.polls + (cc?.polls ?? 0) : undefined;
    v.add(
      'maxPolls',
      polls !== undefined && polls <= e.maxPolls,
      e.maxPolls,
      polls ?? null,
      `at most ${e.maxPolls} re-checks of deferred results`,
      polls === undefined ? 'unknown' : `${polls}`,
    );
  }
  if (e.maxBlockingMs !== undefined) {
    const worst = life?.hooks.reduce<{ hook: string; ms: number } | undefined>((w, h) => (w && w.ms >= h.ms ? w : { hook: h.hook, ms: h.ms }), undefined);
    v.add(
      'maxBlockingMs',
      // without a life (a crash, a load error) no hook call finished: only a hang is a call that blocked too long
      life !== undefined ? (worst?.ms ?? 0) <= e.maxBlockingMs : r.outcome !== 'hung',
      e.maxBlockingMs,
      worst ? Math.round(worst.ms) : null,
      `no hook call blocks longer than ${e.maxBlockingMs} ms`,
      worst ? `${worst.hook} blocked ${Math.round(worst.ms)} ms` : `no hook call finished (outcome ${r.outcome})`,
    );
  }
  if (e.decided !== undefined) {
    const undecided = r.outcome === 'timeout' || (r.outcome === 'rejected' && r.stage === 'auth' && /not decided within/.test(r.reason ?? ''));
    v.add(
      'decided',
      e.decided === !undecided,
      e.decided,
      !undecided,
      e.decided ? 'every deferral gets a verdict' : 'a deferral stays undecided',
      undecided ? `undecided: ${reasonsOf(r)[0] ?? r.outcome}` : `decided (${r.outcome})`,
    );
  }
  if (e.authPending) {
    const p = life?.auth.pending;
    const none = `no auth_pending_file content${life ? '' : ` (outcome ${r.outcome})`}`;
    if (e.authPending.method !== undefined) {
      v.add(
        'authPending.method',
        p?.method === e.authPending.method,
        e.authPending.method,
        p?.method ?? null,
        `auth pending method ${e.authPending.method}`,
        p ? q(p.method) : none,
      );
    }
    if (e.authPending.timeout !== undefined) {
      v.add(
        'authPending.timeout',
        p?.timeout === e.authPending.timeout,
        e.authPending.timeout,
        p?.timeout ?? null,
        `auth pending timeout ${e.authPending.timeout} s`,
        p ? String(p.timeout) : none,
      );
    }
    if (e.authPending.extra !== undefined) {
      v.add(
        'authPending.extra',
        p !== undefined && matches(e.authPending.extra, p.extra),
        e.authPending.extra.text,
        p?.extra ?? null,
        `auth pending extra matches ${describeMatcher(e.authPending.extra)}`,
        p ? q(p.extra) : none,
      );
    }
  }
  if (e.logs) checkLogs(v, e.logs, r.logs);
  if (e.hooks)
    checkHooks(
      v,
      e.hooks,
      life?.hooks.map((h) => h.hook),
    );
  return v.out;
}

/** Check a disconnect result. */
export function checkDisconnect(client: string, e: DisconnectExpectations, r: DisconnectResult, step: StepName = 'disconnect'): ExpectationResult[] {
  const v = new Verdicts(client, step, contextOf(r));
  if (e.outcome !== undefined) {
    v.add('outcome', r.outcome === e.outcome, e.outcome, r.outcome, `outcome ${e.outcome}`, r.outcome);
  } else if (isFailureResult(r)) {
    v.add('outcome', false, 'no crash or hang', r.outcome, 'the plugin neither crashes nor hangs', r.outcome);
  }
  if (e.leftBehind) {
    const left = r.outcome === 'disconnected' ? r.vanished?.leftBehind.map((f) => /openvpn_([a-z]+)_[0-9a-f]+\.tmp$/.exec(f)?.[1] ?? f) : undefined;
    const got = left === undefined ? 'the client did not vanish during a deferral' : `[${left.join(', ')}]`;
    v.add('leftBehind', left !== undefined && left.join() === e.leftBehind.join(), e.leftBehind, left ?? null, `left behind [${e.leftBehind.join(', ')}]`, got);
  }
  if (e.hooks) checkHooks(v, e.hooks, r.outcome === 'disconnected' ? r.hooks.map((h) => h.hook) : undefined);
  if (e.logs) checkLogs(v, e.logs, r.logs);
  return v.out;
}

/** Check a renegotiate result ('rejected': the new key failed, the tunnel was killed). */
export function checkRenegotiate(client: string, e: RenegotiateExpectations, r: RenegotiateResult): ExpectationResult[] {
  const v = new Verdicts(client, 'renegotiate', contextOf(r));
  const life = isFailureResult(r) ? undefined : (r as Exclude<RenegotiateResult, { outcome: 'crashed' | 'hung' | 'load-error' }>);
  checkOutcomeAndStage(v, e, r);
  if (e.reason !== undefined) {
    const reasons = reasonsOf(r);
    const m = e.reason;
    const got = reasons.length ? reasons.map(q).join(' / ') : `no reason (outcome ${r.outcome})`;
    v.add(
      'reason',
      reasons.some((x) => matches(m, x)),
      m.text,
      reasons[0] ?? null,
      `reason matches ${describeMatcher(m)}`,
      got,
    );
  }
  if (e.deferred !== undefined) {
    const d = life?.auth.deferred;
    v.add(
      'deferred',
      d === e.deferred,
      e.deferred,
      d,
      `auth ${e.deferred ? '' : 'not '}deferred`,
      d === undefined ? 'no auth report' : d ? 'deferred' : 'not deferred',
    );
  }
  const token = life && 'token' in life ? life.token : undefined;
  const tokenGot = token ? `session_state ${token.sessionState}, plugins ${token.pluginsSkipped ? '' : 'not '}skipped` : 'no auth-gen-token report';
  if (e.token?.sessionState !== undefined) {
    const st = e.token.sessionState;
    v.add('token.sessionState', token?.sessionState === st, st, token?.sessionState, `session_state ${st}`, tokenGot);
  }
  if (e.token?.pluginsSkipped !== undefined) {
    const sk = e.token.pluginsSkipped;
    v.add('token.pluginsSkipped', token?.pluginsSkipped === sk, sk, token?.pluginsSkipped, `the plugins' AUTH call ${sk ? '' : 'not '}skipped`, tokenGot);
  }
  if (e.hooks)
    checkHooks(
      v,
      e.hooks,
      life?.hooks.map((h) => h.hook),
    );
  if (e.logs) checkLogs(v, e.logs, r.logs);
  return v.out;
}

/** The expectation paths of E, as checkConnect/checkDisconnect/checkRenegotiate name them. */
export function expectationKeys(e: AnyExpectations): string[] {
  const keys: string[] = [];
  const one = (key: string, value: unknown) => {
    if (value !== undefined) keys.push(key);
  };
  const each = (key: string, values: readonly unknown[] | undefined) => {
    for (let i = 0; i < (values?.length ?? 0); i++) keys.push(`${key}[${i}]`);
  };
  const c = e as ConnectExpectations;
  one('outcome', c.outcome);
  one('leftBehind', (e as DisconnectExpectations).leftBehind);
  one('stage', c.stage);
  one('reason', c.reason);
  each('config.contains', c.config?.contains);
  one('config.equals', c.config?.equals);
  each('options.present', c.options?.present);
  each('options.absent', c.options?.absent);
  one('address', c.address);
  const deferred = c.deferred as unknown;
  if (typeof deferred === 'boolean') one('deferred', deferred);
  one('deferred.auth', c.deferred?.auth);
  one('deferred.clientConnect', c.deferred?.clientConnect);
  one('maxPolls', c.maxPolls);
  one('maxBlockingMs', c.maxBlockingMs);
  one('decided', c.decided);
  one('authPending.method', c.authPending?.method);
  one('authPending.timeout', c.authPending?.timeout);
  one('authPending.extra', c.authPending?.extra);
  const token = (e as RenegotiateExpectations).token;
  one('token.sessionState', token?.sessionState);
  one('token.pluginsSkipped', token?.pluginsSkipped);
  each('logs.contains', c.logs?.contains);
  each('logs.excludes', c.logs?.excludes);
  one('hooks.equals', c.hooks?.equals);
  each('hooks.includes', c.hooks?.includes);
  each('hooks.excludes', c.hooks?.excludes);
  return keys;
}

/** A step that could not run (the worker had died, or the step threw): every expectation of it fails with WHY. */
export function notRun(client: string, step: StepName, e: AnyExpectations, why: string): ExpectationResult[] {
  const keys = expectationKeys(e);
  return keys.map((expectation) => ({
    client,
    step,
    expectation,
    pass: false,
    expected: undefined,
    actual: null,
    description: expectation,
    message: `${expectation}: not checked, ${why}`,
  }));
}

/** True when R is a crash or hang that the expectations did not ask for (exit code 4). */
export function unexpectedCrashOrHang(expectedOutcome: string | undefined, r: AnyResult): boolean {
  return (r.outcome === 'crashed' || r.outcome === 'hung') && expectedOutcome !== r.outcome;
}
