// Per-depth certificate facts OpenVPN 2.6 exports at TLS_VERIFY (subject line, X509_* fields, serials, digests), from a PEM chain.

import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { replaceNonPrintable } from './env-set.js';

/** What OpenVPN knows about the certificate at one depth of the verified chain (0 = the client's own cert). */
export interface CertInfo {
  depth: number;
  /** One-line subject as OpenVPN prints it (argv[2] of TLS_VERIFY and tls_id_<depth>). */
  subject: string;
  /** One-line issuer, same format. */
  issuer: string;
  /** Subject RDN entries in certificate order: [OpenSSL short name, value] (value as OpenVPN puts it in X509_*). */
  rdns: Array<[string, string]>;
  /** The X509_<depth>_<name> variables OpenVPN sets on a clean env, in setting order (repeats get _1, _2, ...). */
  x509Env: Array<[string, string]>;
  /** tls_serial_<depth>: decimal serial. */
  serial: string;
  /** tls_serial_hex_<depth>: lowercase colon hex of the serial's bytes ("02", "6f:50:..."). */
  serialHex: string;
  /** tls_digest_<depth>: SHA-1 of the DER, lowercase colon hex. */
  digestSha1: string;
  /** tls_digest_sha256_<depth>: SHA-256 of the DER, lowercase colon hex. */
  digestSha256: string;
  /** The username OpenVPN derives from this cert (last CN, non-printables replaced), if it has a CN. */
  commonName?: string;
  /** The certificate in DER (the worker turns it into a real X509* for current_cert). */
  der: Buffer;
  /** The certificate in PEM. */
  pem: string;
}

/** Short names OpenSSL prints for common attribute types; used only if node's own subject text can't be matched. */
const SHORT_NAMES: Record<string, string> = {
  '2.5.4.3': 'CN',
  '2.5.4.4': 'SN',
  '2.5.4.5': 'serialNumber',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.9': 'street',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.12': 'title',
  '2.5.4.13': 'description',
  '2.5.4.15': 'businessCategory',
  '2.5.4.17': 'postalCode',
  '2.5.4.41': 'name',
  '2.5.4.42': 'GN',
  '2.5.4.43': 'initials',
  '2.5.4.44': 'generationQualifier',
  '2.5.4.45': 'x500UniqueIdentifier',
  '2.5.4.46': 'dnQualifier',
  '2.5.4.65': 'pseudonym',
  '2.5.4.72': 'role',
  '2.5.4.97': 'organizationIdentifier',
  '1.2.840.113549.1.9.1': 'emailAddress',
  '1.2.840.113549.1.9.2': 'unstructuredName',
  '0.9.2342.19200300.100.1.1': 'UID',
  '0.9.2342.19200300.100.1.25': 'DC',
  '1.3.6.1.4.1.311.60.2.1.1': 'jurisdictionL',
  '1.3.6.1.4.1.311.60.2.1.2': 'jurisdictionST',
  '1.3.6.1.4.1.311.60.2.1.3': 'jurisdictionC',
};

// ---------------------------------------------------------------------------------------------------------------
// Minimal DER reader: just enough to walk Certificate -> TBSCertificate -> serial/issuer/subject.

interface Tlv {
  tag: number;
  content: Buffer;
  end: number;
}

function readTlv(buf: Buffer, pos: number): Tlv {
  if (pos + 2 > buf.length) throw new Error('DER: truncated');
  const tag = buf[pos]!;
  if ((tag & 0x1f) === 0x1f) throw new Error('DER: high tag numbers are not supported');
  let len = buf[pos + 1]!;
  let p = pos + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || p + n > buf.length) throw new Error('DER: bad length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[p + i]!;
    p += n;
  }
  if (p + len > buf.length) throw new Error('DER: truncated content');
  return { tag, content: buf.subarray(p, p + len), end: p + len };
}

function children(tlv: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let p = 0; p < tlv.content.length; ) {
    const c = readTlv(tlv.content, p);
    out.push(c);
    p = c.end;
  }
  return out;
}

function decodeOid(b: Buffer): string {
  const parts: number[] = [];
  let v = 0;
  for (const byte of b) {
    v = v * 128 + (byte & 0x7f);
    if (!(byte & 0x80)) {
      parts.push(v);
      v = 0;
    }
  }
  const first = parts.shift() ?? 0;
  const a = first < 40 ? 0 : first < 80 ? 1 : 2;
  return [a, first - a * 40, ...parts].join('.');
}

/** Tag -> bytes per character, as OpenSSL's tag2nbyte: -1 = not a string, 0 = UTF-8. */
function charWidth(tag: number): number {
  if (tag === 0x0c) return 0;
  if (tag === 0x1c) return 4;
  if (tag === 0x1e) return 2;
  if ([0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b].includes(tag)) return 1;
  return -1;
}

