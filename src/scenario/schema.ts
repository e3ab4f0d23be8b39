// Scenario files (`run <scenario>`): parse JSON or YAML text and validate it into a typed Scenario. Pure: the caller
// reads the file; every error is one ScenarioError naming the file, the line, the field and what was wrong.
import { basename, dirname, isAbsolute, resolve } from 'node:path';
import { LineCounter, isAlias, isMap, isScalar, isSeq, parseDocument, type Document, type Node, type Pair } from 'yaml';
import { parseHookName } from '../openvpn/constants.js';
import { tokenizeConfigLine } from '../openvpn/client-config.js';
import type { LifeStage } from '../protocol/client-results.js';
import type { ClientInput } from '../host/options.js';

const CONNECT_OUTCOMES = ['connected', 'rejected', 'timeout', 'fatal', 'dropped', 'crashed', 'hung'] as const;
type ConnectOutcomeName = (typeof CONNECT_OUTCOMES)[number];
const DISCONNECT_OUTCOMES = ['disconnected', 'crashed', 'hung'] as const;
type DisconnectOutcomeName = (typeof DISCONNECT_OUTCOMES)[number];
const LIFE_STAGES = ['tls-verify', 'auth', 'tls-final', 'client-connect', 'learn-address'] as const satisfies readonly LifeStage[];
const RENEGOTIATE_OUTCOMES = ['renewed', 'rejected', 'fatal', 'crashed', 'hung'] as const;
type RenegotiateOutcomeName = (typeof RENEGOTIATE_OUTCOMES)[number];
const SESSION_STATES = ['Authenticated', 'Expired'] as const;
const STEPS = ['connect', 'renegotiate', 'disconnect', 'vanish'] as const;
/** The steps a client runs: its own (connect, renegotiate any number of times, then disconnect or vanish), and, with
 * a top-level `restart`, the runner's: `restart` (the client's end by the server's restart) and `reconnect` (a new
 * client instance). */
export type StepName = (typeof STEPS)[number] | 'restart' | 'reconnect';
const RESTART_SIGNALS = ['SIGHUP', 'SIGUSR1'] as const;

/** A text expectation: a substring, or a regular expression written "/source/flags". */
export interface TextMatcher {
  /** As written in the scenario. */
  text: string;
  regex?: RegExp;
}

export interface HooksExpectation {
  /** The exact ordered list of hook names called. */
  equals?: string[];
  /** Hook names that must each have been called (any order). */
  includes?: string[];
  /** Hook names that must not have been called. */
  excludes?: string[];
}

export interface LogsExpectation {
  /** Each must match at least one "plugin: message" line. */
  contains?: TextMatcher[];
  /** None may match any line. */
  excludes?: TextMatcher[];
}

interface OptionExpectation {
  name: string;
  /** When given, the option's arguments must be exactly these. */
  args?: string[];
}

/** Expectations on the result of `connect`. Every key is optional; absent keys are not checked. */
export interface ConnectExpectations {
  outcome?: ConnectOutcomeName;
  stage?: LifeStage;
  reason?: TextMatcher;
  config?: { contains?: TextMatcher[]; equals?: string };
  options?: { present?: OptionExpectation[]; absent?: string[] };
  address?: string;
  logs?: LogsExpectation;
  deferred?: { auth?: boolean; clientConnect?: boolean };
  maxPolls?: number;
  /** No hook call of this connect blocks longer than this (ms): a real server serves nobody meanwhile. */
  maxBlockingMs?: number;
  /** true: every deferral gets a verdict (no client-connect timeout, no deferred auth expiring undecided). */
  decided?: boolean;
  authPending?: { method?: string; timeout?: number; extra?: TextMatcher };
  hooks?: HooksExpectation;
}

/** Expectations on the result of a `renegotiate` step ('rejected': the new key failed and the tunnel was killed). */
export interface RenegotiateExpectations {
  outcome?: RenegotiateOutcomeName;
  stage?: LifeStage;
  reason?: TextMatcher;
  /** Whether the re-auth was deferred. */
  deferred?: boolean;
  /** --auth-gen-token: the session_state the server set, and whether the plugins' AUTH call was skipped. */
  token?: { sessionState?: (typeof SESSION_STATES)[number]; pluginsSkipped?: boolean };
  hooks?: HooksExpectation;
  logs?: LogsExpectation;
}

/** Expectations on the result of `disconnect` (or `vanish`). */
export interface DisconnectExpectations {
  outcome?: DisconnectOutcomeName;
  /** `vanish`: the kinds of temp file OpenVPN would leave behind (cc, ccr, ...), in order; [] for none. */
  leftBehind?: string[];
  hooks?: HooksExpectation;
  logs?: LogsExpectation;
}

interface ScenarioPlugin {
  /** Absolute when the scenario gave a path with a '/'; a bare file name is kept as written (see run.ts). */
  path: string;
  args: string[];
  /** As written in the scenario. */
  written: string;
  line: number;
}

interface ScenarioHostOptions {
  callTimeoutMs?: number;
  timeoutMs?: number;
  handWindowMs?: number;
  pollIntervalMs?: number;
  timing?: 'fast' | 'openvpn';
}

