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

test('a crash record carries its frames: offset, the function when named (else -), the module (escaped)', () => {
  const r = parseRecord('X\t0\t6\t11\t0x1189 - /p/a\\tb.so\t0x12c2 openvpn_plugin_func_v3+0x42 /p/a\\tb.so\tnot a frame');
  assert.deepEqual(r, {
    kind: 'crash',
    plugin: 0,
    type: 6,
    signal: 11,
    frames: [
      { module: '/p/a\tb.so', offset: 0x1189 },
      { module: '/p/a\tb.so', offset: 0x12c2, symbol: 'openvpn_plugin_func_v3', symbolOffset: 0x42 },
    ],
  });
  // an older runtime's record without frames still parses
  assert.deepEqual(parseRecord('X\t-1\t-3\t6'), { kind: 'crash', plugin: -1, type: -3, signal: 6, frames: [] });
});
