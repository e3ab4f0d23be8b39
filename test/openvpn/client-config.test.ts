// Tests client-connect config parsing: OpenVPN's quoting, line cuts, comments, permissions, arity, and merging.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bufParseLines, formatConfigLine, mergeConfigs, parseClientConfig, tokenizeConfigLine } from '../../src/openvpn/client-config.js';

const names = (text: string) => parseClientConfig(text).options.map((o) => [o.name, ...o.args]);

test('quoting: double quotes with backslash escapes, single quotes literal, adjacent tokens, empty quotes', () => {
  assert.deepEqual(tokenizeConfigLine('push "route 10.0.0.0 255.0.0.0"').tokens, ['push', 'route 10.0.0.0 255.0.0.0']);
  assert.deepEqual(tokenizeConfigLine(`echo 'a \\ b "c"' "x \\"y\\" \\\\z"`).tokens, ['echo', 'a \\ b "c"', 'x "y" \\z']);
  assert.deepEqual(tokenizeConfigLine('echo a\\ b "q"r ""').tokens, ['echo', 'a b', 'q', 'r', '']);
  assert.deepEqual(tokenizeConfigLine('echo a#b ;c').tokens, ['echo', 'a#b'], 'a comment starts only at a token start');
  assert.deepEqual(tokenizeConfigLine('   # only a comment').tokens, []);
  assert.deepEqual(tokenizeConfigLine('\t\r\n').tokens, []);
});

test('tokeniser errors: bad backslash, unclosed quotes, trailing backslash', () => {
  assert.match(tokenizeConfigLine('echo c:\\path', '[CONFIG-STRING]', 3).error!, /^Options warning: Bad backslash \('\\'\) usage in \[CONFIG-STRING\]:3: /);
  assert.equal(tokenizeConfigLine('push "route x', '[CONFIG-STRING]', 2).error, 'Options error: No closing quotation (") in [CONFIG-STRING]:2');
  assert.equal(tokenizeConfigLine("echo 'x", 'f', 1).error, "Options error: No closing single quotation (') in f:1");
  assert.equal(tokenizeConfigLine('echo x\\', 'f', 1).error, 'Options error: Residual parse state (2) in f:1');
  const r = parseClientConfig('push "route x\npush "ok"\n');
  assert.deepEqual(
    r.options.map((o) => [o.name, o.args, o.line]),
    [['push', ['ok'], 2]],
  );
  assert.deepEqual(r.warnings, ['Options error: No closing quotation (") in [CONFIG-STRING]:1']);
});

test('at most 16 tokens per line; "--" before a directive is ignored', () => {
  const line = `echo ${Array.from({ length: 20 }, (_, i) => `t${i}`).join(' ')}`;
  assert.equal(tokenizeConfigLine(line).tokens.length, 16);
  assert.deepEqual(names('--push-reset'), [['push-reset']]);
});

test('buf_parse cuts long lines at 255 and loses the next two characters (measured with the C function)', () => {
  // Lengths measured by compiling buffer.c:buf_parse: a line of L chars + "\n" + "next".
  const expected: Record<number, number[]> = { 254: [254, 4], 255: [255, 4], 256: [255, 4], 257: [255, 0, 4], 258: [255, 1, 4] };
  for (const [len, lens] of Object.entries(expected)) {
    const lines = bufParseLines(Buffer.from(`${'a'.repeat(Number(len))}\nnext`));
    assert.deepEqual(
      lines.map((l) => l.length),
      lens,
      `line of ${len}`,
    );
  }
  const text = Array.from({ length: 300 }, (_, i) => String.fromCharCode(65 + (i % 26))).join('');
  const [first, rest] = bufParseLines(Buffer.from(text));
  assert.equal(first!.toString(), text.slice(0, 255));
  assert.equal(rest!.toString(), text.slice(257));
});

