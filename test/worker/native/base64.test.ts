// The runtime's base64 callbacks follow OpenVPN's own base64.c semantics (stricter than Node's decoder), in-process and from a plugin.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import koffi from 'koffi';
import { getRuntime, type Pointer } from '../../../src/worker/native/runtime.js';
import { PluginHost, isFailure } from '../../../src/host/host.js';
import { fixture, findLog } from '../../helpers.js';

/** Call plugin_base64_encode; returns its return value and the string it malloc'd (freed here). */
function encode(text: string | Buffer): { ret: number; str: string | null } {
  const data = Buffer.isBuffer(text) ? text : Buffer.from(text);
  const out: Pointer[] = [0n];
  const rt = getRuntime();
  const ret = rt.base64Encode(data, data.length, out);
  const p = out[0];
  const str = p ? koffi.decode.string(p as never) : null;
  if (p) rt.free(p);
  return { ret, str };
}

/** Call plugin_base64_decode into a buffer of CAPACITY bytes, telling it SIZE (default: the capacity). */
function decode(str: string, capacity = 64, size = capacity): { ret: number; bytes: Buffer } {
  const buf = Buffer.alloc(capacity);
  const ret = getRuntime().base64Decode(str, buf, size);
  return { ret, bytes: buf.subarray(0, Math.max(ret, 0)) };
}

test('encode "Test-Client" returns 16 and VGVzdC1DbGllbnQ= (OpenVPN measured)', () => {
  assert.deepEqual(encode('Test-Client'), { ret: 16, str: 'VGVzdC1DbGllbnQ=' });
});

test('encode pads with one and two "="', () => {
  assert.deepEqual(encode('ab'), { ret: 4, str: 'YWI=' });
  assert.deepEqual(encode('a'), { ret: 4, str: 'YQ==' });
  assert.deepEqual(encode(Buffer.from([0xff, 0xfe, 0x00])), { ret: 4, str: '//4A' });
});

test('encode of empty input returns 0 and an empty string', () => {
  assert.deepEqual(encode(''), { ret: 0, str: '' });
});

test('decode "VGVzdC1DbGllbnQ=" returns 11 and the original bytes', () => {
  const r = decode('VGVzdC1DbGllbnQ=');
  assert.equal(r.ret, 11);
  assert.equal(r.bytes.toString(), 'Test-Client');
});

test('decode stops at the first character outside the alphabet and "="', () => {
  for (const stop of ['!', ' ', '\n', '-', '_', '.']) {
    const r = decode(`VGVz${stop}dC1D`);
    assert.equal(r.ret, 3, `stop at ${JSON.stringify(stop)}`);
    assert.equal(r.bytes.toString(), 'Tes');
  }
  assert.equal(decode('!VGVz').ret, 0);
});

test('decode goes on after a padded group (OpenVPN does not stop at "=")', () => {
  const r = decode('YQ==Yg==');
  assert.equal(r.ret, 2);
  assert.equal(r.bytes.toString(), 'ab');
});

test('decode of a malformed group returns -1', () => {
  assert.equal(decode('VG=z').ret, -1, 'a character after "="');
  assert.equal(decode('V===').ret, -1, 'three "=" markers');
  assert.equal(decode('VGV').ret, -1, 'a short last group');
  assert.equal(decode('VGVzdC1').ret, -1, 'a short group after a good one');
  assert.equal(decode('====').ret, -1, 'four markers');
});

test('decode returns -1 when the output would overflow SIZE', () => {
  assert.equal(decode('VGVzdC1DbGllbnQ=', 64, 10).ret, -1);
  assert.equal(decode('VGVzdC1DbGllbnQ=', 64, 11).ret, 11, 'exactly enough room');
  assert.equal(decode('YQ==', 64, 0).ret, -1);
});

test('decode with a negative size is unbounded', () => {
  const r = decode('VGVzdC1DbGllbnQ=', 64, -1);
  assert.equal(r.ret, 11);
  assert.equal(r.bytes.toString(), 'Test-Client');
});

test('decode of empty input returns 0', () => {
  assert.equal(decode('').ret, 0);
});

test("v3-open-v1-func's own round trip through the callbacks, logged at open", async () => {
  const host = await PluginHost.open({ plugins: [{ path: fixture('v3-open-v1-func') }] });
  assert.ok(!isFailure(host), isFailure(host) ? JSON.stringify(host) : '');
  try {
    assert.match(findLog(host.logs, /^BASE64 encoded/).message, /^BASE64 encoded 'Test-Client' \(return value 16\): 'VGVzdC1DbGllbnQ='$/);
    assert.match(findLog(host.logs, /^BASE64 decoded/).message, /^BASE64 decoded 'Test-Client' \(return value 11\)$/);
  } finally {
    await host.close();
  }
});