/** When an answer is written, counted from the moment the client's connect reports the deferral: 'early' at once,
 * 'mid' at half the deferral's deadline, 'late' just after it (too late), or after this many milliseconds. */
export type AnswerTime = 'early' | 'mid' | 'late' | number;

/** A write into the client's deferral file by an outside party (a daemon, a web hook, a script), during its connect. */
export interface DeferralAnswer {
  /** Which deferral's file: auth_control_file, or client_connect_deferred_file (plugin v1 or script). */
  stage: 'auth' | 'client-connect';
  at: AnswerTime;
  /** The bytes, one character each (U+0000 to U+00FF), written over the file's content. */
  write: string;
}

export interface ScenarioClient {
  name: string;
  /** Line of the client's entry. */
  line: number;
  /** What is passed to host.client(); cert is an absolute path (or PEM text). */
  input: ClientInput & { name: string };
  /** Line of `cert`, when it is a path (the runner checks the file exists). */
  certLine?: number;
  steps: StepName[];
  /** Writes into the client's deferral files during each connect, in order. */
  answers: DeferralAnswer[];
  expect: ConnectExpectations;
  /** One per renegotiate step, in order. */
  expectRenegotiate: RenegotiateExpectations[];
  expectDisconnect: DisconnectExpectations;
}

export interface Scenario {
  /** The file as given (for messages). */
  file: string;
  /** The absolute directory of the file: relative paths in it are relative to this. */
  dir: string;
  /** The scenario's name (`name`, default: the file's base name). */
  name: string;
  description?: string;
  plugins: ScenarioPlugin[];
  /** A server.conf (absolute): its plugin lines come before `plugins`, its server settings apply (HostOptions.config). */
  config?: string;
  configLine?: number;
  /** Server config lines, as in a server.conf, applied after `config` (HostOptions.serverOptions). */
  server?: string[];
  host: ScenarioHostOptions;
  sequential: boolean;
  /** After every client's connect the server restarts with this signal; each client then reconnects (a new
   * instance, checked against the same `expect`) and disconnects. */
  restart?: 'SIGHUP' | 'SIGUSR1';
  clients: ScenarioClient[];
}

/** A bad scenario: "file:line: field: problem". */
export class ScenarioError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly field: string,
    readonly problem: string,
  ) {
    super(`${file}:${line}: ${field ? `${field}: ` : ''}${problem}`);
    this.name = 'ScenarioError';
  }
}

// ---- validation helpers over the YAML AST ---------------------------------------------------------------------

type AnyNode = Node | null | undefined;

class Checker {
  constructor(
    readonly file: string,
    readonly doc: Document,
    readonly lc: LineCounter,
  ) {}

  line(node: AnyNode, fallback?: AnyNode): number {
    const n = node ?? fallback;
    const offset = n?.range?.[0];
    if (offset === undefined) return 1;
    return this.lc.linePos(offset).line;
  }

  fail(node: AnyNode, field: string, problem: string): never {
    throw new ScenarioError(this.file, this.line(node), field, problem);
  }

  deref(node: AnyNode): AnyNode {
    return isAlias(node) ? (node.resolve(this.doc) as AnyNode) : node;
  }
}

/** A value as shown in "(got ...)". */
function shown(node: AnyNode): string {
  if (node === null || node === undefined) return 'nothing';
  if (isMap(node)) return 'a mapping';
  if (isSeq(node)) return 'a list';
  if (isScalar(node)) {
    if (node.value === null && !node.source) return 'nothing';
    return JSON.stringify(node.value) ?? String(node.value);
  }
  return 'an unsupported value';
}

function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
  }
  return d[a.length]![b.length]!;
}

function suggestion(key: string, known: readonly string[]): string | undefined {
  const lower = key.toLowerCase().replace(/[-_]/g, '');
  const exact = known.find((k) => k.toLowerCase() === lower);
  if (exact) return exact;
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of known) {
    const dist = editDistance(key.toLowerCase(), k.toLowerCase());
    if (dist < bestD) {
      bestD = dist;
      best = k;
    }
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(key.length / 3)) ? best : undefined;
}

type Fields = Map<string, { node: AnyNode; keyNode: Node }>;

/** A mapping with only KNOWN keys (unknown keys are errors, with a suggestion); returns its fields. */
function mapping(c: Checker, raw: AnyNode, anchor: AnyNode, field: string, known: readonly string[], what = 'a mapping'): { node: Node; fields: Fields } {
  const node = c.deref(raw);
  if (!isMap(node)) c.fail(node ?? anchor, field, `must be ${what} (got ${shown(node)})`);
  const fields: Fields = new Map();
  for (const pair of node.items as Array<Pair<unknown, unknown>>) {
    const keyNode = pair.key as Node;
    const key = isScalar(keyNode) ? keyNode.value : undefined;
    if (typeof key !== 'string') c.fail(keyNode, field, `keys must be text (got ${shown(keyNode)})`);
    if (!known.includes(key)) {
      const hint = suggestion(key, known);
      c.fail(keyNode, sub(field, key), hint ? `unknown key (did you mean "${hint}"?)` : `unknown key; expected one of ${known.join(', ')}`);
    }
    fields.set(key, { node: pair.value as AnyNode, keyNode });
  }
  return { node, fields };
}

