// The pool address of the n-th client, as `server NETWORK NETMASK` hands them out (subnet and net30 topologies).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { poolAddress } from '../../src/openvpn/pool.js';
import { defaultServerParams } from '../../src/openvpn/server-env.js';

const server = defaultServerParams();

test('topology subnet: the server is .1, clients get .2, .3, ... with the server netmask (the capture: 10.29.41.2)', () => {
  assert.deepEqual(poolAddress(server, 0), { remoteIp: '10.29.41.2', netmask: '255.255.255.0' });
  assert.deepEqual(poolAddress(server, 1), { remoteIp: '10.29.41.3', netmask: '255.255.255.0' });
  assert.deepEqual(poolAddress({ ...server, ifconfigLocal: '10.8.0.1' }, 300), { remoteIp: '10.8.1.46', netmask: '255.255.255.0' });
});

test('topology net30: one /30 per client after the server: .5/.6, then .9/.10 (the capture: 10.29.41.6)', () => {
  const net30 = { ...server, topology: 'net30' as const };
  assert.deepEqual(poolAddress(net30, 0), { remoteIp: '10.29.41.6', localIp: '10.29.41.5' });
  assert.deepEqual(poolAddress(net30, 1), { remoteIp: '10.29.41.10', localIp: '10.29.41.9' });
});

test('an address given for the client is used as it is', () => {
  assert.deepEqual(poolAddress(server, 5, '10.29.41.77'), { remoteIp: '10.29.41.77', netmask: '255.255.255.0' });
});

test('ifconfig-pool START: topology subnet clients from START on', () => {
  assert.deepEqual(poolAddress({ ...server, poolStart: '10.29.41.100' }, 1), { remoteIp: '10.29.41.101', netmask: '255.255.255.0' });
});
