// Make a failing plan as small as it can be while it still fails the same way: fewer clients, one after another, no
// restart, the deferral deadline as given, clients that just disconnect (no renegotiation, no vanishing), fewer
// answers written into deferral files (early, '1' or '0', else shorter bytes), fields left at their defaults, shorter
// values, fewer peer info lines. Each candidate is a whole run (a fresh host).
import type { PlannedAnswer } from './answers.js';
import type { FuzzPlan, PlannedClient, PlannedPlugin } from './plan.js';

/** Whether a candidate plan still fails with the same signature. */
export type StillFails = (plan: FuzzPlan) => Promise<boolean>;

const FIELDS = ['address', 'peerInfo', 'commonName', 'password', 'username'] as const;

/** The plan with client I changed by CHANGE. */
function withClient(plan: FuzzPlan, i: number, change: (c: PlannedClient) => PlannedClient): FuzzPlan {
  return { ...plan, clients: plan.clients.map((c, k) => (k === i ? change(c) : c)) };
}

/** The fuzzer's answers (--answer-deferrals) made fewer and simpler: each dropped (the last first), then written
 * early, then as '1' or '0', else as a shorter prefix of its bytes. BEST is the plan so far; ATTEMPT keeps a
 * candidate that still fails. */
async function minimiseAnswers(best: () => FuzzPlan, attempt: (candidate: FuzzPlan) => Promise<boolean>): Promise<void> {
  const withAnswers = (i: number, answers: PlannedAnswer[]) => withClient(best(), i, ({ answers: _a, ...c }) => (answers.length > 0 ? { ...c, answers } : c));
  for (let i = 0; i < best().clients.length; i++) {
    const current = () => best().clients[i]!.answers ?? [];
    for (let k = current().length - 1; k >= 0; k--)
      await attempt(
        withAnswers(
          i,
          current().filter((_, j) => j !== k),
        ),
      );
    const change = (k: number, a: Partial<PlannedAnswer>) =>
      attempt(
        withAnswers(
          i,
          current().map((x, j) => (j === k ? { ...x, ...a } : x)),
        ),
      );
    for (let k = 0; k < current().length; k++) {
      if (current()[k]!.at !== 'early') await change(k, { at: 'early' });
      const write = current()[k]!.write;
      if (write === '1' || write === '0' || (await change(k, { write: '1' })) || (await change(k, { write: '0' }))) continue;
      await shortest(write, (w) => change(k, { write: w }));
    }
  }
}

/** Find the shortest prefix of TEXT that still fails (binary search on its length, about log2(length) runs); TRY
 * runs a candidate and keeps it when it fails. */
async function shortest(text: string, tryIt: (candidate: string) => Promise<boolean>): Promise<void> {
  const chars = [...text];
  if (await tryIt('')) return;
  let lo = 0; // fails: no
  let hi = chars.length; // fails: yes (the value as it is)
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (await tryIt(chars.slice(0, mid).join(''))) hi = mid;
    else lo = mid;
  }
}

/** Minimise PLAN (which fails) with at most BUDGET more runs; returns the smallest failing plan found and the runs used.
 * PLUGINS (the chain as given) are the arguments a plan with mutated ones goes back to. */
export async function minimise(
  plan: FuzzPlan,
  stillFails: StillFails,
  budget = 60,
  plugins: readonly PlannedPlugin[] = [],
): Promise<{ plan: FuzzPlan; runs: number }> {
  let best = plan;
  let runs = 0;
  const attempt = async (candidate: FuzzPlan): Promise<boolean> => {
    if (runs >= budget) return false;
    runs++;
    if (!(await stillFails(candidate))) return false;
    best = candidate;
    return true;
  };
  const withArgs = (k: number, args: string[]): FuzzPlan => ({ ...best, args: best.args!.map((a, i) => (i === k ? args : a)) });
  const minimiseArgs = async () => {
    for (let k = 0; k < (best.args?.length ?? 0); k++) {
      const given = plugins[k]?.args;
      const now = best.args![k]!;
      if (given && JSON.stringify(given) === JSON.stringify(now)) continue;
      if (given && (await attempt(withArgs(k, [...given])))) continue;
      for (let i = best.args![k]!.length - 1; i >= 0; i--)
        await attempt(
          withArgs(
            k,
            best.args![k]!.filter((_, j) => j !== i),
          ),
        );
      for (let i = 0; i < best.args![k]!.length; i++) {
        const value = best.args![k]![i]!;
        if (given?.includes(value)) continue;
        await shortest(value, (v) =>
          attempt(
            withArgs(
              k,
              best.args![k]!.map((a, j) => (j === i ? v : a)),
            ),
          ),
        );
      }
    }
  };
  // the deferral deadline as given first: a shortened one may hold back clients the failure needs less of
  if (best.deadlineMs !== undefined) await attempt((({ deadlineMs: _d, ...p }) => p)(best));
  // fewer clients
  for (let i = best.clients.length - 1; i >= 0 && best.clients.length > 1; i--) {
    const clients = best.clients.filter((_, k) => k !== i);
    await attempt({ ...best, clients, sequential: best.sequential || clients.length === 1 });
  }
  if (!best.sequential) await attempt({ ...best, sequential: true });
  if (best.restart) await attempt((({ restart: _r, ...p }) => p)(best));
  // the plugins' own arguments: all as given, else one plugin's as given, else fewer and shorter mutated ones
  if (best.args && !(await attempt((({ args: _a, ...p }) => p)(best)))) await minimiseArgs();
  await minimiseAnswers(() => best, attempt);
  // simpler lives: no vanishing, fewer renegotiations
  for (let i = 0; i < best.clients.length; i++) {
    if (best.clients[i]!.vanish) await attempt(withClient(best, i, ({ vanish: _v, ...c }) => c));
    while ((best.clients[i]!.renegotiations ?? 0) > 0) {
      const fewer = best.clients[i]!.renegotiations! - 1;
      if (!(await attempt(withClient(best, i, ({ renegotiations: _n, ...c }) => (fewer > 0 ? { ...c, renegotiations: fewer } : c))))) break;
    }
  }
  // simpler clients: a field at its default, else a shorter value; peer info line by line
  for (let i = 0; i < best.clients.length; i++) {
    for (const field of FIELDS) {
      if (best.clients[i]![field] === undefined) continue;
      if (
        await attempt(
          withClient(best, i, (c) => {
            const { [field]: _gone, ...rest } = c;
            return field === 'peerInfo' ? (({ replacePeerInfo: _r, ...r }) => r)(rest) : rest;
          }),
        )
      )
        continue;
      const value = best.clients[i]![field];
      if (typeof value === 'string') {
        await shortest(value, (s) => attempt(withClient(best, i, (c) => ({ ...c, [field]: s }))));
      } else if (field === 'peerInfo' && value && typeof value === 'object') {
        for (const key of Object.keys(value)) {
          await attempt(withClient(best, i, (c) => ({ ...c, peerInfo: Object.fromEntries(Object.entries(c.peerInfo ?? {}).filter(([k]) => k !== key)) })));
        }
        for (const [key, v] of Object.entries(best.clients[i]!.peerInfo ?? {})) {
          await shortest(v, (s) => attempt(withClient(best, i, (c) => ({ ...c, peerInfo: { ...c.peerInfo, [key]: s } }))));
        }
      }
    }
  }
  return { plan: best, runs };
}
