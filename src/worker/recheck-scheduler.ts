// One timer for every waiting client: deferred re-checks sleep in a min-heap by due time, and a watched file's
// write wakes its sleeper at once. Thousands of deferred clients cost one timer and one inotify watch per dir.
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';

/** A callback due at a time; re-usable once it fired (see schedule()). */
export interface Timer {
  due: number;
  fire: () => void;
  /** Fired or cancelled: a cancelled timer stays in the heap until it reaches the top, and is then dropped. */
  done: boolean;
  /** In the heap (a fired timer no longer is; a cancelled one may still be). */
  queued: boolean;
}

export class RecheckScheduler {
  private heap: Timer[] = [];
  private timer?: NodeJS.Timeout;
  private timerDue = Infinity;

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** How many timers are waiting (for tests and load reports). */
  get size(): number {
    return this.heap.filter((s) => !s.done).length;
  }

  /** Call FIRE in MS milliseconds unless cancel() comes first. REUSE, a timer that already fired, is filled in again
   * instead of a new one (a waiting client re-checks with the same timer: nothing allocated per re-check). */
  schedule(ms: number, fire: () => void, reuse?: Timer): Timer {
    const due = this.now() + Math.max(0, ms);
    let t: Timer;
    if (reuse && !reuse.queued) {
      t = reuse;
      t.due = due;
      t.fire = fire;
      t.done = false;
    } else {
      t = { due, fire, done: false, queued: false };
    }
    this.push(t);
    this.arm();
    return t;
  }

  /** The timer will not fire (a no-op once it fired); with no other timer left, nothing stays armed. */
  cancel(t: Timer): void {
    if (t.done) return;
    t.done = true;
    if (this.heap[0] === t) this.arm();
  }

  private arm(): void {
    while (this.heap.length && this.heap[0]!.done) this.pop();
    const top = this.heap[0];
    if (!top) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.timerDue = Infinity;
      return;
    }
    if (this.timer && this.timerDue <= top.due) return;
    clearTimeout(this.timer);
    this.timerDue = top.due;
    this.timer = setTimeout(() => this.fireDue(), Math.max(0, top.due - this.now()));
  }

  /** Fire every timer that is due (a callback that throws does not stop the others; its error is thrown after). */
  private fireDue(): void {
    this.timer = undefined;
    this.timerDue = Infinity;
    const now = this.now() + 0.5;
    let failure: { err: unknown } | undefined;
    while (this.heap.length && (this.heap[0]!.done || this.heap[0]!.due <= now)) {
      const s = this.pop()!;
      if (s.done) continue;
      s.done = true;
      try {
        s.fire();
      } catch (err) {
        failure ??= { err };
      }
    }
    this.arm();
    if (failure) throw failure.err;
  }

  private push(s: Timer): void {
    const h = this.heap;
    s.queued = true;
    h.push(s);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p]!.due <= h[i]!.due) break;
      [h[p], h[i]] = [h[i]!, h[p]!];
      i = p;
    }
  }

  private pop(): Timer | undefined {
    const h = this.heap;
    const top = h[0];
    if (top) top.queued = false;
    const last = h.pop();
    if (h.length && last) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && h[l]!.due < h[m]!.due) m = l;
        if (r < h.length && h[r]!.due < h[m]!.due) m = r;
        if (m === i) break;
        [h[m], h[i]] = [h[i]!, h[m]!];
        i = m;
      }
    }
    return top;
  }
}

/** Writes to files, noticed through one inotify watch per directory rather than one per file. */
export class DirWatcher {
  private dirs = new Map<string, { watcher: FSWatcher; files: Map<string, () => void> }>();

  /** Call ON_WRITE when PATH changes; returns a function that stops it. */
  watch(path: string, onWrite: () => void): () => void {
    const dir = dirname(path);
    const name = basename(path);
    let entry = this.dirs.get(dir);
    if (!entry) {
      const files = new Map<string, () => void>();
      try {
        const watcher = watch(dir, { persistent: false }, (_event, file) => {
          if (file) files.get(file.toString())?.();
        });
        watcher.on('error', () => undefined);
        entry = { watcher, files };
        this.dirs.set(dir, entry);
      } catch {
        return () => undefined; // the directory is gone: the timer still re-checks
      }
    }
    const e = entry;
    e.files.set(name, onWrite);
    return () => {
      if (e.files.get(name) !== onWrite) return;
      e.files.delete(name);
      if (e.files.size === 0) {
        e.watcher.close();
        this.dirs.delete(dir);
      }
    };
  }
}

/** The worker's one scheduler and watcher. */
export const recheck = new RecheckScheduler();
export const dirWatcher = new DirWatcher();
