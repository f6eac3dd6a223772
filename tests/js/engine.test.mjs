// JS engine (static/js/engine.js) against the shared Python/JS test vectors (tests/vectors/*.json).
//   node --test tests/js/
// Same comparison rule as tests/test_vectors.py: full cases compare the whole Result, subset
// (hand-checked) cases compare the keys given, `items`/`sections` field by field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join, dirname } from 'node:path';
import { score, evaluate, roundHalf, appliesTo, dayNumber, NUMBER_LIMIT } from '../../static/js/engine.js';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'vectors');
const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();

function subset(expected, actual) {
  const out = {};
  for (const [key, want] of Object.entries(expected)) {
    const got = key in actual ? actual[key] : '<absent>';
    if (key === 'items' && got && typeof got === 'object') {
      out[key] = Object.fromEntries(Object.entries(want).map(([id, fields]) =>
        [id, Object.fromEntries(Object.keys(fields).map((f) => [f, got[id] && f in got[id] ? got[id][f] : '<absent>']))]));
    } else if (key === 'sections' && Array.isArray(got) && got.length === want.length) {
      out[key] = want.map((w, i) => Object.fromEntries(Object.keys(w).map((f) => [f, f in got[i] ? got[i][f] : '<absent>'])));
    } else out[key] = got;
  }
  return out;
}

let count = 0;
for (const file of files) {
  const data = JSON.parse(readFileSync(join(dir, file), 'utf8'));
  for (const c of data.cases) {
    count++;
    test(`${file.replace('.json', '')}:${c.name}`, () => {
      // no JSON round trip: even the sign of a zero (-0 from -a * 0) must agree with Python
      const result = score(data.compiled, c.school, c.responses);
      if (c.full) assert.deepStrictEqual(result, c.expected);
      else assert.deepStrictEqual(subset(c.expected, result), c.expected);
    });
  }
}

test('at least 50 vectors', () => assert.ok(count >= 50, `only ${count}`));

test('roundHalf is half away from zero on the decimal digits', () => {
  assert.equal(roundHalf(2.675, 2), 2.68);
  assert.equal(roundHalf(1.005, 2), 1.01);
  assert.equal(roundHalf(-2.5), -3);
  assert.equal(roundHalf(0.05, 1), 0.1);
  assert.equal(roundHalf(99.95, 1), 100);
  assert.equal(roundHalf(-0.04, 1), 0);
});

test('evaluate: null rules and division by zero', () => {
  const n = (v) => ({ k: 'num', v });
  assert.equal(evaluate({ k: 'bin', op: '+', l: n(1), r: { k: 'null' } }, {}), null);
  assert.equal(evaluate({ k: 'unary', op: 'not', x: { k: 'null' } }, {}), true);
  assert.throws(() => evaluate({ k: 'bin', op: '/', l: n(1), r: n(0) }, {}));
});

test('appliesTo reads the normalized school record', () => {
  const data = JSON.parse(readFileSync(join(dir, 'vec_minimal.json'), 'utf8'));
  const school = { stage: '初中', boarding: true, enrolment: 300 };
  assert.equal(appliesTo(data.compiled, school), true);
  assert.equal(appliesTo(data.compiled, { ...school, enrolment: '300' }), false); // text → null
  assert.equal(appliesTo(data.compiled, { ...school, boarding: 1 }), false); // 1 is not true
});

// The size rule shared with Python (formatting.NUMBER_LIMIT): |x| < 1e15, else malformed / null /
// 无法计算. NaN and Infinity cannot travel in JSON vectors, so they are checked here by hand.
test('numbers of 1e15 and more: roundHalf leaves them, answers are malformed', () => {
  assert.equal(NUMBER_LIMIT, 1e15);
  assert.equal(roundHalf(1.5e307, 6), 1.5e307);
  assert.equal(roundHalf(-Infinity, 1), -Infinity);
  assert.ok(Number.isNaN(roundHalf(NaN, 1)));
  assert.equal(roundHalf(999999999999999.5, 0), 1e15);
  const data = JSON.parse(readFileSync(join(dir, 'vec_core.json'), 'utf8'));
  const school = { stage: '小学', enrolment: Infinity };
  for (const bad of [NaN, Infinity, -Infinity, 1e15, -1e15, 1.5e307]) {
    const r = score(data.compiled, school, { answers: { area: bad, teachers: bad } });
    for (const id of ['area', 'teachers']) {
      assert.deepEqual([r.items[id].outcome, r.items[id].message, r.items[id].value], ['error', '答案格式不正确', null]);
    }
  }
  const ok = score(data.compiled, school, { answers: { area: -999999999999999 } });
  assert.equal(ok.items.area.display_value, '-999999999999999');
  const photos = score(data.compiled, school, { answers: { hygiene: 'good' }, photos: { hygiene: Infinity } });
  assert.equal(photos.items.hygiene.evidence_missing, true);
});

test('a target of 1e15 or more is 无法计算 and stays null', () => {
  const data = JSON.parse(readFileSync(join(dir, 'vec_ops.json'), 'utf8'));
  const compiled = structuredClone(data.compiled);
  const item = compiled.sections[0].items.find((it) => it.id === 'ratio_check');
  item.target = { k: 'bin', op: '*', l: { k: 'ref', id: 'a' }, r: { k: 'num', v: 1e10 } };
  const big = score(compiled, {}, { answers: { a: 1e5 } }).items.ratio_check;
  assert.deepEqual([big.outcome, big.message, big.target, big.display_target],
    ['error', '无法计算：计算结果超出范围', null, null]);
  const small = score(compiled, {}, { answers: { a: 1e4 } }).items.ratio_check;
  assert.deepEqual([small.outcome, small.target], ['pass', 1e14]);
});

test('dates are ASCII digits only', () => {
  assert.equal(dayNumber('2026-03-01'), 20513);
  assert.equal(dayNumber('２０２６-０３-０１'), null);
  assert.equal(dayNumber('٢٠٢٦-03-01'), null); // Arabic-Indic digits
});