/** Decode an ASN.1 string value to a JS string as ASN1_STRING_to_UTF8 would (non-strings read as Latin-1). */
function decodeAsn1String(tag: number, b: Buffer): string {
  const w = charWidth(tag);
  if (w === 0) return b.toString('utf8');
  if (w === 2) {
    let s = '';
    for (let i = 0; i + 1 < b.length; i += 2) s += String.fromCharCode(b.readUInt16BE(i));
    return s;
  }
  if (w === 4) {
    let s = '';
    for (let i = 0; i + 3 < b.length; i += 4) s += String.fromCodePoint(b.readUInt32BE(i));
    return s;
  }
  return b.toString('latin1');
}

interface NameEntry {
  oid: string;
  tag: number;
  value: string;
  /** Index of the RDN (SET) this entry belongs to; entries of one multi-valued RDN share it. */
  set: number;
}

function parseName(tlv: Tlv): NameEntry[] {
  const out: NameEntry[] = [];
  children(tlv).forEach((rdn, set) => {
    for (const atv of children(rdn)) {
      const [oidTlv, valueTlv] = children(atv);
      if (!oidTlv || !valueTlv) continue;
      out.push({ oid: decodeOid(oidTlv.content), tag: valueTlv.tag, value: decodeAsn1String(valueTlv.tag, valueTlv.content), set });
    }
  });
  return out;
}

interface TbsParts {
  serialBytes: Buffer;
  issuer: NameEntry[];
  subject: NameEntry[];
}

function parseTbs(der: Buffer): TbsParts {
  const cert = readTlv(der, 0);
  const tbs = children(cert)[0];
  if (!tbs) throw new Error('DER: no TBSCertificate');
  const f = children(tbs);
  let i = f[0]?.tag === 0xa0 ? 1 : 0; // optional [0] version
  const serial = f[i++];
  i++; // signature algorithm
  const issuer = f[i++];
  i++; // validity
  const subject = f[i++];
  if (serial?.tag !== 0x02 || !issuer || !subject) throw new Error('DER: unexpected TBSCertificate layout');
  return { serialBytes: serial.content, issuer: parseName(issuer), subject: parseName(subject) };
}

// ---------------------------------------------------------------------------------------------------------------
// OpenVPN formatting.

/** Escape a value as X509_NAME_print_ex with ASN1_STRFLGS_ESC_CTRL | UTF8_CONVERT: controls as \XX, backslash doubled. */
function escapeForSubject(value: string): string {
  let out = '';
  for (const ch of value) {
    const c = ch.codePointAt(0)!;
    if (c < 0x20 || c === 0x7f) out += `\\${c.toString(16).toUpperCase().padStart(2, '0')}`;
    else if (ch === '\\') out += '\\\\';
    else out += ch;
  }
  return out;
}

/** x509_get_subject + OpenVPN's clean-up: "C=KG, ST=NA, ..." (", " between RDNs, " + " inside one), leading '-' -> '_'. */
function formatName(entries: NameEntry[], keys: string[]): string {
  let s = '';
  entries.forEach((e, i) => {
    if (i > 0) s += e.set === entries[i - 1]!.set ? ' + ' : ', ';
    s += `${keys[i]}=${escapeForSubject(e.value)}`;
  });
  s = replaceNonPrintable(s);
  return s.replace(/^-+/, (m) => '_'.repeat(m.length));
}

const DOTTED_OID = /^\d+(\.\d+)+$/;

/**
 * The short names OpenSSL uses for each entry. Node prints the subject with OpenSSL (one entry per line, " + "
 * inside a multi-valued RDN, XN_FLAG_FN_SN), so its keys are exactly OpenSSL's names, including the dotted OID for
 * attributes OpenSSL does not know. If that text cannot be matched entry-for-entry, fall back to our table.
 */
function shortNames(entries: NameEntry[], nodeText: string): string[] {
  const nodeKeys = nodeText === '' ? [] : nodeText.split('\n').flatMap((line) => line.split(' + ').map((kv) => kv.slice(0, kv.indexOf('='))));
  if (nodeKeys.length === entries.length && nodeKeys.every((k) => k.length > 0)) return nodeKeys;
  return entries.map((e) => SHORT_NAMES[e.oid] ?? e.oid);
}

function colonHex(b: Buffer): string {
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join(':');
}

/** Serial as OpenVPN prints it: BN_bn2dec, and the ASN1_INTEGER's magnitude bytes (no sign padding) in colon hex. */
function formatSerial(content: Buffer): { serial: string; serialHex: string } {
  if (content.length === 0) return { serial: '0', serialHex: '' };
  let value = BigInt(`0x${content.toString('hex')}`);
  const negative = (content[0]! & 0x80) !== 0;
  if (negative) value = value - (1n << BigInt(content.length * 8));
  const magnitude = negative ? -value : value;
  let hex = magnitude.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  return { serial: value.toString(10), serialHex: colonHex(Buffer.from(hex, 'hex')) };
}