function sub(field: string, key: string): string {
  return field ? `${field}.${key}` : key;
}

/** The value node of KEY, and a way to report against it (the key's line when the value is empty). */
function at(fields: Fields, key: string): { node: AnyNode; anchor: AnyNode; keyNode: Node } | undefined {
  const f = fields.get(key);
  return f ? { node: f.node, anchor: f.node ?? f.keyNode, keyNode: f.keyNode } : undefined;
}

function scalarValue(c: Checker, raw: AnyNode): unknown {
  const node = c.deref(raw);
  return isScalar(node) ? node.value : undefined;
}

function str(c: Checker, raw: AnyNode, anchor: AnyNode, field: string, opts: { nonEmpty?: boolean } = {}): string {
  const v = scalarValue(c, raw);
  if (typeof v !== 'string') c.fail(anchor, field, `must be text (got ${shown(c.deref(raw))})`);
  if (opts.nonEmpty && v === '') c.fail(anchor, field, 'must not be empty');
  return v;
}

function bool(c: Checker, raw: AnyNode, anchor: AnyNode, field: string): boolean {
  const v = scalarValue(c, raw);
  if (typeof v !== 'boolean') c.fail(anchor, field, `must be true or false (got ${shown(c.deref(raw))})`);
  return v;
}

function integer(c: Checker, raw: AnyNode, anchor: AnyNode, field: string, min: number): number {
  const v = scalarValue(c, raw);
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
    c.fail(anchor, field, `must be a whole number${min === 0 ? ' (0 or more)' : ` of at least ${min}`} (got ${shown(c.deref(raw))})`);
  }
  return v;
}

function oneOf<T extends string>(c: Checker, raw: AnyNode, anchor: AnyNode, field: string, choices: readonly T[]): T {
  const v = scalarValue(c, raw);
  if (typeof v !== 'string' || !(choices as readonly string[]).includes(v)) {
    c.fail(anchor, field, `must be one of ${choices.join(', ')} (got ${shown(c.deref(raw))})`);
  }
  return v as T;
}

function list<T>(
  c: Checker,
  raw: AnyNode,
  anchor: AnyNode,
  field: string,
  item: (node: AnyNode, anchor: AnyNode, field: string, index: number) => T,
  opts: { nonEmpty?: boolean; what?: string } = {},
): T[] {
  const node = c.deref(raw);
  if (!isSeq(node)) c.fail(anchor, field, `must be ${opts.what ?? 'a list'} (got ${shown(node)})`);
  if (opts.nonEmpty && node.items.length === 0) c.fail(anchor, field, 'must not be empty');
  return (node.items as AnyNode[]).map((n, i) => item(n, n ?? anchor, `${field}[${i}]`, i));
}

/** Text, or a list of text. */
function texts<T>(c: Checker, raw: AnyNode, anchor: AnyNode, field: string, item: (node: AnyNode, anchor: AnyNode, field: string) => T): T[] {
  return isSeq(c.deref(raw)) ? list(c, raw, anchor, field, item) : [item(raw, anchor, field)];
}

function matcher(c: Checker, raw: AnyNode, anchor: AnyNode, field: string): TextMatcher {
  const text = str(c, raw, anchor, field, { nonEmpty: true });
  const m = /^\/(.*)\/([a-z]*)$/s.exec(text);
  if (!m) return { text };
  try {
    return { text, regex: new RegExp(m[1]!, m[2]) };
  } catch (err) {
    c.fail(anchor, field, `bad regular expression ${text}: ${(err as Error).message.replace(/^Invalid regular expression: /, '')}`);
  }
}

function hookNameItem(c: Checker, raw: AnyNode, anchor: AnyNode, field: string): string {
  const text = str(c, raw, anchor, field, { nonEmpty: true });
  const name = parseHookName(text);
  if (!name || /^\d+$/.test(text.trim())) c.fail(anchor, field, `must be a hook name such as TLS_VERIFY or CLIENT_CONNECT_V2 (got ${JSON.stringify(text)})`);
  return name;
}

function hooksExpectation(c: Checker, raw: AnyNode, anchor: AnyNode, field: string): HooksExpectation {
  const node = c.deref(raw);
  if (isSeq(node)) return { equals: list(c, node, anchor, field, (n, a, f) => hookNameItem(c, n, a, f)) };
  const { fields } = mapping(c, raw, anchor, field, ['equals', 'includes', 'excludes'], 'a list of hook names, or a mapping with equals/includes/excludes');
  const out: HooksExpectation = {};
  for (const key of ['equals', 'includes', 'excludes'] as const) {
    const f = at(fields, key);
    if (f) out[key] = list(c, f.node, f.anchor, sub(field, key), (n, a, fl) => hookNameItem(c, n, a, fl));
  }
  if (!out.equals && !out.includes && !out.excludes) c.fail(anchor, field, 'give equals, includes or excludes');
  return out;
}

