// Mutated plugin arguments stay within one `plugin` config line: at most 14 arguments, at most 255 characters.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_PLUGIN_ARGS, MAX_PLUGIN_LINE, fitPluginLine, mutateArgs } from '../../src/fuzz/args.js';
import { Random } from '../../src/fuzz/random.js';

const path = '/usr/lib/openvpn/plugins/x.so';
const line = (args: string[]) => `plugin ${path}${args.map((a) => ` ${a}`).join('')}`;

test('a plugin line keeps at most 14 arguments and 255 characters: the last arguments are shortened, then dropped', () => {
  const many = Array.from({ length: 20 }, (_, i) => `a${i}`);
  assert.deepEqual(fitPluginLine(path, many), many.slice(0, MAX_PLUGIN_ARGS));
  const long = fitPluginLine(path, ['k=v', 'x'.repeat(400), 'y']);
  assert.equal(line(long).length, MAX_PLUGIN_LINE);
  assert.deepEqual(long.slice(0, 1), ['k=v']);
  assert.deepEqual(fitPluginLine(path, ['a', 'b']), ['a', 'b']);
});

test('mutations drop, duplicate, empty, lengthen and replace arguments, within the limits', () => {
  const given = ['mode=strict', 'prefix=vpn', 'verb'];
  const seen = new Set<string>();
  for (let run = 0; run < 400; run++) {
    const r = Random.forRun(3, run);
    let args = given;
    for (let m = 0; m < 3; m++) args = mutateArgs(path, args, r);
    assert.ok(args.length <= MAX_PLUGIN_ARGS && line(args).length <= MAX_PLUGIN_LINE, line(args));
    assert.ok(args.every((a) => !a.includes('\n') && !a.includes('\0')));
    if (args.length < given.length) seen.add('dropped');
    if (args.length > given.length) seen.add('added');
    if (args.some((a) => a.endsWith('='))) seen.add('empty');
    if (line(args).length === MAX_PLUGIN_LINE) seen.add('longest');
    if (args.some((a) => /=(2147483648|-1|18446744073709551616)$/.test(a))) seen.add('number');
  }
  assert.deepEqual([...seen].sort(), ['added', 'dropped', 'empty', 'longest', 'number']);
  assert.deepEqual(mutateArgs(path, given, Random.forRun(9, 1)), mutateArgs(path, given, Random.forRun(9, 1)), 'reproducible');
});
