// The fuzzer as the outside party of a deferring plugin (--answer-deferrals): per client, what it writes into the
// deferral files, when (early, mid, late: after the deadline) and whether it writes a second time the opposite answer;
// the deadlines a plan shortens; and what OpenVPN reads of such bytes (only the first byte), which says whether a
// deferral left undecided is an outcome OpenVPN would give rather than a finding. Pure.
import { controlFileVerdict } from '../openvpn/auth-deferral.js';
import type { DeferralAnswer } from '../scenario/schema.js';
import type { Random } from './random.js';

/** An answer the fuzzer plans (its moments are the scenario's words, never milliseconds). */
export type PlannedAnswer = DeferralAnswer & { at: 'early' | 'mid' | 'late' };

const STAGES = ['auth', 'client-connect'] as const;
const TIMES = ['early', 'mid', 'late'] as const;
/** Bytes a writer may leave: the two answers, with a newline or junk after them, "still deferred", nothing, a newline. */
const WRITES = ['1', '0', '1\n', '0junk', '2', '', '\n'] as const;
/** Deferral deadlines (hand-window and the client-connect limit) a plan may shorten a run's to, so that a plugin's own
 * results sometimes come too late. */
export const SHORT_DEADLINES_MS = [50, 250, 1000] as const;

/** What OpenVPN makes of BYTES in the stage's file: only the first byte is read. auth_control_file: '1' accepted, '0'
 * rejected, anything else (or nothing) still pending (§5.3); client_connect_deferred_file: '1' accepted, '2' or nothing
 * still deferred, anything else a failure (§4.3). */
export function verdictOf(stage: DeferralAnswer['stage'], bytes: string): 'accepted' | 'rejected' | 'pending' {
  if (bytes === '') return 'pending';
  const byte = bytes[0]!;
  if (stage === 'auth') return controlFileVerdict({ kind: 'byte', byte });
  return byte === '1' ? 'accepted' : byte === '2' ? 'pending' : 'rejected';
}

/** A few random bytes (one character each, U+0000 to U+00FF). */
function randomBytes(r: Random): string {
  return Array.from({ length: 1 + r.int(8) }, () => String.fromCharCode(r.int(256))).join('');
}

/** A client's answers: per stage, often none; else one write at a random moment, sometimes followed by the opposite
 * answer at the same or a later moment. Undefined: the fuzzer does not answer this client. */
export function randomAnswers(r: Random): PlannedAnswer[] | undefined {
  const out: PlannedAnswer[] = [];
  for (const stage of STAGES) {
    if (!r.chance(0.6)) continue;
    const first: PlannedAnswer = { stage, at: r.pick(TIMES), write: r.chance(0.2) ? randomBytes(r) : r.pick(WRITES) };
    out.push(first);
    if (r.chance(0.3)) {
      const later = TIMES.slice(TIMES.indexOf(first.at));
      out.push({ stage, at: r.pick(later), write: verdictOf(stage, first.write) === 'accepted' ? '0' : '1' });
    }
  }
  return out.length > 0 ? out : undefined;
}

/** Whether a deferral at STAGE may end undecided as OpenVPN would have it: the run's deadline was shortened, or the
 * fuzzer answered that stage without a deciding write in time (only late, or bytes that leave it pending). */
export function undecidedExpected(stage: DeferralAnswer['stage'], answers: readonly PlannedAnswer[] | undefined, deadlineShortened: boolean): boolean {
  if (deadlineShortened) return true;
  const own = (answers ?? []).filter((a) => a.stage === stage);
  return own.length > 0 && !own.some((a) => a.at !== 'late' && verdictOf(stage, a.write) !== 'pending');
}