function logsExpectation(c: Checker, raw: AnyNode, anchor: AnyNode, field: string): LogsExpectation {
  const { fields } = mapping(c, raw, anchor, field, ['contains', 'excludes']);
  const out: LogsExpectation = {};
  for (const key of ['contains', 'excludes'] as const) {
    const f = at(fields, key);
    if (f) out[key] = texts(c, f.node, f.anchor, sub(field, key), (n, a, fl) => matcher(c, n, a, fl));
  }
  if (!out.contains && !out.excludes) c.fail(anchor, field, 'give contains or excludes');
  return out;
}

function optionItem(c: Checker, raw: AnyNode, anchor: AnyNode, field: string): OptionExpectation {
  const { fields } = mapping(c, raw, anchor, field, ['name', 'args'], 'a mapping { name, args? }');
  const name = at(fields, 'name');
  if (!name) c.fail(anchor, field, 'name is required');
  const out: OptionExpectation = { name: str(c, name.node, name.anchor, sub(field, 'name'), { nonEmpty: true }) };
  const args = at(fields, 'args');
  if (args) out.args = list(c, args.node, args.anchor, sub(field, 'args'), (n, a, f) => argText(c, n, a, f));
  return out;
}

/** An argument: text, or a number/boolean written without quotes (kept as written). */
function argText(c: Checker, raw: AnyNode, anchor: AnyNode, field: string): string {
  const node = c.deref(raw);
  if (isScalar(node) && (typeof node.value === 'number' || typeof node.value === 'boolean')) {
    return node.source ?? String(node.value);
  }
  return str(c, raw, anchor, field);
}

function connectExpectations(c: Checker, raw: AnyNode, anchor: AnyNode, field: string): ConnectExpectations {
  const keys = [
    'outcome',
    'stage',
    'reason',
    'config',
    'options',
    'address',
    'logs',
    'deferred',
    'maxPolls',
    'maxBlockingMs',
    'decided',
    'authPending',
    'hooks',
  ];
  const { fields } = mapping(c, raw, anchor, field, keys);
  const out: ConnectExpectations = {};
  let f = at(fields, 'outcome');
  if (f) out.outcome = oneOf(c, f.node, f.anchor, sub(field, 'outcome'), CONNECT_OUTCOMES);
  if ((f = at(fields, 'stage'))) out.stage = oneOf(c, f.node, f.anchor, sub(field, 'stage'), LIFE_STAGES);
  if ((f = at(fields, 'reason'))) out.reason = matcher(c, f.node, f.anchor, sub(field, 'reason'));
  if ((f = at(fields, 'config'))) {
    const cf = sub(field, 'config');
    const m = mapping(c, f.node, f.anchor, cf, ['contains', 'equals'], 'a mapping with contains and/or equals');
    const cfg: NonNullable<ConnectExpectations['config']> = {};
    const contains = at(m.fields, 'contains');
    if (contains) cfg.contains = texts(c, contains.node, contains.anchor, sub(cf, 'contains'), (n, a, fl) => matcher(c, n, a, fl));
    const equals = at(m.fields, 'equals');
    if (equals) cfg.equals = str(c, equals.node, equals.anchor, sub(cf, 'equals'));
    if (!contains && !equals) c.fail(f.anchor, cf, 'give contains or equals');
    out.config = cfg;
  }
  if ((f = at(fields, 'options'))) {
    const of = sub(field, 'options');
    const node = c.deref(f.node);
    if (isSeq(node)) {
      out.options = { present: list(c, node, f.anchor, of, (n, a, fl) => optionItem(c, n, a, fl)) };
    } else {
      const m = mapping(c, f.node, f.anchor, of, ['present', 'absent'], 'a list of { name, args? }, or a mapping with present/absent');
      const opts: NonNullable<ConnectExpectations['options']> = {};
      const present = at(m.fields, 'present');
      if (present) opts.present = list(c, present.node, present.anchor, sub(of, 'present'), (n, a, fl) => optionItem(c, n, a, fl));
      const absent = at(m.fields, 'absent');
      if (absent) opts.absent = texts(c, absent.node, absent.anchor, sub(of, 'absent'), (n, a, fl) => str(c, n, a, fl, { nonEmpty: true }));
      if (!present && !absent) c.fail(f.anchor, of, 'give present or absent');
      out.options = opts;
    }
  }
  if ((f = at(fields, 'address'))) out.address = str(c, f.node, f.anchor, sub(field, 'address'), { nonEmpty: true });
  if ((f = at(fields, 'logs'))) out.logs = logsExpectation(c, f.node, f.anchor, sub(field, 'logs'));
  if ((f = at(fields, 'deferred'))) {
    const df = sub(field, 'deferred');
    const m = mapping(c, f.node, f.anchor, df, ['auth', 'clientConnect'], 'a mapping with auth and/or clientConnect');
    const d: NonNullable<ConnectExpectations['deferred']> = {};
    const a = at(m.fields, 'auth');
    if (a) d.auth = bool(c, a.node, a.anchor, sub(df, 'auth'));
    const cc = at(m.fields, 'clientConnect');
    if (cc) d.clientConnect = bool(c, cc.node, cc.anchor, sub(df, 'clientConnect'));
    if (!a && !cc) c.fail(f.anchor, df, 'give auth and/or clientConnect');
    out.deferred = d;
  }
  if ((f = at(fields, 'maxPolls'))) out.maxPolls = integer(c, f.node, f.anchor, sub(field, 'maxPolls'), 0);
  if ((f = at(fields, 'maxBlockingMs'))) out.maxBlockingMs = integer(c, f.node, f.anchor, sub(field, 'maxBlockingMs'), 1);
  if ((f = at(fields, 'decided'))) out.decided = bool(c, f.node, f.anchor, sub(field, 'decided'));
  if ((f = at(fields, 'authPending'))) {
    const pf = sub(field, 'authPending');
    const m = mapping(c, f.node, f.anchor, pf, ['method', 'timeout', 'extra'], 'a mapping with method, timeout and/or extra');
    const p: NonNullable<ConnectExpectations['authPending']> = {};
    const method = at(m.fields, 'method');
    if (method) p.method = str(c, method.node, method.anchor, sub(pf, 'method'), { nonEmpty: true });
    const timeout = at(m.fields, 'timeout');
    if (timeout) p.timeout = integer(c, timeout.node, timeout.anchor, sub(pf, 'timeout'), 0);
    const extra = at(m.fields, 'extra');
    if (extra) p.extra = matcher(c, extra.node, extra.anchor, sub(pf, 'extra'));
    out.authPending = p;
  }
  if ((f = at(fields, 'hooks'))) out.hooks = hooksExpectation(c, f.node, f.anchor, sub(field, 'hooks'));
  return out;
}

