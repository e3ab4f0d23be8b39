// libcrypto is optional: without it TLS_VERIFY gets current_cert = NULL, one warning says why, and nothing crashes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openHost } from '../../../src/index.js';
import { fixture, messages } from '../../helpers.js';

async function connectCertCn(libcrypto?: string) {
  if (libcrypto) process.env.OVPH_LIBCRYPTO = libcrypto;
  else delete process.env.OVPH_LIBCRYPTO;
  const host = await openHost({ plugins: [{ path: fixture('cert-cn') }] });
  try {
    const client = host.client();
    const r = await client.connect();
    await client.disconnect();
    return { r, logs: messages(host.logs) };
  } finally {
    await host.close();
    delete process.env.OVPH_LIBCRYPTO;
  }
}

test('with libcrypto the plugin gets a real X509 at each depth', async () => {
  const { r, logs } = await connectCertCn();
  assert.equal(r.outcome, 'connected');
  assert.ok(
    logs.some((m) => /TLS_VERIFY depth 0 CN=Test-Client/.test(m)),
    logs.join('\n'),
  );
});

test('without libcrypto current_cert is NULL, with one warning that says what to install', async () => {
  const { r, logs } = await connectCertCn('libcrypto-not-here.so.9');
  assert.equal(r.outcome, 'rejected', 'cert-cn refuses a NULL certificate');
  const warnings = logs.filter((m) => /cannot be loaded.*current_cert = NULL.*install OpenSSL 3/.test(m));
  assert.equal(warnings.length, 1, logs.join('\n'));
  assert.ok(
    logs.some((m) => /no certificate \(current_cert is NULL\)/.test(m)),
    logs.join('\n'),
  );
});
