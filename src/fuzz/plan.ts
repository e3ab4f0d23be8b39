// One fuzz run's plan: which clients connect, what each does after (disconnect, renegotiate first, or vanish while
// its connect waits on a deferral), all at once or one after another, and whether the server restarts between the
// connects and the reconnects. Drawn from a run's random generator, mutated from an earlier plan, or made smaller by
// the minimiser. Pure.
import { randomAnswers, SHORT_DEADLINES_MS, type PlannedAnswer } from './answers.js';
import { mutateArgs } from './args.js';
import { randomClient, type FuzzClient } from './inputs.js';
import type { Random } from './random.js';

/** A client's inputs and its life after the connect. */
export interface PlannedClient extends FuzzClient {
  /** Renegotiations between connect and disconnect (as `reneg-sec` makes them). */
  renegotiations?: number;
  /** Goes away while its connect waits on a deferral (an ordinary disconnect when nothing is deferred). */
  vanish?: true;
  /** What the fuzzer, as the outside party, writes into the client's deferral files (--answer-deferrals). */
  answers?: PlannedAnswer[];
}

type RestartSignal = 'SIGHUP' | 'SIGUSR1';

export interface FuzzPlan {
  clients: PlannedClient[];
  /** One client after another (else all at once, as a busy server has them). */
  sequential: boolean;
  /** After every client's connect the server restarts with this signal and every client reconnects (clients then run
   * no renegotiation and do not vanish: a scenario with `restart` runs the default steps). */
  restart?: RestartSignal;
  /** The plugins' arguments, mutated (--fuzz-args): one list per plugin of the chain; absent: as given. */
  args?: string[][];
  /** The deferral deadlines (hand-window, the client-connect limit) shortened to this for the run: a deferral left
   * undecided is then an expected outcome (OpenVPN fails the auth), and the plugin's own result comes too late. */
  deadlineMs?: number;
}

/** A plugin of the chain, as given (for --fuzz-args). */
export interface PlannedPlugin {
  path: string;
  args: string[];
}

/** At most this many clients in one run: enough for two deferrals to overlap, few enough to stay fast. */
const MAX_CLIENTS = 4;
/** At most this many renegotiations of one client in one run. */
const MAX_RENEGOTIATIONS = 2;

/** A client's life after the connect: most disconnect, some renegotiate first, some vanish. */
function randomLife(r: Random): Pick<PlannedClient, 'renegotiations' | 'vanish'> {
  const k = r.int(10);
  if (k < 2) return { renegotiations: 1 + r.int(MAX_RENEGOTIATIONS) };
  if (k < 4) return { vanish: true };
  return {};
}

function plannedClient(r: Random): PlannedClient {
  return { ...randomClient(r), ...randomLife(r) };
}

/** PLAN as a scenario can run it: with a restart, no client renegotiates or vanishes. */
function consistent(plan: FuzzPlan): FuzzPlan {
  if (!plan.restart) return plan;
  return { ...plan, clients: plan.clients.map(({ renegotiations: _r, vanish: _v, ...c }) => c) };
}

/** With FUZZ_ARGS (the chain's plugins), half of the plans give one plugin mutated arguments (one to three changes).
 * Some plans shorten the deferral deadlines; with ANSWER_DEFERRALS most clients get answers (drawn last, so that the
 * rest of a seed's plan does not depend on these options). */
export function randomPlan(r: Random, fuzzArgs?: readonly PlannedPlugin[], answerDeferrals = false): FuzzPlan {
  const n = r.chance(0.5) ? 1 : 2 + r.int(MAX_CLIENTS - 1);
  const clients = Array.from({ length: n }, () => plannedClient(r));
  const restart = r.chance(0.15) ? r.pick(['SIGHUP', 'SIGUSR1'] as const) : undefined;
  const plan = consistent({ clients, sequential: n === 1 || r.chance(0.25), ...(restart ? { restart } : {}) });
  if (fuzzArgs?.length && r.chance(0.5)) {
    const args = fuzzArgs.map((p) => [...p.args]);
    const k = r.int(fuzzArgs.length);
    for (let m = 1 + r.int(3); m > 0; m--) args[k] = mutateArgs(fuzzArgs[k]!.path, args[k]!, r);
    plan.args = args;
  }
  if (r.chance(0.25)) plan.deadlineMs = r.pick(SHORT_DEADLINES_MS);
  if (answerDeferrals) {
    for (const c of plan.clients) {
      const answers = randomAnswers(r);
      if (answers) c.answers = answers;
    }
  }
  return plan;
}

/** PLAN with one client replaced or added, its order or a client's life changed, or a restart added or removed (for
 * runs guided by what earlier runs reached). */
export function mutatePlan(plan: FuzzPlan, r: Random): FuzzPlan {
  const clients = [...plan.clients];
  const k = r.int(6);
  let restart = plan.restart;
  if (k === 0 && clients.length < MAX_CLIENTS) clients.push(plannedClient(r));
  else if (k === 1) return { ...plan, clients, sequential: clients.length === 1 || !plan.sequential };
  else if (k === 2) {
    const i = r.int(clients.length);
    const { renegotiations: _r, vanish: _v, ...inputs } = clients[i]!;
    clients[i] = { ...inputs, ...randomLife(r) };
    restart = undefined;
  } else if (k === 3) restart = restart ? undefined : r.pick(['SIGHUP', 'SIGUSR1'] as const);
  else clients[r.int(clients.length)] = { ...clients[r.int(clients.length)], ...randomClient(r) };
  const { restart: _old, ...rest } = plan;
  return consistent({ ...rest, clients, sequential: clients.length === 1 || plan.sequential, ...(restart ? { restart } : {}) });
}

/** The steps of a planned client, as a scenario writes them (undefined: the default connect, disconnect). */
export function stepsOf(c: PlannedClient): string[] | undefined {
  if (c.vanish) return ['connect', 'vanish'];
  if (c.renegotiations) return ['connect', ...Array.from({ length: c.renegotiations }, () => 'renegotiate'), 'disconnect'];
  return undefined;
}

/** How big a plan is, for the minimiser and the report: clients, and bytes of all the values they send. */
export function planSize(plan: FuzzPlan): { clients: number; bytes: number } {
  const bytes = plan.clients.reduce((n, c) => n + Buffer.byteLength(JSON.stringify(c)), 0);
  return { clients: plan.clients.length, bytes };
}
