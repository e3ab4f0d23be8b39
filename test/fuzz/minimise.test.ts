// The minimiser keeps a plan failing while it makes it smaller: fewer clients, defaults, the shortest failing value.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { minimise } from '../../src/fuzz/minimise.js';
import type { FuzzPlan } from '../../src/fuzz/plan.js';

test('a plan that fails when some username is longer than 57 bytes shrinks to one client with 58 bytes', async () => {
  const plan: FuzzPlan = {
    sequential: false,
    clients: [
      { username: 'short', password: 'x'.repeat(900), peerInfo: { UV_A: 'long'.repeat(20) } },
      { username: 'A'.repeat(4000), password: 'p', commonName: 'cn', address: { ip: '::1', port: 1 } },
      { username: 'B'.repeat(100) },
    ],
  };
  const fails = async (p: FuzzPlan) => p.clients.some((c) => typeof c.username === 'string' && c.username.length > 57);
  const { plan: small, runs } = await minimise(plan, fails, 200);
  assert.deepEqual(small, { sequential: true, clients: [{ username: 'A'.repeat(58) }] });
  assert.ok(runs < 60, `${runs} runs`);
});

test('the budget bounds the runs; the plan returned always fails', async () => {
  const plan: FuzzPlan = { sequential: true, clients: [{ username: 'x'.repeat(4000), password: 'y'.repeat(4000) }] };
  let calls = 0;
  const { plan: small, runs } = await minimise(
    plan,
    async (p) => {
      calls++;
      return (p.clients[0]?.username?.length ?? 0) > 10;
    },
    5,
  );
  assert.equal(runs, 5);
  assert.equal(calls, 5);
  assert.ok((small.clients[0]?.username?.length ?? 0) > 10);
});

test('a restart, a vanishing client and renegotiations the failure does not need are minimised away', async () => {
  const plan: FuzzPlan = {
    sequential: true,
    restart: 'SIGHUP',
    clients: [
      { username: 'x', vanish: true },
      { username: 'boom', renegotiations: 2 },
    ],
  };
  // fails when some client named boom renegotiates at least once
  const fails = async (p: FuzzPlan) => p.clients.some((c) => c.username === 'boom' && (c.renegotiations ?? 0) >= 1);
  const { plan: small } = await minimise(plan, fails, 200);
  assert.deepEqual(small, { sequential: true, clients: [{ username: 'boom', renegotiations: 1 }] });
});

test('mutated plugin arguments go back to the given ones where the failure allows, else shrink', async () => {
  const given = [
    { path: '/x/a.so', args: ['mode=strict'] },
    { path: '/x/b.so', args: ['n=1'] },
  ];
  const plan: FuzzPlan = { sequential: true, clients: [{}], args: [['mode=strict', 'x', `prefix=${'A'.repeat(100)}`], ['n=-1']] };
  // fails while a.so has mode=strict (else it refuses to open) and an argument "prefix=" with 64 or more characters after it
  const fails = async (p: FuzzPlan) => {
    const a = p.args?.[0] ?? given[0]!.args;
    return a.includes('mode=strict') && a.some((x) => x.startsWith('prefix=') && x.length >= 71);
  };
  const { plan: small } = await minimise(plan, fails, 200, given);
  assert.deepEqual(small.args, [['mode=strict', `prefix=${'A'.repeat(64)}`], ['n=1']]);
});

test('answers the failure does not need are dropped; the one it needs is written early, as 1 or 0; a shortened deadline goes', async () => {
  const plan: FuzzPlan = {
    sequential: true,
    deadlineMs: 50,
    clients: [
      {
        username: 'u',
        answers: [
          { stage: 'auth', at: 'late', write: '\xff\x01junk' },
          { stage: 'auth', at: 'late', write: '1' },
          { stage: 'client-connect', at: 'mid', write: '2' },
        ],
      },
    ],
  };
  // fails whenever the client's auth gets any written answer starting with a byte other than '1'
  const fails = async (p: FuzzPlan) => (p.clients[0]?.answers ?? []).some((a) => a.stage === 'auth' && a.write !== '' && a.write[0] !== '1');
  const { plan: small } = await minimise(plan, fails, 100);
  assert.deepEqual(small, { sequential: true, clients: [{ answers: [{ stage: 'auth', at: 'early', write: '0' }] }] });
});