function disconnectExpectations(c: Checker, raw: AnyNode, anchor: AnyNode, field: string): DisconnectExpectations {
  const { fields } = mapping(c, raw, anchor, field, ['outcome', 'leftBehind', 'hooks', 'logs']);
  const out: DisconnectExpectations = {};
  let f = at(fields, 'outcome');
  if (f) out.outcome = oneOf(c, f.node, f.anchor, sub(field, 'outcome'), DISCONNECT_OUTCOMES);
  if ((f = at(fields, 'leftBehind'))) {
    out.leftBehind = list(c, f.node, f.anchor, sub(field, 'leftBehind'), (n, a, fl) => oneOf(c, n, a, fl, ['cc', 'ccr', 'acf', 'apf', 'afr'] as const));
  }
  if ((f = at(fields, 'hooks'))) out.hooks = hooksExpectation(c, f.node, f.anchor, sub(field, 'hooks'));
  if ((f = at(fields, 'logs'))) out.logs = logsExpectation(c, f.node, f.anchor, sub(field, 'logs'));
  return out;
}

function renegotiateExpectations(c: Checker, raw: AnyNode, anchor: AnyNode, field: string): RenegotiateExpectations {
  const { fields } = mapping(c, raw, anchor, field, ['outcome', 'stage', 'reason', 'deferred', 'token', 'hooks', 'logs']);
  const out: RenegotiateExpectations = {};
  let f = at(fields, 'outcome');
  if (f) out.outcome = oneOf(c, f.node, f.anchor, sub(field, 'outcome'), RENEGOTIATE_OUTCOMES);
  if ((f = at(fields, 'stage'))) out.stage = oneOf(c, f.node, f.anchor, sub(field, 'stage'), LIFE_STAGES);
  if ((f = at(fields, 'reason'))) out.reason = matcher(c, f.node, f.anchor, sub(field, 'reason'));
  if ((f = at(fields, 'deferred'))) out.deferred = bool(c, f.node, f.anchor, sub(field, 'deferred'));
  if ((f = at(fields, 'token'))) {
    const tf = sub(field, 'token');
    const m = mapping(c, f.node, f.anchor, tf, ['sessionState', 'pluginsSkipped'], 'a mapping with sessionState and/or pluginsSkipped');
    const t: NonNullable<RenegotiateExpectations['token']> = {};
    const st = at(m.fields, 'sessionState');
    if (st) t.sessionState = oneOf(c, st.node, st.anchor, sub(tf, 'sessionState'), SESSION_STATES);
    const sk = at(m.fields, 'pluginsSkipped');
    if (sk) t.pluginsSkipped = bool(c, sk.node, sk.anchor, sub(tf, 'pluginsSkipped'));
    if (!st && !sk) c.fail(f.anchor, tf, 'give sessionState and/or pluginsSkipped');
    out.token = t;
  }
  if ((f = at(fields, 'hooks'))) out.hooks = hooksExpectation(c, f.node, f.anchor, sub(field, 'hooks'));
  if ((f = at(fields, 'logs'))) out.logs = logsExpectation(c, f.node, f.anchor, sub(field, 'logs'));
  return out;
}

function resolvePath(dir: string, path: string): string {
  return isAbsolute(path) ? path : resolve(dir, path);
}

