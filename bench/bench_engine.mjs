// Throughput of static/js/engine.js score() on the biggest shipped checklist.
//   node bench/bench_engine.mjs [N]      (N random answer sets, default 10000; target ≥ 2000/s)
// The checklists are compiled by the Python loader (bench/compile_checklists.py), i.e. exactly
// the JSON the phone receives.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join, dirname } from 'node:path';
import { score } from '../static/js/engine.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const py = existsSync(join(root, '.venv/bin/python')) ? join(root, '.venv/bin/python') : 'python3';
const all = JSON.parse(execFileSync(py, [join(root, 'bench/compile_checklists.py')], { encoding: 'utf8', maxBuffer: 1 << 28 }));
const size = (c) => c.sections.reduce((n, s) => n + s.items.length, 0);
const compiled = Object.values(all).sort((a, b) => size(b) - size(a))[0];
if (!compiled) throw new Error('no checklists in checklists/*.yaml');

// deterministic pseudo-random generator so runs are comparable
let seed = 12345;
const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
const pick = (a) => a[Math.floor(rnd() * a.length)];
const STAGES = ['幼儿园', '小学', '初中', '九年一贯制', '完全中学', '高中', '中职', '教学点'];

function randomSet() {
  const school = { code: 'B1', name: '基准学校', stage: pick(STAGES), boarding: rnd() < 0.5,
    township_central: rnd() < 0.5, poverty_village: rnd() < 0.3, enrolment: pick([0, 120, 600, 1500]) };
  const answers = {}, na = [], photos = {};
  for (const s of compiled.sections) for (const it of s.items) {
    if (it.na_allowed && rnd() < 0.1) na.push(it.id);
    if (it.type === 'photo' || it.evidence) { if (rnd() < 0.5) photos[it.id] = 1; }
    if (rnd() < 0.1) continue;
    switch (it.type) {
      case 'yesno': answers[it.id] = rnd() < 0.7; break;
      case 'choice': answers[it.id] = pick(it.choices).value; break;
      case 'multi': answers[it.id] = it.choices.filter(() => rnd() < 0.5).map((c) => c.value); break;
      case 'integer': answers[it.id] = Math.floor(rnd() * 200); break;
      case 'decimal': answers[it.id] = Math.round(rnd() * 10000) / 100; break;
      case 'date': answers[it.id] = `202${pick([4, 5, 6])}-0${1 + Math.floor(rnd() * 9)}-1${Math.floor(rnd() * 9)}`; break;
      case 'text': answers[it.id] = pick(['', '无', '见附件']); break;
    }
  }
  return [school, { answers, na, photos }];
}

const n = Number(process.argv[2] ?? 10000);
const sets = Array.from({ length: n }, randomSet);
for (let i = 0; i < 200; i++) score(compiled, ...sets[i % n]); // warm-up
const t0 = process.hrtime.bigint();
let checksum = 0;
for (const [school, responses] of sets) checksum += score(compiled, school, responses).total ?? 0;
const secs = Number(process.hrtime.bigint() - t0) / 1e9;
console.log(`${compiled.id}: ${size(compiled)} items, ${n} answer sets in ${secs.toFixed(3)} s → ` +
  `${Math.round(n / secs)} scores/s (checksum ${checksum.toFixed(1)})`);
