// One fuzz run's plan: which clients connect (each connects, then disconnects), all at once or one after another.
// Drawn from a run's random generator, mutated from an earlier plan, or made smaller by the minimiser. Pure.
import { randomClient, type FuzzClient } from './inputs.js';
import type { Random } from './random.js';

export interface FuzzPlan {
  clients: FuzzClient[];
  /** One client after another (else all at once, as a busy server has them). */
  sequential: boolean;
}

/** At most this many clients in one run: enough for two deferrals to overlap, few enough to stay fast. */
const MAX_CLIENTS = 4;

export function randomPlan(r: Random): FuzzPlan {
  const n = r.chance(0.5) ? 1 : 2 + r.int(MAX_CLIENTS - 1);
  return { clients: Array.from({ length: n }, () => randomClient(r)), sequential: n === 1 || r.chance(0.25) };
}

/** PLAN with one client replaced or added, or its order changed (for runs guided by what earlier runs reached). */
export function mutatePlan(plan: FuzzPlan, r: Random): FuzzPlan {
  const clients = [...plan.clients];
  const k = r.int(4);
  if (k === 0 && clients.length < MAX_CLIENTS) clients.push(randomClient(r));
  else if (k === 1) return { clients, sequential: clients.length === 1 || !plan.sequential };
  else clients[r.int(clients.length)] = { ...clients[r.int(clients.length)], ...randomClient(r) };
  return { clients, sequential: clients.length === 1 || plan.sequential };
}

/** How big a plan is, for the minimiser and the report: clients, and bytes of all the values they send. */
export function planSize(plan: FuzzPlan): { clients: number; bytes: number } {
  const bytes = plan.clients.reduce((n, c) => n + Buffer.byteLength(JSON.stringify(c)), 0);
  return { clients: plan.clients.length, bytes };
}
