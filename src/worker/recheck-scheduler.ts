// One timer for every waiting client: deferred re-checks sleep in a min-heap by due time, and a watched file's
// write wakes its sleeper at once. Thousands of deferred clients cost one timer and one inotify watch per dir.
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';

interface Sleeper {
  due: number;
  resolve: () => void;
  done: boolean;
}

/** A sleep that can be ended early by wake(). */
export interface Nap {
  promise: Promise<void>;
  wake(): void;
}

export class RecheckScheduler {
  private heap: Sleeper[] = [];
  private timer?: NodeJS.Timeout;
  private timerDue = Infinity;

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** How many sleepers are waiting (for tests and load reports). */
  get size(): number {
    return this.heap.filter((s) => !s.done).length;
  }

  /** Sleep MS milliseconds (or until wake()). */
  sleep(ms: number): Nap {
    let sleeper!: Sleeper;
    const promise = new Promise<void>((resolve) => {
      sleeper = { due: this.now() + Math.max(0, ms), resolve, done: false };
    });
    this.push(sleeper);
    this.arm();
    return {
      promise,
      wake: () => {
        if (sleeper.done) return;
        sleeper.done = true;
        sleeper.resolve();
      },
    };
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
    this.timer = setTimeout(() => this.fire(), Math.max(0, top.due - this.now()));
  }

  private fire(): void {
    this.timer = undefined;
    this.timerDue = Infinity;
    const now = this.now() + 0.5;
    while (this.heap.length && (this.heap[0]!.done || this.heap[0]!.due <= now)) {
      const s = this.pop()!;
      if (!s.done) {
        s.done = true;
        s.resolve();
      }
    }
    this.arm();
  }

  private push(s: Sleeper): void {
    const h = this.heap;
    h.push(s);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p]!.due <= h[i]!.due) break;
      [h[p], h[i]] = [h[i]!, h[p]!];
      i = p;
    }
  }

  private pop(): Sleeper | undefined {
    const h = this.heap;
    const top = h[0];
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
