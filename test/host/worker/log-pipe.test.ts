// The log pipe's line splitter: lines across chunks, a line longer than the cap cut once and said, linear input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LineSplitter, cutNote, parseRecord } from '../../../src/host/worker/log-pipe.js';

test('lines split across chunks are joined; the unfinished tail waits for its newline or the end', () => {
  const s = new LineSplitter();
  assert.deepEqual(s.push('a'), []);
  assert.deepEqual(s.push('b\nc'), ['ab']);
  assert.deepEqual(s.push('\n\nd'), ['c', '']);
  assert.deepEqual(s.flush(), ['d']);
  assert.deepEqual(s.flush(), []);
});

test('a line longer than the cap keeps its first characters and says how many more were not kept', () => {
  const s = new LineSplitter(10);
  assert.deepEqual(s.push('0123456'), []);
  assert.deepEqual(s.push('789abcdef'), []);
  assert.deepEqual(s.push('ghij\nshort\n'), [`0123456789${cutNote(10, 10)}`, 'short']);
  assert.deepEqual(s.push('x'.repeat(25)), []);
  assert.deepEqual(s.flush(), [`${'x'.repeat(10)}${cutNote(10, 15)}`]);
});

test('100 MB without a newline, in 64 KiB chunks: one cut line, then the next line intact', () => {
  const s = new LineSplitter();
  const chunk = 'x'.repeat(64 * 1024);
  for (let i = 0; i < 1600; i++) assert.deepEqual(s.push(chunk), []);
  const [line, after] = s.push('\nafter\n');
  assert.equal(line, `${'x'.repeat(64 * 1024)}${cutNote(64 * 1024, 1599 * 64 * 1024)}`);
  assert.equal(after, 'after');
});

test('a setup failure the worker wrote itself (before the runtime exists) is read back whole', () => {
  assert.deepEqual(parseRecord('S\tno runtime for linux-x64: install gcc\\tthen retry\\\\'), {
    kind: 'setup-failed',
    message: 'no runtime for linux-x64: install gcc\tthen retry\\',
  });
});