test('a long [CONFIG-STRING] line: the tail becomes its own (usually bad) line', () => {
  const text = `push "${'x'.repeat(260)} y"\ndisable\n`;
  const r = parseClientConfig(text);
  assert.deepEqual(
    r.options.map((o) => [o.name, o.line]),
    [['disable', 3]],
  );
  assert.deepEqual(r.warnings, [
    'Options error: No closing quotation (") in [CONFIG-STRING]:1',
    // line 2 is the tail after the two lost characters: 9 x's then ` y"`
    'Options error: Unrecognized option or missing or extra parameter(s) in [CONFIG-STRING]:2: xxxxxxxxx (2.6.14)',
  ]);
  assert.equal(r.disabled, true);
  // The tail after the cut is parsed as a line of its own.
  const tail = parseClientConfig(`echo ${'z'.repeat(250)}ABiroute 10.1.0.0 255.255.0.0`); // 'AB' are the two lost characters
  assert.deepEqual(
    tail.options.map((o) => o.name),
    ['echo', 'iroute'],
  );
  assert.deepEqual(tail.options[1]!.args, ['10.1.0.0', '255.255.0.0']);
  assert.equal(tail.options[0]!.args[0], 'z'.repeat(250), 'only 255 characters of the first line');
});

test('a config FILE is read with fgets: 256-character chunks, nothing lost, BOM skipped', () => {
  const long = `echo ${'f'.repeat(251)}push-reset`;
  const r = parseClientConfig(`\uFEFFpush "a b"\n${long}\n`, { kind: 'file', fileName: '/tmp/openvpn_cc_x.tmp' });
  assert.deepEqual(
    r.options.map((o) => [o.name, o.line]),
    [
      ['push', 1],
      ['echo', 2],
      ['push-reset', 3],
    ],
  );
  assert.deepEqual(r.warnings, [`In /tmp/openvpn_cc_x.tmp:2: Maximum option line length (256) exceeded, line starts with ${long.slice(0, 256)}`]);
  assert.equal(r.options[0]!.source, '/tmp/openvpn_cc_x.tmp');
});

test('comments, blank lines and CRLF are skipped; line numbers count every line', () => {
  const r = parseClientConfig('# comment\n\n; other\r\npush "route 192.0.2.0 255.255.255.0"\r\n  iroute 10.98.0.0 255.255.0.0 # trailing\n');
  assert.deepEqual(
    r.options.map((o) => [o.name, o.args, o.line]),
    [
      ['push', ['route 192.0.2.0 255.255.255.0'], 4],
      ['iroute', ['10.98.0.0', '255.255.0.0'], 5],
    ],
  );
  assert.deepEqual(r.warnings, []);
  assert.equal(r.disabled, false);
});

test('forbidden and unknown directives are warnings in OpenVPN words, and the lines are ignored', () => {
  const r = parseClientConfig('setenv FOO bar\nroute 10.0.0.0 255.0.0.0\nbogus-option 1\nroute\npush "ok"\nsetenv opt whatever 1\n');
  assert.deepEqual(names('setenv FOO bar\nroute 10.0.0.0 255.0.0.0\nbogus-option 1\nroute\npush "ok"\n'), [['push', 'ok']]);
  assert.deepEqual(r.warnings, [
    "Options error: option 'setenv' cannot be used in this context ([CONFIG-STRING])",
    "Options error: option 'route' cannot be used in this context ([CONFIG-STRING])",
    'Options error: Unrecognized option or missing or extra parameter(s) in [CONFIG-STRING]:3: bogus-option (2.6.14)',
    'Options error: Unrecognized option or missing or extra parameter(s) in [CONFIG-STRING]:4: route (2.6.14)',
    'Unrecognized option or missing or extra parameter(s) in [CONFIG-STRING]:6: whatever (2.6.14)',
  ]);
});

test('arity and value checks: push, iroute, ifconfig-push, ifconfig-ipv6-push, disable', () => {
  const r = parseClientConfig(
    [
      'push',
      'push a b',
      'push "dhcp-option DNS 10.0.0.1"',
      'push "a,b"',
      'iroute 10.98.0.0',
      'iroute 10.98.0.0 255.255.0.0',
      'iroute 10.0.0.0 255.0.255.0',
      'iroute 1 2 3',
      'ifconfig-push 10.29.41.50',
      'ifconfig-push 10.29.41.50 255.255.255.0',
      'ifconfig-push 10.29.41.51 255.255.255.0 10.0.0.9',
      'ifconfig-push not-an-ip 255.255.255.0',
      'ifconfig-ipv6-push fd00::2/64',
      'ifconfig-ipv6-push nope',
      'disable now',
      'disable',
    ].join('\n'),
  );
  assert.deepEqual(
    r.options.map((o) => [o.name, ...o.args]),
    [
      ['push', 'dhcp-option DNS 10.0.0.1'],
      ['iroute', '10.98.0.0'],
      ['iroute', '10.98.0.0', '255.255.0.0'],
      ['ifconfig-push', '10.29.41.50', '255.255.255.0'],
      ['ifconfig-push', '10.29.41.51', '255.255.255.0', '10.0.0.9'],
      ['ifconfig-ipv6-push', 'fd00::2/64'],
      ['disable'],
    ],
  );
  const unrecognized = (n: number, name: string) =>
    `Options error: Unrecognized option or missing or extra parameter(s) in [CONFIG-STRING]:${n}: ${name} (2.6.14)`;
  assert.deepEqual(r.warnings, [
    unrecognized(1, 'push'),
    unrecognized(2, 'push'),
    "Options error: PUSH OPTION FAILED (illegal comma (',') in string): 'a,b'",
    'Options error: in --iroute 10.0.0.0 255.0.255.0 : Bad network address',
    unrecognized(8, 'iroute'),
    unrecognized(9, 'ifconfig-push'),
    'Options error: cannot parse --ifconfig-push addresses',
    'Options error: cannot parse --ifconfig-ipv6-push addresses',
    unrecognized(15, 'disable'),
  ]);
  assert.equal(r.disabled, true);
});

