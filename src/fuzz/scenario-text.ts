// A fuzz plan as a scenario file that `ovpn-plugin-host run` replays: the plugins, the server settings and the clients,
// expecting of every client what a healthy plugin gives: no crash or hang, no hook call blocking longer than the
// limit, every deferral decided. The fuzzer runs this very text, so a replay is the run.
import { stringify } from 'yaml';
import { undecidedExpected } from './answers.js';
import { stepsOf, type FuzzPlan, type PlannedClient } from './plan.js';

/** What is fuzzed: the chain and the server settings, as the scenario and the host take them. */
export interface FuzzTarget {
  plugins: Array<{ path: string; args: string[] }>;
  /** A server.conf (absolute path). */
  config?: string;
  /** Server config lines. */
  server?: string[];
  callTimeoutMs: number;
  /** A deferral still undecided after this is a failure ("a deferral never resolved"). */
  timeoutMs: number;
  /** A hook call blocking longer than this is a failure. */
  maxBlockingMs: number;
}

export function scenarioText(target: FuzzTarget, plan: FuzzPlan, header: string[] = []): string {
  const doc = {
    name: 'fuzz',
    plugins: target.plugins.map((p, i) => ({ path: p.path, args: plan.args?.[i] ?? p.args })),
    ...(target.config !== undefined ? { config: target.config } : {}),
    ...(target.server?.length ? { server: target.server } : {}),
    host: { callTimeoutMs: target.callTimeoutMs, timeoutMs: plan.deadlineMs ?? target.timeoutMs, handWindowMs: plan.deadlineMs ?? target.timeoutMs },
    sequential: plan.sequential,
    ...(plan.restart ? { restart: plan.restart } : {}),
    clients: plan.clients.map(({ renegotiations: _r, vanish: _v, ...c }, i) => {
      const steps = stepsOf({ renegotiations: _r, vanish: _v });
      // a deferral the fuzzer left undecided (or a shortened deadline) may end undecided, as with OpenVPN
      const decided = mayStayUndecided(plan, plan.clients[i]!) ? {} : { decided: true };
      return { name: `client-${i + 1}`, ...c, ...(steps ? { steps } : {}), expect: { maxBlockingMs: target.maxBlockingMs, ...decided } };
    }),
  };
  const comments = header.map((l) => `# ${l}\n`).join('');
  return comments + stringify(doc, { lineWidth: 0 });
}

/** Whether a deferral of client C may end undecided in PLAN as OpenVPN would have it (no finding then). */
export function mayStayUndecided(plan: FuzzPlan, c: PlannedClient, stage?: 'auth' | 'client-connect'): boolean {
  const stages = stage ? [stage] : (['auth', 'client-connect'] as const);
  return stages.some((s) => undecidedExpected(s, c.answers, plan.deadlineMs !== undefined));
}
