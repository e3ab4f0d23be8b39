// JUnit XML for scenario runs: one <testsuite> per scenario file, one <testcase> per client expectation. Pure.
import type { ScenarioReport } from './report.js';

/** Text safe for XML 1.0 content and attribute values: escaped markup, characters XML cannot hold replaced by U+FFFD. */
export function xmlEscape(text: string): string {
  return (
    text
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD')
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
      .replace(/'/g, '&apos;')
  );
}

/** An attribute value: escaped, with newlines and tabs kept as character references (attribute normalization would lose them). */
function attr(text: string): string {
  return xmlEscape(text).replace(/\n/g, '&#10;').replace(/\r/g, '&#13;').replace(/\t/g, '&#9;');
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}

function show(value: unknown): string {
  if (value === undefined) return '(nothing)';
  return typeof value === 'string' ? value : (JSON.stringify(value, null, 2) ?? String(value));
}

interface Case {
  classname: string;
  name: string;
  failure?: { message: string; body: string };
}

function casesOf(r: ScenarioReport): Case[] {
  const cases: Case[] = [];
  if (r.loadError) {
    cases.push({
      classname: r.scenario,
      name: 'load and open the plugin chain',
      failure: { message: r.loadError.message, body: `${r.loadError.outcome}${r.loadError.kind ? ` (${r.loadError.kind})` : ''}: ${r.loadError.message}` },
    });
  }
  for (const c of r.clients) {
    for (const s of c.steps) {
      for (const e of s.expectations) {
        cases.push({
          classname: `${r.scenario}.${c.name}`,
          name: `${s.step}${s.renegotiation ? ` ${s.renegotiation}` : ''}: ${e.description}`,
          failure: e.pass
            ? undefined
            : {
                message: e.message,
                body:
                  `${e.message}\n\nexpected: ${show(e.expected)}\nactual: ${show(e.actual)}\nstep result: ${s.summary}`
                  + (c.logs.length ? `\n\nplugin log of ${c.name}:\n${c.logs.join('\n')}` : ''),
              },
        });
      }
    }
  }
  if (r.restart) {
    const ok = r.restart.outcome === 'restarted';
    cases.push({
      classname: r.scenario,
      name: `restart the server (${r.restart.signal})`,
      ...(ok ? {} : { failure: { message: r.restart.summary, body: `${r.restart.outcome}: ${r.restart.summary}` } }),
    });
  }
  if (r.closeError) {
    cases.push({
      classname: r.scenario,
      name: 'close the plugin chain',
      failure: { message: r.closeError.message, body: `${r.closeError.outcome}: ${r.closeError.message}` },
    });
  }
  if (r.leftRunning) {
    const message = `the plugins left ${r.leftRunning.length} process(es) running after close`;
    cases.push({
      classname: r.scenario,
      name: 'nothing left running after close',
      failure: { message, body: r.leftRunning.map((p) => `pid ${p.pid}: ${p.command}`).join('\n') },
    });
  }
  if (r.leftFiles) {
    const message = `the plugins left ${r.leftFiles.length} file(s) in the server's temp dir after close`;
    cases.push({ classname: r.scenario, name: 'no file left in the temp dir after close', failure: { message, body: r.leftFiles.join('\n') } });
  }
  if (r.memcheck !== undefined) {
    const findings = r.memcheck?.findings ?? [];
    const message = r.memcheck ? `${findings.length} memory error(s) or leak(s) in the plugin` : 'valgrind wrote no report';
    const body = findings
      .map(
        (f) =>
          `${f.kind} during ${f.during ? `${f.during.call} of ${f.during.plugin}` : f.when} at ${f.where}: ${f.bytes !== undefined ? `${f.bytes} bytes` : f.what}`,
      )
      .join('\n');
    cases.push({ classname: r.scenario, name: 'memcheck', ...(r.memcheck?.clean ? {} : { failure: { message, body: body || message } }) });
  }
  return cases;
}

/** One <testsuite> element (indented for a <testsuites> document). */
function junitSuite(r: ScenarioReport): string {
  const cases = casesOf(r);
  const failures = cases.filter((c) => c.failure).length;
  const lines = [
    `  <testsuite name="${attr(r.scenario)}" file="${attr(r.file)}" tests="${cases.length}" failures="${failures}" errors="0" skipped="0" time="${seconds(r.ms)}">`,
  ];
  lines.push('    <properties>');
  r.plugins.forEach((p, i) => {
    lines.push(`      <property name="plugin.${i}" value="${attr([p.path, ...p.args].join(' '))}"/>`);
  });
  lines.push(`      <property name="concurrency" value="${r.sequential ? 'sequential' : 'concurrent'}"/>`);
  lines.push('    </properties>');
  for (const c of cases) {
    const open = `    <testcase classname="${attr(c.classname)}" name="${attr(c.name)}"`;
    if (!c.failure) {
      lines.push(`${open}/>`);
      continue;
    }
    lines.push(`${open}>`);
    lines.push(`      <failure message="${attr(c.failure.message)}" type="expectation">${xmlEscape(c.failure.body)}</failure>`);
    lines.push('    </testcase>');
  }
  lines.push('  </testsuite>');
  return lines.join('\n');
}

/** A JUnit XML document for one or more scenario reports. */
export function junitXml(reports: readonly ScenarioReport[]): string {
  const all = reports.map(casesOf);
  const tests = all.reduce((n, c) => n + c.length, 0);
  const failures = all.reduce((n, c) => n + c.filter((x) => x.failure).length, 0);
  const ms = reports.reduce((n, r) => n + r.ms, 0);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="ovpn-plugin-host run" tests="${tests}" failures="${failures}" errors="0" time="${seconds(ms)}">`,
    ...reports.map(junitSuite),
    '</testsuites>',
    '',
  ].join('\n');
}
