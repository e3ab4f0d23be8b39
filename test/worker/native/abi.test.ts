// The koffi struct declarations and ABI constants match the real openvpn-plugin.h (build/fixtures/abi-layout prints them).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import koffi, { type TypeObject } from 'koffi';
import { ABI_STRUCTS } from '../../../src/worker/native/structs.js';
import {
  HOOKS,
  INIT_POINT_NAMES,
  OPENVPN_PLUGIN_N,
  OPENVPN_PLUGIN_VERSION,
  OPENVPN_PLUGINv3_STRUCTVER,
  OVPN_VERSION,
  PLOG,
  RETURN,
  SSLAPI_OPENSSL,
} from '../../../src/openvpn/constants.js';

import { fixture } from '../../helpers.js';

interface StructLayout {
  size: number;
  fields: Record<string, number>;
}
type Layout = Record<keyof typeof ABI_STRUCTS, StructLayout> & {
  constants: Record<string, number>;
  hooks: Record<string, number>;
  returns: Record<string, number>;
  plog: Record<string, number>;
  init_points: Record<string, number>;
  misc: Record<string, number | string>;
};

const layout = JSON.parse(execFileSync(fixture('abi-layout'), { encoding: 'utf8' })) as Layout;

for (const [key, type] of Object.entries(ABI_STRUCTS) as [keyof typeof ABI_STRUCTS, TypeObject][]) {
  test(`struct ${key}: koffi size and field offsets equal the C header's`, () => {
    const c = layout[key];
    assert.ok(c, `abi-layout printed no ${key}`);
    assert.equal(koffi.sizeof(type), c.size, `sizeof ${key}`);
    const members = Object.keys(koffi.type(type).members ?? {});
    assert.deepEqual(members, Object.keys(c.fields), `fields of ${key}, in order`);
    for (const [field, offset] of Object.entries(c.fields)) {
      assert.equal(koffi.offsetof(type, field), offset, `offsetof(${key}, ${field})`);
    }
  });
}

test('the v3 struct sizes are the ones the real header has on x86_64 (24/40/64/24/56/8)', () => {
  const sizes = Object.values(ABI_STRUCTS).map((t) => koffi.sizeof(t));
  assert.deepEqual(sizes, [24, 40, 64, 24, 56, 8]);
});

test('4-byte enums (log flags, ssl api) are declared as int', () => {
  assert.equal(layout.misc.sizeof_log_flags, 4);
  assert.equal(layout.misc.sizeof_ssl_api, koffi.sizeof(koffi.type(ABI_STRUCTS.open_in).members!.ssl_api.type));
});

test('version constants equal the header', () => {
  assert.equal(OPENVPN_PLUGINv3_STRUCTVER, layout.constants.OPENVPN_PLUGINv3_STRUCTVER);
  assert.equal(OPENVPN_PLUGIN_VERSION, layout.constants.OPENVPN_PLUGIN_VERSION);
  assert.equal(OPENVPN_PLUGIN_N, layout.constants.OPENVPN_PLUGIN_N);
  assert.equal(OVPN_VERSION.major, layout.misc.OPENVPN_VERSION_MAJOR);
  assert.equal(OVPN_VERSION.minor, layout.misc.OPENVPN_VERSION_MINOR);
  assert.equal(OVPN_VERSION.patch, layout.misc.OPENVPN_VERSION_PATCH);
  assert.equal(SSLAPI_OPENSSL, layout.misc.SSLAPI_OPENSSL);
});

test('hook type numbers equal the header (ENABLE_PF, removed from the header, keeps 11)', () => {
  for (const [name, value] of Object.entries(layout.hooks)) {
    const short = name.replace(/^OPENVPN_PLUGIN_/, '') as keyof typeof HOOKS;
    assert.equal(HOOKS[short], value, name);
  }
  const fromHeader = new Set(Object.keys(layout.hooks).map((n) => n.replace(/^OPENVPN_PLUGIN_/, '')));
  assert.deepEqual(
    Object.keys(HOOKS).filter((n) => !fromHeader.has(n)),
    ['ENABLE_PF'],
  );
  assert.equal(HOOKS.ENABLE_PF, 11);
});

test('return codes and log flags equal the header', () => {
  assert.equal(RETURN.SUCCESS, layout.returns.OPENVPN_PLUGIN_FUNC_SUCCESS);
  assert.equal(RETURN.ERROR, layout.returns.OPENVPN_PLUGIN_FUNC_ERROR);
  assert.equal(RETURN.DEFERRED, layout.returns.OPENVPN_PLUGIN_FUNC_DEFERRED);
  for (const [name, value] of Object.entries(layout.plog)) {
    assert.equal(PLOG[name.replace(/^PLOG_/, '') as keyof typeof PLOG], value, name);
  }
  assert.equal(Object.keys(PLOG).length, Object.keys(layout.plog).length);
});

test('init point names (shown by inspect) equal the header', () => {
  for (const [name, value] of Object.entries(layout.init_points)) {
    assert.equal(INIT_POINT_NAMES[value], name.replace(/^OPENVPN_PLUGIN_INIT_/, ''), name);
  }
  assert.equal(Object.keys(INIT_POINT_NAMES).length, Object.keys(layout.init_points).length);
});

test("the runtime's own ABI declarations (plugin-abi.h) give the real header's layout and constants", () => {
  const own = JSON.parse(execFileSync(fixture('abi-layout-own'), { encoding: 'utf8' })) as Layout;
  const { OPENVPN_VERSION_MAJOR: _a, OPENVPN_VERSION_MINOR: _b, OPENVPN_VERSION_PATCH: _c, ...realMisc } = layout.misc;
  assert.deepEqual({ ...own, misc: own.misc }, { ...layout, misc: realMisc });
});
