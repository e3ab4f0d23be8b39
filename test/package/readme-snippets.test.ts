// The README's "Use it in your plugin's repository" blocks, run as written in a fresh project that installed the
// packed tarball, with ./build/my-plugin.so standing for the user's plugin (a bundled deferring client-connect plugin).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ROOT } from '../helpers.js';
import { installedProject, type InstalledProject } from './installed-project.js';

const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const VITEST = '4.1.12';

/** The fenced block after `<!-- snippet: NAME -->`. */
function snippet(name: string): string {
  const m = new RegExp(`<!-- snippet: ${name} -->\\s*\`\`\`\\w+\\n([\\s\\S]*?)\`\`\``).exec(README);
  assert.ok(m, `README has a ${name} snippet`);
  return m[1]!;
}

let p: InstalledProject;

before(async () => {
  p = await installedProject([`vitest@${VITEST}`]);
  mkdirSync(join(p.project, 'build'));
  mkdirSync(join(p.project, 'test'));
  copyFileSync(join(p.installed, 'prebuilt', `linux-${process.arch}`, 'plugins', 'cc-v2-defer.so'), join(p.project, 'build', 'my-plugin.so'));
});

after(() => p.remove());

test('README: the node:test file passes with node --test', async () => {
  writeFileSync(join(p.project, 'test', 'plugin.test.mjs'), snippet('node-test'));
  const r = await p.run('node', ['--test', '--test-reporter=tap', 'test/plugin.test.mjs']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /# pass 1\n/);
});

test('README: the vitest file passes with npx vitest run', async () => {
  writeFileSync(join(p.project, 'test', 'plugin.spec.mjs'), snippet('vitest'));
  const r = await p.run('npx', ['--no-install', 'vitest', 'run', 'test/plugin.spec.mjs']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /1 passed/);
});

test('README: the scenario file and the GitHub Actions steps that run it write a passing JUnit report', async () => {
  writeFileSync(join(p.project, 'test', 'plugin.scenario.yaml'), snippet('scenario'));
  const workflow = parse(snippet('github-actions')) as {
    jobs: Record<string, { steps: Array<{ run?: string; uses?: string; with?: { path?: string } }> }>;
  };
  const steps = Object.values(workflow.jobs).flatMap((j) => j.steps);
  const ours = steps.filter((s) => s.run?.startsWith('npx ovpn-plugin-host'));
  assert.equal(ours.length, 1, 'the job runs the scenarios with npx ovpn-plugin-host');
  const [, ...args] = ours[0]!.run!.split(/\s+/);
  const r = await p.run('npx', ['--no-install', ...args]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const report = steps.find((s) => s.uses?.startsWith('actions/upload-artifact'))?.with?.path;
  assert.ok(report && existsSync(join(p.project, report)), `the uploaded report ${report} was written`);
  const xml = readFileSync(join(p.project, report), 'utf8');
  assert.match(xml, /<testsuite /);
  assert.match(xml, /failures="0"/);
});
