// The steps of a client-connect run, kept compact: a re-check that repeats the step before it (the same handler,
// hook, result and return codes: a plugin still deferring) keeps only its times, so a client deferred for an hour
// costs a few bytes per re-check instead of a record each.

/** What of a step (client-connect.ts's Step) the log compares and keeps. */
interface LoggedStep {
  handler: string;
  hook: string;
  result: string;
  status?: number;
  note?: string;
  exitCode?: number | null;
  deferredFile?: string;
  calls?: Array<{ plugin: string; returnCode: number; ms: number }>;
  t: number;
  ms: number;
}

/** Whether B says what A said (everything but the times). */
function sameOutcome<S extends LoggedStep>(a: S, b: Omit<S, 't'>): boolean {
  if (
    a.handler !== b.handler
    || a.hook !== b.hook
    || a.result !== b.result
    || a.status !== b.status
    || a.note !== b.note
    || a.exitCode !== b.exitCode
    || a.deferredFile !== b.deferredFile
    || (a.calls === undefined) !== (b.calls === undefined)
  ) {
    return false;
  }
  const ac = a.calls ?? [];
  const bc = b.calls ?? [];
  if (ac.length !== bc.length) return false;
  for (let i = 0; i < ac.length; i++) if (ac[i]!.plugin !== bc[i]!.plugin || ac[i]!.returnCode !== bc[i]!.returnCode) return false;
  return true;
}

export class StepLog<Step extends LoggedStep> {
  /** Distinct steps, in order. */
  private readonly distinct: Step[] = [];
  /** Per distinct step, the repeats right after it: t, ms, then each call's ms, per repeat (plain numbers). */
  private readonly repeats: Array<number[] | undefined> = [];

  /** How many records it holds (distinct steps; repeats are numbers in them). */
  get records(): number {
    return this.distinct.length;
  }

  /** Add STEP, which started at T (ms since the run started). */
  add(step: Omit<Step, 't'>, t: number): void {
    const last = this.distinct.length - 1;
    const prev = this.distinct[last];
    if (prev && prev.result === 'deferred' && sameOutcome(prev, step)) {
      let times = this.repeats[last];
      if (!times) {
        times = [];
        this.repeats[last] = times;
      }
      times.push(t, step.ms);
      for (const c of step.calls ?? []) times.push(c.ms);
      return;
    }
    this.distinct.push({ ...step, t } as Step);
    this.repeats.push(undefined);
  }

  /** Every step, repeats written out in full. */
  toArray(): Step[] {
    const out: Step[] = [];
    for (let i = 0; i < this.distinct.length; i++) {
      const s = this.distinct[i]!;
      out.push(s);
      const times = this.repeats[i];
      if (!times) continue;
      const per = 2 + (s.calls?.length ?? 0);
      for (let k = 0; k < times.length; k += per) {
        const calls = s.calls?.map((c, j) => ({ ...c, ms: times[k + 2 + j]! }));
        out.push({ ...s, ...(calls ? { calls } : {}), t: times[k]!, ms: times[k + 1]! });
      }
    }
    return out;
  }
}
