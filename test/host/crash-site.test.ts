// A crash's site: the first frame in a plugin file, its (static) function named from the file's symbol table; frames
// in other modules are kept but never the site; a return address is named by the byte before it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { crashSite, frameText } from '../../src/host/crash-site.js';
import { elfFunctions } from '../../src/host/elf-symbols.js';
import { fixture } from '../helpers.js';

const file = fixture('bug-two-sites');
const functions = elfFunctions(readFileSync(file));
const fn = (name: string) => functions.find((f) => f.name === name)!;

test('the symbol table of a plugin names its static functions, with their sizes', () => {
  for (const name of ['initial_of', 'remember_password', 'openvpn_plugin_func_v3']) assert.ok(fn(name)?.size > 0, name);
  assert.deepEqual(elfFunctions(Buffer.from('not an ELF file at all, but long enough to be read as a header......')), []);
});

test('the site is the first frame in a plugin file, named from its symbols; a return address by the byte before it', () => {
  const libc = { module: '/nonexistent/libc.so.6', offset: 0x1234 };
  const inside = fn('remember_password').start + 3;
  const afterCallAtEnd = fn('initial_of').start + fn('initial_of').size; // a return address just past initial_of
  const site = crashSite([libc, { module: file, offset: inside }, { module: file, offset: afterCallAtEnd }], ['/elsewhere/a.so', file]);
  assert.equal(site?.plugin, file);
  assert.equal(site?.symbol, 'remember_password');
  assert.equal(site?.symbolOffset, 3);
  assert.equal(frameText(site!), 'remember_password+0x3');
  assert.equal(site?.frames[2]?.symbol, 'initial_of');
  assert.equal(site?.frames[2]?.symbolOffset, fn('initial_of').size);
  assert.equal(site?.frames[0]?.symbol, undefined, 'libc frames keep what the runtime named');
  // no frame in the chain's files: no site
  assert.equal(crashSite([libc], [file]), undefined);
  assert.equal(crashSite(undefined, [file]), undefined);
});