function plugin(c: Checker, raw: AnyNode, anchor: AnyNode, field: string, dir: string): ScenarioPlugin {
  const node = c.deref(raw);
  let written: string;
  let args: string[];
  if (isScalar(node) && typeof node.value === 'string') {
    // "path args..." as on a `plugin` config line (OpenVPN's quoting rules).
    const { tokens, error } = tokenizeConfigLine(node.value);
    if (error || tokens.length === 0) c.fail(anchor, field, `must be "<path> [args...]"${error ? ` (${error})` : ''} (got ${shown(node)})`);
    [written, ...args] = tokens as [string, ...string[]];
  } else {
    const { fields } = mapping(c, raw, anchor, field, ['path', 'args'], 'a mapping { path, args? } or the text "<path> [args...]"');
    const p = at(fields, 'path');
    if (!p) c.fail(anchor, field, 'path is required');
    written = str(c, p.node, p.anchor, sub(field, 'path'), { nonEmpty: true });
    const a = at(fields, 'args');
    args = a ? list(c, a.node, a.anchor, sub(field, 'args'), (n, an, f) => argText(c, n, an, f)) : [];
  }
  // A bare file name may also be one of OpenVPN's installed plugins: the runner decides (see run.ts).
  const path = written.includes('/') ? resolvePath(dir, written) : written;
  return { path, args, written, line: c.line(anchor) };
}

function stringMap(c: Checker, raw: AnyNode, anchor: AnyNode, field: string, allowNull: boolean): Record<string, string | null> {
  const node = c.deref(raw);
  if (!isMap(node)) c.fail(anchor, field, `must be a mapping of NAME: value (got ${shown(node)})`);
  const out: Record<string, string | null> = {};
  for (const pair of node.items as Array<Pair<unknown, unknown>>) {
    const keyNode = pair.key as Node;
    const key = isScalar(keyNode) ? keyNode.value : undefined;
    if (typeof key !== 'string' || key === '' || key.includes('=')) c.fail(keyNode, field, `names must be non-empty text without '=' (got ${shown(keyNode)})`);
    const value = c.deref(pair.value as AnyNode);
    const f = `${field}.${key}`;
    if (value === null || value === undefined || (isScalar(value) && value.value === null)) {
      if (!allowNull) c.fail(keyNode, f, 'must be text (got null)');
      out[key] = null;
    } else {
      out[key] = argText(c, value, value, f);
    }
  }
  return out;
}

const CLIENT_KEYS = [
  'name',
  'commonName',
  'username',
  'password',
  'cert',
  'env',
  'peerInfo',
  'replacePeerInfo',
  'address',
  'poolIp',
  'bytesReceived',
  'bytesSent',
  'steps',
  'answers',
  'expect',
  'expectRenegotiate',
  'expectDisconnect',
];

function answer(c: Checker, raw: AnyNode, anchor: AnyNode, field: string): DeferralAnswer {
  const { fields } = mapping(c, raw, anchor, field, ['stage', 'at', 'write'], 'a mapping { stage, at, write }');
  const stage = at(fields, 'stage');
  const when = at(fields, 'at');
  const write = at(fields, 'write');
  if (!stage || !when || !write) c.fail(anchor, field, 'give stage (auth or client-connect), at (early, mid, late or milliseconds) and write');
  const t = scalarValue(c, when.node);
  if (typeof t !== 'number' && !['early', 'mid', 'late'].includes(t as string)) {
    c.fail(when.anchor, sub(field, 'at'), `must be early, mid, late or a number of milliseconds (got ${shown(c.deref(when.node))})`);
  }
  const bytes = argText(c, write.node, write.anchor, sub(field, 'write'));
  if ([...bytes].some((ch) => ch.charCodeAt(0) > 0xff)) c.fail(write.anchor, sub(field, 'write'), 'one character per byte: \\x00 to \\xFF only');
  return {
    stage: oneOf(c, stage.node, stage.anchor, sub(field, 'stage'), ['auth', 'client-connect'] as const),
    at:
      typeof t === 'number'
        ? integer(c, when.node, when.anchor, sub(field, 'at'), 0)
        : oneOf(c, when.node, when.anchor, sub(field, 'at'), ['early', 'mid', 'late'] as const),
    write: bytes,
  };
}

