// The CLI's failure line: an internal error of the host's (a worker exception with its stack) is one line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { failureLine } from '../../src/cli/output.js';

test("an internal error is one line naming it as the host's, without the worker's stack (#13)", () => {
  const line = failureLine({
    outcome: 'load-error',
    error: { kind: 'internal', message: 'RangeError: Maximum call stack size exceeded\n    at mergeConfigs (client-config.ts:457:20)\n    at reportOf' },
    logs: [],
  });
  assert.equal(line, 'internal error in ovpn-plugin-host (please report it, with the --json output): RangeError: Maximum call stack size exceeded');
  assert.equal(
    failureLine({ outcome: 'load-error', error: { kind: 'not-found', message: 'x.so: no such file (check the path)' }, logs: [] }),
    'x.so: no such file (check the path)',
  );
});
