// The worker's one-timer scheduler for deferred re-checks, and its one-watch-per-directory file watcher.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DirWatcher, RecheckScheduler } from '../../src/worker/recheck-scheduler.js';

/** A sleep on scheduler S that wake() ends early: schedule(), and cancel() to wake, as DeferralWait naps. */
function sleep(s: RecheckScheduler, ms: number): { promise: Promise<void>; wake(): void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  const t = s.schedule(ms, resolve);
  return {
    promise,
    wake: () => {
      if (t.done) return;
      s.cancel(t);
      resolve();
    },
  };
}

test('scheduler: sleepers wake in due order, each once; wake() ends a sleep early', async () => {
  const s = new RecheckScheduler();
  const order: number[] = [];
  const naps = [30, 10, 20, 10].map((ms, i) => {
    const n = sleep(s, ms);
    void n.promise.then(() => order.push(i));
    return n;
  });
  const early = sleep(s, 10_000);
  let woke = false;
  void early.promise.then(() => (woke = true));
  assert.equal(s.size, 5);
  early.wake();
  early.wake();
  await Promise.all(naps.map((n) => n.promise));
  assert.deepEqual(order, [1, 3, 2, 0]);
  assert.equal(woke, true);
  assert.equal(s.size, 0);
});

test('scheduler: 10,000 sleepers resolve with one timer', async () => {
  const s = new RecheckScheduler();
  const naps = Array.from({ length: 10_000 }, (_, i) => sleep(s, i % 50));
  await Promise.all(naps.map((n) => n.promise));
  assert.equal(s.size, 0);
});

test('dir watcher: a write to a watched file calls its callback; stop() ends it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dirwatch-'));
  try {
    const w = new DirWatcher();
    const a = join(dir, 'a');
    const b = join(dir, 'b');
    writeFileSync(a, '');
    writeFileSync(b, '');
    let hitsA = 0;
    let hitsB = 0;
    const gotA = new Promise<void>((resolve) =>
      w.watch(a, () => {
        hitsA++;
        resolve();
      }),
    );
    const stopB = w.watch(b, () => hitsB++);
    stopB();
    writeFileSync(b, '1');
    writeFileSync(a, '1');
    const keepAlive = setTimeout(() => undefined, 5000); // the watch itself does not keep the process alive
    await gotA;
    clearTimeout(keepAlive);
    assert.ok(hitsA >= 1);
    assert.equal(hitsB, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
