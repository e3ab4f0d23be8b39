// Tests per-depth certificate info against the openssl CLI (subject line, serials, SHA-1/SHA-256 fingerprints).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { certChainInfo, defaultCertChain, defaultCertChainPath, defaultPkiPaths, loadCertChain } from '../../src/openvpn/cert-env.js';

const openssl = (...args: string[]) => execFileSync('openssl', args, { encoding: 'utf8' }).trim();
/** "SHA1 Fingerprint=AB:CD:..." -> "ab:cd:..." */
const fingerprint = (file: string, alg: string) => openssl('x509', '-in', file, '-noout', '-fingerprint', `-${alg}`).split('=')[1]!.toLowerCase();
/** "serial=0A1B" -> BigInt */
const serialOf = (file: string) => BigInt(`0x${openssl('x509', '-in', file, '-noout', '-serial').split('=')[1]}`);
/** The subject exactly as OpenVPN's x509_get_subject prints it (same X509_NAME_print_ex flags). */
const opensslSubject = (file: string) =>
  openssl('x509', '-in', file, '-noout', '-subject', '-nameopt', 'sep_comma_plus_space,sname,utf8,esc_ctrl').replace(/^subject=/, '');

const pki = defaultPkiPaths();

test('the bundled test PKI is where defaultCertChainPath says, and chain.pem is client.crt + ca.crt', () => {
  assert.equal(defaultCertChainPath(), pki.chain);
  for (const f of [pki.chain, pki.ca, pki.cert, pki.key, join(pki.dir, 'README.md')]) assert.ok(existsSync(f), f);
  assert.equal(readFileSync(pki.chain, 'utf8'), readFileSync(pki.cert, 'utf8') + readFileSync(pki.ca, 'utf8'));
  assert.match(readFileSync(join(pki.dir, 'README.md'), 'utf8'), /test-only/i);
  openssl('verify', '-CAfile', pki.ca, pki.cert); // throws if the client cert is not signed by the CA
});

test('depth 0 is the client cert, depth 1 its CA, with OpenVPN subject lines', () => {
  const chain = loadCertChain(pki.chain);
  assert.equal(chain.length, 2);
  const [leaf, ca] = chain as [NonNullable<(typeof chain)[0]>, NonNullable<(typeof chain)[1]>];
  assert.equal(leaf.depth, 0);
  assert.equal(leaf.subject, 'C=KG, ST=NA, O=OpenVPN-TEST, CN=Test-Client, emailAddress=me@myhost.mydomain');
  assert.equal(ca.subject, 'C=KG, ST=NA, L=BISHKEK, O=OpenVPN-TEST, emailAddress=me@myhost.mydomain');
  assert.equal(leaf.issuer, ca.subject);
  assert.equal(leaf.subject, opensslSubject(pki.cert));
  assert.equal(ca.subject, opensslSubject(pki.ca));
  assert.equal(leaf.commonName, 'Test-Client');
  assert.equal(ca.commonName, undefined);
  assert.deepEqual(leaf.rdns, [
    ['C', 'KG'],
    ['ST', 'NA'],
    ['O', 'OpenVPN-TEST'],
    ['CN', 'Test-Client'],
    ['emailAddress', 'me@myhost.mydomain'],
  ]);
  assert.deepEqual(
    ca.x509Env.map(([k]) => k),
    ['X509_1_C', 'X509_1_ST', 'X509_1_L', 'X509_1_O', 'X509_1_emailAddress'],
  );
  assert.deepEqual(
    defaultCertChain().map((c) => c.subject),
    chain.map((c) => c.subject),
  );
});

test('serials (decimal and colon hex) and digests agree with openssl', () => {
  const [leaf, ca] = loadCertChain(pki.chain);
  for (const [info, file] of [
    [leaf!, pki.cert],
    [ca!, pki.ca],
  ] as const) {
    const serial = serialOf(file);
    assert.equal(info.serial, serial.toString(10));
    let hex = serial.toString(16);
    if (hex.length % 2) hex = `0${hex}`;
    assert.equal(info.serialHex, hex.match(/../g)!.join(':'));
    assert.equal(info.digestSha1, fingerprint(file, 'sha1'));
    assert.equal(info.digestSha256, fingerprint(file, 'sha256'));
    assert.ok(info.der.equals(execFileSync('openssl', ['x509', '-in', file, '-outform', 'DER'])), 'DER bytes');
  }
  assert.equal(leaf!.serial, '2');
  assert.equal(leaf!.serialHex, '02', 'as in the capture: tls_serial_hex_0=02');
  assert.match(ca!.serialHex, /^([0-9a-f]{2}:){19}[0-9a-f]{2}$/, '20-byte CA serial, like the capture');
});

test('the chain may come in any order; a certificate outside the chain is an error', () => {
  const ca = readFileSync(pki.ca, 'utf8');
  const leaf = readFileSync(pki.cert, 'utf8');
  assert.deepEqual(
    certChainInfo(ca + leaf).map((c) => c.commonName ?? c.subject),
    ['Test-Client', certChainInfo(ca)[0]!.subject],
  );
  assert.deepEqual(
    certChainInfo([leaf]).map((c) => c.depth),
    [0],
  );
  assert.throws(() => certChainInfo('no pem here'), /no PEM certificate/);
  const dir = mkdtempSync(join(tmpdir(), 'cert-env-'));
  try {
    openssl(
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      join(dir, 'k'),
      '-out',
      join(dir, 'c'),
      '-days',
      '1',
      '-subj',
      '/CN=stray',
    );
    assert.throws(() => certChainInfo(leaf + ca + readFileSync(join(dir, 'c'), 'utf8')), /not in the chain/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('odd subjects: repeated RDNs get _1, multi-valued RDNs use " + ", unknown OIDs, escapes, UTF-8', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cert-env-'));
  try {
    writeFileSync(
      join(dir, 'req.cnf'),
      [
        'oid_section = new_oids',
        '[new_oids]',
        'myAttr = 1.2.3.4.5',
        '[req]',
        'prompt = no',
        'distinguished_name = dn',
        'utf8 = yes',
        'string_mask = utf8only',
        '[dn]',
        'C = KG',
        '0.OU = one',
        '1.OU = two',
        'CN = Weird, Name',
        '+UID = u1',
        'myAttr = oid value',
        'O = back\\\\slash ; Ünïcode',
        '',
      ].join('\n'),
    );
    const crt = join(dir, 'w.crt');
    openssl(
      'req',
      '-x509',
      '-config',
      join(dir, 'req.cnf'),
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      join(dir, 'w.key'),
      '-out',
      crt,
      '-days',
      '1',
      '-set_serial',
      '0x00ff',
    );
    const [info] = loadCertChain(crt);
    assert.equal(info!.subject, opensslSubject(crt));
    assert.match(info!.subject, / \+ /);
    assert.match(info!.subject, /1\.2\.3\.4\.5=oid value/);
    const env = Object.fromEntries(info!.x509Env);
    assert.equal(env.X509_0_OU, 'one');
    assert.equal(env.X509_0_OU_1, 'two');
    assert.equal(env.X509_0_UID, 'u1');
    assert.equal(env.X509_0_O, 'back\\slash ; Ünïcode');
    assert.equal(
      Object.keys(env).some((k) => k.includes('1234')),
      false,
      'attributes without a NID are skipped',
    );
    assert.equal(info!.commonName, 'Weird, Name');
    assert.equal(info!.serial, '255');
    assert.equal(info!.serialHex, 'ff', 'the ASN1_INTEGER bytes, without the DER sign byte');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
