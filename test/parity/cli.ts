// Run the differential suite (or some cases) by hand and print a report per case:
//   node --import tsx test/parity/cli.ts [--keep] [--jobs N] [name-substring ...]
// Exit status: 0 parity, 1 a difference, 2 the real server cannot run here (the reason is printed).
import { join } from 'node:path';
import { CASES } from './cases.js';
import { realServerUnavailable } from './real-server.js';
import { report, runCase, runPool } from './run.js';

const args = process.argv.slice(2);
const keepAll = args.includes('--keep');
const jobsAt = args.indexOf('--jobs');
const jobs = jobsAt >= 0 ? Number(args[jobsAt + 1]) : 3;
const filters = args.filter((a, i) => !a.startsWith('--') && (jobsAt < 0 || i !== jobsAt + 1));
const cases = filters.length ? CASES.filter((c) => filters.some((f) => c.name.includes(f))) : CASES;

const why = await realServerUnavailable();
if (why) {
  console.log(`SKIPPED: ${why}`);
  process.exit(2);
}
const fixtures = join(import.meta.dirname, '..', '..', 'build', 'fixtures');
const t0 = performance.now();
const results = await runPool(cases, jobs, async (c) => {
  const r = await runCase(c, fixtures, { keepAll });
  console.log(report(r));
  return r;
});
const bad = results.filter((r) => r.comparison.differences.length || r.labProblem);
console.log(`\n${results.length - bad.length}/${results.length} cases in parity; ${((performance.now() - t0) / 1000).toFixed(1)} s`);
process.exit(bad.length ? 1 : 0);