/** X509_<depth>_<name> pairs as x509_setenv + setenv_str_incr produce them on an env without X509_<depth>_* vars. */
function x509EnvFor(depth: number, rdns: Array<[string, string]>): Array<[string, string]> {
  const seen = new Set<string>();
  const out: Array<[string, string]> = [];
  for (const [key, value] of rdns) {
    const base = replaceNonPrintable(`X509_${depth}_${key}`);
    let name = base;
    for (let n = 1; seen.has(name) && n < 1000; n++) name = `${base}_${n}`;
    seen.add(name);
    out.push([name.replace(/[^A-Za-z0-9_]/g, ''), value]);
  }
  return out;
}

function describe(cert: X509Certificate, depth: number): CertInfo {
  const der = cert.raw;
  const tbs = parseTbs(der);
  const subjectKeys = shortNames(tbs.subject, cert.subject);
  const issuerKeys = shortNames(tbs.issuer, cert.issuer);
  // x509_setenv skips attributes OpenSSL has no NID for, and values that are not ASN.1 strings.
  const rdns: Array<[string, string]> = [];
  tbs.subject.forEach((e, i) => {
    const key = subjectKeys[i]!;
    if (DOTTED_OID.test(key) || charWidth(e.tag) < 0) return;
    rdns.push([key, replaceNonPrintable(e.value)]);
  });
  const cns = tbs.subject.filter((e, i) => subjectKeys[i] === 'CN' && charWidth(e.tag) >= 0);
  const lastCn = cns[cns.length - 1];
  return {
    depth,
    subject: formatName(tbs.subject, subjectKeys),
    issuer: formatName(tbs.issuer, issuerKeys),
    rdns,
    x509Env: x509EnvFor(depth, rdns),
    ...formatSerial(tbs.serialBytes),
    digestSha1: colonHex(createHash('sha1').update(der).digest()),
    digestSha256: colonHex(createHash('sha256').update(der).digest()),
    commonName: lastCn ? replaceNonPrintable(lastCn.value) : undefined,
    der: Buffer.from(der),
    pem: cert.toString(),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Chains.

/** Split PEM text into certificates (other PEM blocks, e.g. keys, are ignored). */
function parsePemCertificates(pem: string): X509Certificate[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return blocks.map((b) => new X509Certificate(b));
}

/**
 * Order certificates leaf first: the leaf is the first certificate (in the given order) that issued none of the
 * others; then each next one is the issuer of the previous. A certificate outside that chain is an error.
 */
function orderChain(certs: X509Certificate[]): X509Certificate[] {
  if (certs.length <= 1) return [...certs];
  const issuedAnother = (c: X509Certificate) => certs.some((o) => o !== c && o.checkIssued(c));
  const leaf = certs.find((c) => !issuedAnother(c)) ?? certs[0]!;
  const chain = [leaf];
  for (let cur = leaf; ; ) {
    const issuer = certs.find((o) => !chain.includes(o) && cur.checkIssued(o));
    if (!issuer) break;
    chain.push(issuer);
    cur = issuer;
  }
  const stray = certs.find((c) => !chain.includes(c));
  if (stray) throw new Error(`certificate '${stray.subject.replace(/\n/g, ', ')}' is not in the chain of '${leaf.subject.replace(/\n/g, ', ')}'`);
  return chain;
}

/** Per-depth info for a PEM chain (one or more certificates, any order). Index = depth (0 = client cert). */
export function certChainInfo(pem: string | string[]): CertInfo[] {
  const certs = parsePemCertificates(Array.isArray(pem) ? pem.join('\n') : pem);
  if (certs.length === 0) throw new Error('no PEM certificate found');
  return orderChain(certs).map((c, depth) => describe(c, depth));
}

/** Per-depth info for the chain in a PEM file (reads the file). */
export function loadCertChain(path: string): CertInfo[] {
  return certChainInfo(readFileSync(path, 'utf8'));
}

// ---------------------------------------------------------------------------------------------------------------
// The bundled test PKI.

/** Paths of the bundled test-only PKI in assets/test-pki. */
export function defaultPkiPaths(): { dir: string; chain: string; ca: string; cert: string; key: string } {
  // This module is src/openvpn/ (tsx) or dist/openvpn/ (tsc): the package root is two levels up either way.
  const dir = fileURLToPath(new URL('../../assets/test-pki', import.meta.url));
  return { dir, chain: join(dir, 'chain.pem'), ca: join(dir, 'ca.crt'), cert: join(dir, 'client.crt'), key: join(dir, 'client.key') };
}

/** Path of the default client chain (client cert then CA, PEM): assets/test-pki/chain.pem. */
export function defaultCertChainPath(): string {
  return defaultPkiPaths().chain;
}

let defaultChainCache: CertInfo[] | undefined;

/** The default chain's per-depth info (read once). */
export function defaultCertChain(): CertInfo[] {
  defaultChainCache ??= loadCertChain(defaultCertChainPath());
  return defaultChainCache;
}