function client(c: Checker, raw: AnyNode, anchor: AnyNode, field: string, index: number, dir: string): ScenarioClient {
  const { node, fields } = mapping(c, raw, anchor, field, CLIENT_KEYS);
  const name = at(fields, 'name');
  const input: ClientInput & { name: string } = {
    name: name ? str(c, name.node, name.anchor, sub(field, 'name'), { nonEmpty: true }) : `client-${index + 1}`,
  };
  let certLine: number | undefined;
  let f = at(fields, 'commonName');
  if (f) input.commonName = str(c, f.node, f.anchor, sub(field, 'commonName'));
  if ((f = at(fields, 'username'))) {
    input.username = scalarValue(c, f.node) === null || f.node === null ? null : argText(c, f.node, f.anchor, sub(field, 'username'));
  }
  if ((f = at(fields, 'password'))) input.password = argText(c, f.node, f.anchor, sub(field, 'password'));
  if ((f = at(fields, 'cert'))) {
    const text = str(c, f.node, f.anchor, sub(field, 'cert'), { nonEmpty: true });
    if (text.includes('-----BEGIN')) {
      input.cert = text;
    } else {
      input.cert = resolvePath(dir, text);
      certLine = c.line(f.anchor);
    }
  }
  if ((f = at(fields, 'env'))) input.env = stringMap(c, f.node, f.anchor, sub(field, 'env'), true);
  if ((f = at(fields, 'peerInfo'))) input.peerInfo = stringMap(c, f.node, f.anchor, sub(field, 'peerInfo'), false) as Record<string, string>;
  if ((f = at(fields, 'replacePeerInfo'))) input.replacePeerInfo = bool(c, f.node, f.anchor, sub(field, 'replacePeerInfo'));
  if ((f = at(fields, 'address'))) {
    const af = sub(field, 'address');
    const m = mapping(c, f.node, f.anchor, af, ['ip', 'port'], 'a mapping { ip, port }');
    const ip = at(m.fields, 'ip');
    const port = at(m.fields, 'port');
    if (!ip || !port) c.fail(f.anchor, af, 'give both ip and port');
    const p = integer(c, port.node, port.anchor, sub(af, 'port'), 1);
    if (p > 65535) c.fail(port.anchor, sub(af, 'port'), `must be a port number 1-65535 (got ${p})`);
    input.address = { ip: str(c, ip.node, ip.anchor, sub(af, 'ip'), { nonEmpty: true }), port: p };
  }
  if ((f = at(fields, 'poolIp'))) input.poolIp = str(c, f.node, f.anchor, sub(field, 'poolIp'), { nonEmpty: true });
  if ((f = at(fields, 'bytesReceived'))) input.bytesReceived = integer(c, f.node, f.anchor, sub(field, 'bytesReceived'), 0);
  if ((f = at(fields, 'bytesSent'))) input.bytesSent = integer(c, f.node, f.anchor, sub(field, 'bytesSent'), 0);
  let steps: StepName[] = ['connect', 'disconnect'];
  if ((f = at(fields, 'steps'))) {
    const sf = sub(field, 'steps');
    steps = list(c, f.node, f.anchor, sf, (n, a, fl) => oneOf(c, n, a, fl, STEPS), { nonEmpty: true });
    // connect, any number of renegotiate, then disconnect if wanted; or [connect, vanish] (it vanishes during connect)
    const last = steps.at(-1);
    const middle = steps.slice(1, last === 'disconnect' || last === 'vanish' ? -1 : undefined);
    const ok = steps[0] === 'connect' && middle.every((x) => x === 'renegotiate') && (last !== 'vanish' || steps.length === 2);
    if (!ok) {
      c.fail(
        f.anchor,
        sf,
        `must be connect, then renegotiate any number of times, then disconnect if wanted; or [connect, vanish] (got [${steps.join(', ')}])`,
      );
    }
  }
  const renegotiations = steps.filter((x) => x === 'renegotiate').length;
  let expectRenegotiate: RenegotiateExpectations[] = [];
  const er = at(fields, 'expectRenegotiate');
  if (er) {
    const ef = sub(field, 'expectRenegotiate');
    if (renegotiations === 0) c.fail(er.keyNode, ef, 'the client has no renegotiate step (add renegotiate to steps)');
    if (isSeq(c.deref(er.node))) {
      expectRenegotiate = list(c, er.node, er.anchor, ef, (n, a, fl) => renegotiateExpectations(c, n, a, fl));
      if (expectRenegotiate.length !== renegotiations) {
        c.fail(
          er.anchor,
          ef,
          `a list gives one entry per renegotiate step: ${renegotiations} step(s), ${expectRenegotiate.length} entries (or give one mapping for all)`,
        );
      }
    } else {
      const one = renegotiateExpectations(c, er.node, er.anchor, ef);
      expectRenegotiate = Array.from({ length: renegotiations }, () => one);
    }
  } else {
    expectRenegotiate = Array.from({ length: renegotiations }, () => ({}));
  }
  const expect = at(fields, 'expect');
  const expectDisconnect = at(fields, 'expectDisconnect');
  if (expectDisconnect && steps.at(-1) !== 'disconnect' && steps.at(-1) !== 'vanish') {
    c.fail(expectDisconnect.keyNode, sub(field, 'expectDisconnect'), `the client has no disconnect or vanish step (steps: [${steps.join(', ')}])`);
  }
  const ended = expectDisconnect ? disconnectExpectations(c, expectDisconnect.node, expectDisconnect.anchor, sub(field, 'expectDisconnect')) : {};
  if (ended.leftBehind && steps.at(-1) !== 'vanish') {
    c.fail(expectDisconnect!.keyNode, sub(field, 'expectDisconnect.leftBehind'), 'only a client that vanishes leaves files behind (steps: [connect, vanish])');
  }
  return {
    name: input.name,
    line: c.line(node),
    input,
    certLine,
    steps,
    answers: (f = at(fields, 'answers')) ? list(c, f.node, f.anchor, sub(field, 'answers'), (n, a, fl) => answer(c, n, a, fl)) : [],
    expect: expect ? connectExpectations(c, expect.node, expect.anchor, sub(field, 'expect')) : {},
    expectRenegotiate,
    expectDisconnect: ended,
  };
}

