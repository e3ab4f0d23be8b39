// The outside party of a client's `answers`: writes into its deferral files (auth_control_file,
// client_connect_deferred_file) at the planned moments of one connect, as a daemon or web hook answering a deferring
// plugin does. A stage's writes start when the connect first reports that stage's file; writes not yet due when the
// connect ends are made then (after the host decided: too late, as a late answer is). Each write's fate is told.
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import type { AnswerTime, DeferralAnswer } from './schema.js';

/** A 'late' answer comes this long after the deferral's deadline. */
const LATE_AFTER_DEADLINE_MS = 50;
/** The library's deadlines when the scenario gives none (HostOptions.handWindowMs and timeoutMs). */
const DEFAULT_DEADLINE_MS = 60_000;

type Stage = DeferralAnswer['stage'];

/** When ANSWER is due, in ms after its stage's deferral began, for a stage whose deadline is DEADLINE ms. */
function dueMs(at: AnswerTime, deadline: number): number {
  if (at === 'early') return 0;
  if (at === 'mid') return Math.floor(deadline / 2);
  if (at === 'late') return deadline + LATE_AFTER_DEADLINE_MS;
  return at;
}

/** An answer as people read it: stage, bytes, moment ("auth '0junk' early"). */
function answerText(a: DeferralAnswer): string {
  return `${a.stage} ${JSON.stringify(a.write)} ${typeof a.at === 'number' ? `at ${a.at} ms` : a.at}`;
}

/** Overwrite FILE with BYTES (one per character) without creating it: the server created it, and a file gone means
 * the client's deferral is over. */
async function writeAnswer(file: string, bytes: string): Promise<string> {
  try {
    const fh = await open(file, constants.O_WRONLY | constants.O_TRUNC);
    try {
      await fh.write(Buffer.from(bytes, 'latin1'));
    } finally {
      await fh.close();
    }
    return 'written';
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? 'not written: the file is gone' : `not written: ${code ?? (err as Error).message}`;
  }
}

/** The writes of one connect. Feed it the connect's progress events; finish() once the connect resolved. */
export class DeferralAnswerer {
  private readonly fates: string[];
  private readonly started = new Set<Stage>();
  private readonly writing: Array<Promise<void>> = [];
  private ended = false;
  private readonly endWaits = new Set<() => void>();

  constructor(
    private readonly answers: readonly DeferralAnswer[],
    private readonly deadlines: { handWindowMs?: number; timeoutMs?: number },
  ) {
    this.fates = answers.map((a) => `not written: no ${a.stage === 'auth' ? 'auth_control_file' : 'client_connect_deferred_file'} to write (no such deferral)`);
  }

  /** A progress event of the connect: the first with a file for a stage starts that stage's writes. */
  readonly onProgress = (p: { stage: string; file?: string }): void => {
    const stage = p.stage as Stage;
    if (p.file === undefined || this.started.has(stage) || this.ended) return;
    this.started.add(stage);
    this.writing.push(this.writeStage(stage, p.file));
  };

  /** The connect ended: make the writes not yet due, then say what each write did, in order. */
  async finish(): Promise<string[]> {
    this.ended = true;
    for (const wake of this.endWaits) wake();
    await Promise.all(this.writing);
    return this.answers.map((a, i) => `${answerText(a)}: ${this.fates[i]}`);
  }

  private async writeStage(stage: Stage, file: string): Promise<void> {
    const t0 = performance.now();
    const deadline = (stage === 'auth' ? this.deadlines.handWindowMs : this.deadlines.timeoutMs) ?? DEFAULT_DEADLINE_MS;
    for (const [i, a] of this.answers.entries()) {
      if (a.stage !== stage) continue;
      await this.until(t0 + dueMs(a.at, deadline));
      this.fates[i] = await writeAnswer(file, a.write);
    }
  }

  /** Wait until performance.now() reaches T, or the connect ended. */
  private until(t: number): Promise<void> {
    const ms = t - performance.now();
    if (ms <= 0 || this.ended) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.endWaits.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.endWaits.add(done);
    });
  }
}