test('an inline <block> is read to its end tag and checked like any directive', () => {
  const r = parseClientConfig('<ca>\n-----BEGIN X-----\nabc\n</ca>\npush "after"\n');
  assert.deepEqual(r.warnings, ["Options error: option 'ca' cannot be used in this context ([CONFIG-STRING])"]);
  assert.deepEqual(
    r.options.map((o) => [o.name, o.line]),
    [['push', 5]],
  );
});

test('mergeConfigs: handler order, warnings, last ifconfig-push wins, and a disable stops the chain', () => {
  const m = mergeConfigs([
    { source: 'ccd', text: 'ifconfig-push 10.29.41.10 255.255.255.0\npush "route 10.1.0.0 255.255.0.0"\n' },
    { source: 'plugin-v1', text: 'ifconfig-push 10.29.41.20 255.255.255.0\nsetenv X 1\n', kind: 'file', fileName: '/tmp/cc' },
    { source: 'v2:sample.so', text: 'push "echo hello world"\n' },
  ]);
  assert.deepEqual(
    m.options.map((o) => [o.source, o.name]),
    [
      ['ccd', 'ifconfig-push'],
      ['ccd', 'push'],
      ['plugin-v1', 'ifconfig-push'],
      ['v2:sample.so', 'push'],
    ],
  );
  assert.deepEqual(m.warnings, ["Options error: option 'setenv' cannot be used in this context (/tmp/cc)"]);
  assert.deepEqual(m.ifconfigPush, ['10.29.41.20', '255.255.255.0']);
  assert.equal(m.disabled, false);
  assert.equal(
    m.text,
    'ifconfig-push 10.29.41.10 255.255.255.0\npush "route 10.1.0.0 255.255.0.0"\nifconfig-push 10.29.41.20 255.255.255.0\npush "echo hello world"\n',
  );
  // The text re-parses to the same options.
  assert.deepEqual(
    parseClientConfig(m.text).options.map((o) => [o.name, o.args]),
    m.options.map((o) => [o.name, o.args]),
  );

  const d = mergeConfigs([
    { source: 'a', text: 'push "x"\n' },
    { source: 'b', text: 'disable\n' },
    { source: 'c', text: 'push "never"\n' },
  ]);
  assert.equal(d.disabled, true);
  assert.equal(d.disabledBy, 'b');
  assert.deepEqual(
    d.options.map((o) => o.source),
    ['a', 'b'],
  );
});

test('formatConfigLine quotes what needs quoting', () => {
  assert.equal(formatConfigLine('push', ['route 10.0.0.0 255.0.0.0']), 'push "route 10.0.0.0 255.0.0.0"');
  assert.equal(formatConfigLine('echo', ['a"b\\c', '', '#x']), 'echo "a\\"b\\\\c" "" "#x"');
  assert.deepEqual(tokenizeConfigLine(formatConfigLine('echo', ['a"b\\c', '', '#x', "it's"])).tokens, ['echo', 'a"b\\c', '', '#x', "it's"]);
});

test('a config of 200 000 lines is parsed and merged whole (no call-stack overflow)', () => {
  const text = Array.from({ length: 200_000 }, (_, i) => `push "echo line ${i + 1}"`).join('\n');
  const merged = mergeConfigs([{ source: 'a', text }]);
  assert.equal(merged.options.length, 200_000);
  assert.deepEqual(merged.options.at(-1)?.args, ['echo line 200000']);
});
