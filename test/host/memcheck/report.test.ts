// valgrind's XML (real captures of a worker running the bug fixtures) read into a memcheck report: each finding in
// the plugin told with its hook; Node's, V8's and koffi's own findings left out; a clean plugin is clean.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { memcheckReport } from '../../../src/host/memcheck/report.js';
import { parseValgrindXml } from '../../../src/host/memcheck/valgrind-xml.js';
import { ROOT } from '../../helpers.js';

function report(name: string) {
  const xml = readFileSync(join(ROOT, 'test', 'data', 'valgrind', `${name}.xml`), 'utf8');
  const file = `/repo/build/fixtures/${name}.so`;
  return memcheckReport(parseValgrindXml(xml), [{ file, path: `build/fixtures/${name}.so` }]);
}

test('a heap over-read is an InvalidRead in TLS_FINAL at the plugin line, with the block it ran past', () => {
  const r = report('bug-heap-overread');
  assert.equal(r.clean, false);
  assert.ok(r.findings.length >= 1);
  for (const f of r.findings) {
    assert.equal(f.kind, 'InvalidRead');
    assert.deepEqual(f.during, { plugin: 'build/fixtures/bug-heap-overread.so', call: 'TLS_FINAL', client: 0 });
    assert.equal(f.where, 'openvpn_plugin_func_v3 (bug-heap-overread.c:28)');
  }
  assert.match(r.findings[0]!.aux[0]!.what, /0 bytes after a block of size 11 alloc'd/);
  assert.ok(r.ignored > 0, "koffi's own stack switching findings are counted, not shown");
});

test('a leak is told after the call that made it (CLIENT_CONNECT_V2, 76 bytes), once, though valgrind repeats it at exit', () => {
  const r = report('bug-leak');
  assert.equal(r.findings.length, 1);
  const [f] = r.findings;
  assert.equal(f!.kind, 'Leak_DefinitelyLost');
  assert.equal(f!.when, 'call');
  assert.deepEqual(f!.during, { plugin: 'build/fixtures/bug-leak.so', call: 'CLIENT_CONNECT_V2', client: 0 });
  assert.equal(f!.bytes, 76);
  assert.deepEqual(r.leaks, [{ during: f!.during, when: 'call', bytes: 76 }]);
  assert.equal(f!.stack[1], 'openvpn_plugin_func_v3 (bug-leak.c:25) [bug-leak.so]');
});

test('a use after free is an InvalidRead in LEARN_ADDRESS, inside a block freed by the destructor', () => {
  const r = report('bug-use-after-free');
  assert.ok(r.findings.length >= 1);
  assert.ok(r.findings.every((f) => f.kind === 'InvalidRead' && f.during?.call === 'LEARN_ADDRESS'));
  assert.match(r.findings[0]!.aux[0]!.what, /inside a block of size 52 free'd/);
  // freed by the destructor (a tail call to free: its frame is the runtime's destructor trampoline)
  assert.match(r.findings[0]!.aux[0]!.stack.join('\n'), /ovph_destruct/);
});

test('a clean plugin is clean (what valgrind says of Node and koffi is not the plugin)', () => {
  const r = report('per-client');
  assert.deepEqual([r.clean, r.findings, r.leaks], [true, [], []]);
  assert.ok(r.ignored > 0);
});

test('XML entities and a file cut short by a crash', () => {
  const ev = parseValgrindXml(
    '<clientmsg><text>ovph-call 0 5 2\n</text></clientmsg><error><kind>InvalidFree</kind><what>Invalid free() / delete / delete[] &amp; co</what><stack><frame><obj>/p.so</obj><fn>f&lt;int&gt;</fn></frame></stack></error><error><kind>Inval',
  );
  assert.equal(ev.length, 2);
  const r = memcheckReport(ev, [{ file: '/p.so', path: 'p.so' }]);
  assert.equal(r.findings[0]!.what, 'Invalid free() / delete / delete[] & co');
  assert.equal(r.findings[0]!.where, 'f<int>');
  assert.deepEqual(r.findings[0]!.during, { plugin: 'p.so', call: 'AUTH_USER_PASS_VERIFY', client: 2 });
});

test('a read the plugin made through the host (its plugin_log callback) keeps the host frames down to the plugin line', () => {
  const r = report('bug-heap-overread');
  const through = r.findings.filter((f) => f.stack.some((s) => s.startsWith('plugin_vlog ')));
  assert.ok(through.length >= 1);
  for (const f of through) {
    assert.equal(f.where, 'openvpn_plugin_func_v3 (bug-heap-overread.c:28)');
    assert.ok(
      f.stack.indexOf('openvpn_plugin_func_v3 (bug-heap-overread.c:28) [bug-heap-overread.so]') > f.stack.findIndex((s) => s.startsWith('plugin_vlog ')),
    );
    assert.match(f.stack.at(-1)!, /^ovph_frame_call /, 'cut at the runtime frame that called the plugin');
  }
});

test('the same error reported again in the same call (differing only below the runtime) is one finding, counted', () => {
  const xml = readFileSync(join(ROOT, 'test', 'data', 'valgrind', 'bug-use-after-free.xml'), 'utf8');
  const events = parseValgrindXml(xml);
  const first = events.findIndex((e) => e.type === 'error' && e.kind === 'InvalidRead' && e.stack.some((f) => f.obj?.endsWith('/bug-use-after-free.so')));
  const twice = [...events.slice(0, first + 1), events[first]!, ...events.slice(first + 1)];
  const file = events.flatMap((e) => (e.type === 'error' ? e.stack : [])).find((f) => f.obj?.endsWith('/bug-use-after-free.so'))!.obj!;
  const plugins = [{ file, path: 'build/fixtures/bug-use-after-free.so' }];
  const once = memcheckReport(events, plugins);
  const again = memcheckReport(twice, plugins);
  assert.equal(again.findings.length, once.findings.length);
  assert.equal(again.findings[0]!.count, 2);
  assert.equal(once.findings[0]!.count, 1);
});