function hostOptions(c: Checker, raw: AnyNode, anchor: AnyNode, field: string): ScenarioHostOptions {
  const { fields } = mapping(c, raw, anchor, field, ['callTimeoutMs', 'timeoutMs', 'handWindowMs', 'pollIntervalMs', 'timing']);
  const out: ScenarioHostOptions = {};
  for (const key of ['callTimeoutMs', 'timeoutMs', 'handWindowMs', 'pollIntervalMs'] as const) {
    const f = at(fields, key);
    if (f) out[key] = integer(c, f.node, f.anchor, sub(field, key), 1);
  }
  const t = at(fields, 'timing');
  if (t) out.timing = oneOf(c, t.node, t.anchor, sub(field, 'timing'), ['fast', 'openvpn'] as const);
  return out;
}

const TOP_KEYS = ['name', 'description', 'config', 'server', 'plugins', 'host', 'sequential', 'restart', 'clients'];

/**
 * Parse and validate scenario TEXT read from FILE (JSON or YAML: JSON is read as YAML, so positions are known).
 * Relative paths (plugins with a '/', certs) are resolved against FILE's directory. Throws ScenarioError.
 */
export function parseScenario(text: string, file: string, cwd = '/'): Scenario {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true, strict: true });
  const c: Checker = new Checker(file, doc, lc);
  const syntax = doc.errors[0];
  if (syntax) {
    const line = lc.linePos(syntax.pos[0]).line;
    const kind = /\.json$/i.test(file) ? 'JSON/YAML' : 'YAML';
    throw new ScenarioError(file, line, '', `${kind} syntax error: ${syntax.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`);
  }
  const root = doc.contents as AnyNode;
  if (root === null || root === undefined || (isScalar(root) && root.value === null)) {
    throw new ScenarioError(file, 1, '', 'the file is empty: a scenario is a mapping with plugins and clients');
  }
  const dir = dirname(resolve(cwd, file));
  const { node, fields } = mapping(c, root, root, '', TOP_KEYS, 'a mapping with plugins and clients');
  const pluginsAt = at(fields, 'plugins');
  const configAt = at(fields, 'config');
  const serverAt = at(fields, 'server');
  if (!pluginsAt && !configAt && !serverAt) {
    c.fail(
      node,
      'plugins',
      'missing: list the plugin chain, e.g. plugins: [{ path: ./my-plugin.so, args: [] }] (or give a server config: config: ./server.conf)',
    );
  }
  const clientsAt = at(fields, 'clients');
  if (!clientsAt) c.fail(node, 'clients', 'missing: list at least one client, e.g. clients: [{ username: foo, password: bar }]');
  const nameAt = at(fields, 'name');
  const descAt = at(fields, 'description');
  const seqAt = at(fields, 'sequential');
  const hostAt = at(fields, 'host');
  const restartAt = at(fields, 'restart');
  const scenario: Scenario = {
    file,
    dir,
    name: nameAt ? str(c, nameAt.node, nameAt.anchor, 'name', { nonEmpty: true }) : basename(file),
    description: descAt ? str(c, descAt.node, descAt.anchor, 'description') : undefined,
    plugins: pluginsAt ? list(c, pluginsAt.node, pluginsAt.anchor, 'plugins', (n, a, f) => plugin(c, n, a, f, dir), { nonEmpty: !configAt }) : [],
    config: configAt ? resolve(dir, str(c, configAt.node, configAt.anchor, 'config', { nonEmpty: true })) : undefined,
    configLine: configAt ? c.line(configAt.node) : undefined,
    server: serverAt ? list(c, serverAt.node, serverAt.anchor, 'server', (n, a, f) => str(c, n, a, f, { nonEmpty: true })) : undefined,
    host: hostAt ? hostOptions(c, hostAt.node, hostAt.anchor, 'host') : {},
    sequential: seqAt ? bool(c, seqAt.node, seqAt.anchor, 'sequential') : false,
    restart: restartAt ? oneOf(c, restartAt.node, restartAt.anchor, 'restart', RESTART_SIGNALS) : undefined,
    clients: [],
  };
  const clientsNode = c.deref(clientsAt.node);
  scenario.clients = list(c, clientsNode, clientsAt.anchor, 'clients', (n, a, f, i) => client(c, n, a, f, i, dir), { nonEmpty: true });
  const seen = new Map<string, number>();
  scenario.clients.forEach((cl, i) => {
    const prev = seen.get(cl.name);
    if (prev !== undefined) {
      throw new ScenarioError(file, cl.line, `clients[${i}].name`, `duplicate client name ${JSON.stringify(cl.name)} (also clients[${prev}])`);
    }
    seen.set(cl.name, i);
    if (scenario.restart && cl.steps.join() !== 'connect,disconnect') {
      throw new ScenarioError(
        file,
        cl.line,
        `clients[${i}].steps`,
        `with restart, every client runs [connect, disconnect] (the restart and the reconnect come in between)`,
      );
    }
  });
  return scenario;
}
