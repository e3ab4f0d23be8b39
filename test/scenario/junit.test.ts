// JUnit XML of scenario reports: structure, counts, failures with messages, and escaping of anything a plugin may log.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { junitXml, xmlEscape } from '../../src/scenario/junit.js';
import { finishReport, type ScenarioReport } from '../../src/scenario/report.js';
import type { ExpectationResult } from '../../src/scenario/expectations.js';

function exp(
  client: string,
  step: 'connect' | 'disconnect',
  expectation: string,
  pass: boolean,
  description: string,
  message = description,
): ExpectationResult {
  return { client, step, expectation, pass, expected: 'x', actual: pass ? 'x' : 'y', description, message };
}

function report(over: Partial<Omit<ScenarioReport, 'passed' | 'exitCode' | 'total' | 'failed'>> = {}): ScenarioReport {
  return finishReport({
    scenario: 'demo <1> & "2"',
    file: 'examples/scenarios/demo.yaml',
    plugins: [{ path: '/p/auth.so', args: ['a=1', 'b c'] }],
    sequential: false,
    clients: [
      {
        name: 'alice',
        logs: ['auth: hello <world> & \u0001bell'],
        steps: [
          {
            step: 'connect',
            outcome: 'connected',
            summary: 'connected as 10.8.0.2',
            ms: 12,
            expectations: [
              exp('alice', 'connect', 'outcome', true, 'outcome connected'),
              exp('alice', 'connect', 'reason', false, 'reason matches "a<b"', 'reason matches "a<b": got "x & y" [rejected]'),
            ],
          },
          {
            step: 'disconnect',
            outcome: 'disconnected',
            summary: 'disconnected',
            ms: 1,
            expectations: [exp('alice', 'disconnect', 'outcome', true, 'outcome disconnected')],
          },
        ],
      },
    ],
    ms: 1500,
    ...over,
  });
}

test('xmlEscape: markup characters, quotes, and characters XML 1.0 cannot hold', () => {
  assert.equal(xmlEscape(`a<b>&"c"'d'`), 'a&lt;b&gt;&amp;&quot;c&quot;&apos;d&apos;');
  assert.equal(xmlEscape('x\u0000y\u0008z\u001Fw\uFFFE'), 'x\uFFFDy\uFFFDz\uFFFDw\uFFFD');
  assert.equal(xmlEscape('tab\tnl\ncr\r'), 'tab\tnl\ncr\r', 'tab, newline and CR are allowed');
  assert.equal(xmlEscape('emoji \uD83D\uDE00 lone \uD83D.'), 'emoji \uD83D\uDE00 lone \uFFFD.');
});

test('one testsuite per scenario, one testcase per expectation, a <failure> with the message for each failed one', () => {
  const xml = junitXml([report()]);
  assert.match(xml, /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<testsuites name="ovpn-plugin-host run" tests="3" failures="1" errors="0" time="1\.500">/);
  assert.equal(xml.match(/<testsuite /g)?.length, 1);
  assert.match(
    xml,
    /<testsuite name="demo &lt;1&gt; &amp; &quot;2&quot;" file="examples\/scenarios\/demo\.yaml" tests="3" failures="1" errors="0" skipped="0" time="1\.500">/,
  );
  assert.match(xml, /<property name="plugin\.0" value="\/p\/auth\.so a=1 b c"\/>/);
  assert.match(xml, /<testcase classname="demo &lt;1&gt; &amp; &quot;2&quot;\.alice" name="connect: outcome connected"\/>/);
  assert.match(xml, /<testcase classname="[^"]*\.alice" name="disconnect: outcome disconnected"\/>/);
  const failure =
    /<testcase classname="[^"]*" name="connect: reason matches &quot;a&lt;b&quot;">\n\s+<failure message="([^"]*)" type="expectation">([^<]*)<\/failure>\n\s+<\/testcase>/.exec(
      xml,
    );
  assert.ok(failure, xml);
  assert.equal(failure[1], 'reason matches &quot;a&lt;b&quot;: got &quot;x &amp; y&quot; [rejected]');
  assert.match(failure[2]!, /expected: x\nactual: y\nstep result: connected as 10\.8\.0\.2/);
  assert.match(failure[2]!, /plugin log of alice:\nauth: hello &lt;world&gt; &amp; \uFFFDbell/, 'the log goes into the failure, escaped');
  assert.doesNotMatch(xml, /[\u0000-\u0008]/);
  assert.ok(xml.endsWith('</testsuites>\n'));
});

test('newlines in attribute values are kept as character references', () => {
  const r = report();
  r.clients[0]!.steps[0]!.expectations[1]!.message = 'line1\nline2';
  assert.match(junitXml([r]), /<failure message="line1&#10;line2"/);
});

test('a chain that does not load is one failed testcase; a close that crashed is another', () => {
  const load = report({ clients: [], loadError: { outcome: 'load-error', kind: 'not-found', message: '/p/auth.so: no such file (check the path)' } });
  assert.equal(load.exitCode, 5);
  const xml = junitXml([load]);
  assert.match(xml, /tests="1" failures="1"/);
  assert.match(
    xml,
    /<testcase classname="[^"]*" name="load and open the plugin chain">\n\s+<failure message="\/p\/auth\.so: no such file \(check the path\)" type="expectation">load-error \(not-found\): /,
  );
  const close = report({ closeError: { outcome: 'crashed', message: 'the plugin crashed with SIGSEGV in close' } });
  assert.equal(close.exitCode, 4);
  assert.match(junitXml([close]), /name="close the plugin chain">\n\s+<failure message="the plugin crashed with SIGSEGV in close"/);
});

test('several reports: one testsuite each, totals on <testsuites>', () => {
  const xml = junitXml([report(), report({ scenario: 'second' })]);
  assert.equal(xml.match(/<testsuite /g)?.length, 2);
  assert.match(xml, /<testsuites name="ovpn-plugin-host run" tests="6" failures="2" errors="0" time="3\.000">/);
});

test('report exit codes: 0 all held, 1 a failure, 4 an unexpected crash, 5 a load error', () => {
  assert.equal(report().exitCode, 1);
  assert.equal(report().passed, false);
  const ok = report();
  ok.clients[0]!.steps[0]!.expectations.pop();
  const again = finishReport({ ...ok });
  assert.equal(again.exitCode, 0);
  assert.equal(again.passed, true);
  assert.equal(again.total, 2);
  assert.equal(again.failed, 0);
  const crash = finishReport({ ...ok, clients: [{ ...ok.clients[0]!, steps: [{ ...ok.clients[0]!.steps[0]!, unexpectedFailure: true }] }] });
  assert.equal(crash.exitCode, 4);
  assert.equal(report({ loadError: { outcome: 'hung', message: 'open hung' } }).exitCode, 4, 'a hang while opening is 4, not 5');
});
