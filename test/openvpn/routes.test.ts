// The server's route table: LEARN_ADDRESS add / update / nothing, and who deletes an address.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RouteTable } from '../../src/openvpn/routes.js';

test('add for a new address, update when another client has it, nothing when the client has it already', () => {
  const t = new RouteTable<number>();
  assert.equal(t.learnOp('10.8.0.9', 1), 'add');
  t.set('10.8.0.9', 1);
  assert.equal(t.learnOp('10.8.0.9', 1), null);
  assert.equal(t.learnOp('10.8.0.9', 2), 'update');
  t.set('10.8.0.9', 2);
  assert.deepEqual(t.release(1), [], 'the route moved to client 2');
  assert.deepEqual(t.release(2), ['10.8.0.9']);
  assert.equal(t.learnOp('10.8.0.9', 3), 'add', 'released');
});
