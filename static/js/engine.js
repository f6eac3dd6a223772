// Checklist engine for the phone form: evaluates the AST JSON of docs/checklist-contract.md and
// scores a compiled checklist exactly as inspect_app/checklist/scoring.py does (Python is the
// reference; tests/vectors/*.json hold the shared cases). Plain ES module, no dependencies.

export class EvalError extends Error {}

// The one size rule of both engines (formatting.NUMBER_LIMIT): a number is usable only when
// |x| < 1e15. Larger or non-finite answers are 「答案格式不正确」, school numbers become null,
// computed results and targets 「无法计算：计算结果超出范围」, and roundHalf leaves them unchanged.
export const NUMBER_LIMIT = 1e15;
const inRange = (x) => typeof x === 'number' && Math.abs(x) < NUMBER_LIMIT; // false for NaN

// Round half away from zero (inspect_app/checklist/formatting.py round_half_away, line by line).
// Scaling first rounds to 15 significant digits to absorb binary noise: 2.675 × 100 is
// 267.49999999999997 in doubles, but a person means 267.5 → 2.68. toPrecision(15) rounds ties
// up on the exact binary value, like Python's Decimal quantize(ROUND_HALF_UP).
export function roundHalf(x, decimals = 0) {
  if (!(Math.abs(x) < NUMBER_LIMIT)) return x; // huge, inf or NaN: unchanged, as in Python
  const factor = Number('1e' + decimals);
  const scaled = Number((Math.abs(x) * factor).toPrecision(15));
  const r = Math.floor(scaled + 0.5) / factor;
  return r === 0 ? 0 : x < 0 ? -r : r; // never -0: it would print as "-0"
}

// ---------------------------------------------------------------- expressions
// Mirrors inspect_app/checklist/expressions.py (compile_expression). Values: number, boolean,
// string, array of strings (multi answer), null.

const isNum = (x) => typeof x === 'number';

function num(x, op) {
  if (!isNum(x)) throw new EvalError(`运算 ${op} 需要数字`);
  return x;
}

// `==` of the language: same type and value, lists element by element, no coercion (1 != true).
export function equal(a, b) {
  if (a === null || b === null) return a === b;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => equal(x, b[i]));
  }
  return a === b;
}

// Days since 1970-01-01 for a real "YYYY-MM-DD" date, else null. Plain integer arithmetic
// (civil-from-days, H. Hinnant) as in Python's day_number, so no time zone can shift a day.
const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
export function dayNumber(text) {
  if (typeof text !== 'string' || !/^[0-9]{4}-[0-9]{2}-[0-9]{2}$/.test(text)) return null;
  let y = +text.slice(0, 4);
  const m = +text.slice(5, 7), d = +text.slice(8, 10);
  const leap = y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  if (m < 1 || m > 12 || d < 1 || d > MONTH_DAYS[m - 1] + (m === 2 && leap ? 1 : 0)) return null;
  if (m <= 2) y -= 1;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m > 2 ? m - 3 : m + 9) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function extreme(args, env, fn) {
  const values = args.map((a) => evaluate(a, env)); // all arguments first, as Python does
  let best = null;
  for (const v of values) {
    if (v === null) return null;
    num(v, fn);
    if (best === null || (fn === 'max' ? v > best : v < best)) best = v;
  }
  return best;
}

const FUNCS = {
  min: (args, env) => extreme(args, env, 'min'),
  max: (args, env) => extreme(args, env, 'max'),
  round(args, env) {
    const x = evaluate(args[0], env);
    const n = args.length === 2 ? evaluate(args[1], env) : 0;
    if (x === null || n === null) return null;
    num(x, 'round');
    num(n, 'round');
    if (n !== Math.floor(n) || n < 0 || n > 10) throw new EvalError('round 的小数位数应为 0 到 10 的整数');
    return roundHalf(x, n);
  },
  abs(args, env) {
    const x = evaluate(args[0], env);
    return x === null ? null : Math.abs(num(x, 'abs'));
  },
  selected(args, env) {
    const m = evaluate(args[0], env);
    const v = evaluate(args[1], env);
    if (m === null) return false; // an unanswered multi has nothing selected
    if (!Array.isArray(m)) throw new EvalError('selected 的第一个参数应为多选条目');
    return m.some((x) => equal(x, v));
  },
  count_selected(args, env) {
    const m = evaluate(args[0], env);
    if (m === null) return null; // unanswered is not "0 selected"
    if (!Array.isArray(m)) throw new EvalError('count_selected 的参数应为多选条目');
    return m.length;
  },
  answered: (args, env) => evaluate(args[0], env) !== null,
  coalesce(args, env) {
    // lazy, left to right: later arguments are not evaluated (they might divide by zero)
    for (const a of args) {
      const v = evaluate(a, env);
      if (v !== null) return v;
    }
    return null;
  },
  days_between(args, env) {
    const a = evaluate(args[0], env);
    const b = evaluate(args[1], env);
    if (a === null || b === null) return null;
    const da = dayNumber(a), db = dayNumber(b);
    if (da === null || db === null) throw new EvalError('日期格式应为 YYYY-MM-DD');
    return db - da;
  },
};

function binary(op, a, b) {
  switch (op) {
    case '==': return equal(a, b);
    case '!=': return !equal(a, b);
  }
  if (a === null || b === null) return null; // null propagates through arithmetic, ordering and in
  switch (op) {
    case '+': return num(a, op) + num(b, op);
    case '-': return num(a, op) - num(b, op);
    case '*': return num(a, op) * num(b, op);
    case '/': case '%':
      num(a, op);
      if (num(b, op) === 0) throw new EvalError('除数为零');
      // % keeps the sign of the dividend in both languages (Python uses math.fmod)
      return op === '/' ? a / b : a % b;
    case 'in':
      if (!Array.isArray(b)) throw new EvalError('in 右边应为列表');
      return b.some((x) => equal(a, x));
  }
  // ordering: numbers with numbers, strings (ISO dates) with strings
  if (typeof a !== typeof b || (!isNum(a) && typeof a !== 'string')) {
    throw new EvalError(`比较 ${op} 两边应同为数字或同为日期`);
  }
  switch (op) {
    case '<': return a < b;
    case '<=': return a <= b;
    case '>': return a > b;
    case '>=': return a >= b;
  }
  throw new EvalError(`未知运算 ${op}`);
}

// env: {values: {id: value}, broken: Set of item ids that could not be computed, school, value, target}
export function evaluate(node, env) {
  switch (node.k) {
    case 'num': case 'str': case 'bool': return node.v;
    case 'null': return null;
    case 'list': return node.items.map((x) => evaluate(x, env));
    case 'ref':
      // reading an item that is 「无法计算」 makes this expression uncomputable too
      if (env.broken?.has(node.id)) throw new EvalError(`所依赖的条目 ${node.id} 无法计算`);
      return env.values?.[node.id] ?? null;
    case 'school': return env.school?.[node.attr] ?? null;
    case 'value': return env.value ?? null;
    case 'target': return env.target ?? null;
    case 'unary': {
      const x = evaluate(node.x, env);
      if (node.op === 'not') return x !== true;
      return x === null ? null : -num(x, '-');
    }
    // and / or / ?: treat only boolean true as true, and short-circuit like Python
    case 'and': return evaluate(node.l, env) === true && evaluate(node.r, env) === true;
    case 'or': return evaluate(node.l, env) === true || evaluate(node.r, env) === true;
    case 'cond': return evaluate(node.c, env) === true ? evaluate(node.a, env) : evaluate(node.b, env);
    case 'bin': return binary(node.op, evaluate(node.l, env), evaluate(node.r, env));
    case 'call': {
      const f = FUNCS[node.fn];
      if (!f) throw new EvalError(`未知的函数 ${node.fn}`);
      return f(node.args, env);
    }
  }
  throw new EvalError(`未知节点 ${node.k}`);
}

// ---------------------------------------------------------------- formatting

// Rounded, without trailing zeros: 12.50 → "12.5", 3.0 → "3" (formatting.format_number).
export function formatNumber(x, decimals = 1) {
  const r = roundHalf(x, decimals);
  // toFixed switches to "1e+21" notation from 1e21 on; Python's "%f" prints every digit (such
  // doubles are whole numbers, so BigInt gives the same exact digits)
  if (Math.abs(r) >= 1e21 && isFinite(r)) return (r < 0 ? '-' : '') + BigInt(Math.abs(r)).toString();
  let s = r.toFixed(decimals);
  if (s.includes('.')) s = s.replace(/0+$/, '').replace(/\.$/, '');
  return s;
}

// A ratio as a percentage: 0.0833 → "8.3%" (formatting.format_percent).
export const formatPercent = (ratio, decimals = 1) => formatNumber(ratio * 100, decimals) + '%';

// How a value is printed in the form summary, findings and reports (scoring._display).
// `item` is a compiled item; null stays null.
export function formatValue(item, v) {
  if (v === null || v === undefined) return null;
  if (typeof v === 'boolean') return v ? '是' : '否';
  if (isNum(v)) {
    if (item.type === 'photo') return formatNumber(v, 0) + ' 张';
    if (item.format === 'percent') return formatPercent(v, item.decimals ?? 1);
    return formatNumber(v, item.decimals ?? 1);
  }
  if (Array.isArray(v)) {
    if (v.length === 0) return '无';
    return v.map((x) => choiceOf(item, x)?.label ?? String(x)).join('、');
  }
  if (item.type === 'choice' && choiceOf(item, v)) return choiceOf(item, v).label;
  return String(v);
}

const choiceOf = (item, v) => (item.choices || []).find((c) => c.value === v);

// A failing number printed as its target prints (「巩固率 96%，未达到县定 96% 的目标」 for
// 95.96 %) says nothing: up to three more decimals, until the two read apart ("95.96%"). The
// judgment stays the exact value's. A port of scoring.py _apart (10: formatting.MAX_DECIMALS).
function apart(p, it, v, target, shown, shownTarget) {
  if (shown === null || shown !== shownTarget || p.type === 'photo') return shown;
  if (!isNum(v) || !isNum(target)) return shown;
  const base = it.decimals ?? 1;
  for (let decimals = base + 1; decimals <= Math.min(base + 3, 10); decimals++) {
    const text = it.format === 'percent' ? formatPercent(v, decimals) : formatNumber(v, decimals);
    if (text !== shownTarget) return text;
  }
  return shown;
}

// ---------------------------------------------------------------- sampling
// A port of inspect_app/checklist/sampling.py: ⌈√N⌉ files (at least min, at most max, never
// more than N), drawn by a partial Fisher–Yates shuffle driven by mulberry32 — integer
// arithmetic only, so the phone and the server draw the same ids from the same seed.

export const SAMPLE_SEED_LIMIT = 4294967296;
export const SAMPLE_POPULATION_LIMIT = 5000;

export function sampleSize(population, low, high) {
  let root = Math.floor(Math.sqrt(population));
  while (root * root > population) root--; // exact integer square root (math.isqrt)
  while ((root + 1) * (root + 1) <= population) root++;
  if (root * root < population) root++;
  let size = Math.max(low, root);
  if (high !== null && high !== undefined) size = Math.min(size, high);
  return Math.min(size, population);
}

function mulberry32(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6D2B79F5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1) >>> 0;
    t = (((t + Math.imul(t ^ (t >>> 7), t | 61)) >>> 0) ^ t) >>> 0;
    return (t ^ (t >>> 14)) >>> 0;
  };
}

// The sampled ids, in the order drawn (sampling.draw_sample).
export function drawSample(population, seed, low, high) {
  const size = sampleSize(population.length, low, high);
  const pool = population.slice();
  const rng = mulberry32(seed);
  for (let i = 0; i < size; i++) {
    const j = i + (rng() % (pool.length - i));
    const x = pool[i];
    pool[i] = pool[j];
    pool[j] = x;
  }
  return pool.slice(0, size);
}

// [sample or null, well formed?] (sampling.parse); sample.ratio is null until all are marked.
export function parseSample(raw, low, high) {
  if (raw === null || raw === undefined) return [null, true];
  const BAD = [null, false];
  if (!isObj(raw)) return BAD;
  const population = own(raw, 'population') ? raw.population : null;
  if (!Array.isArray(population) || population.length > SAMPLE_POPULATION_LIMIT) return BAD;
  const seen = new Set();
  for (const x of population) {
    if (typeof x !== 'string' || x === '' || EDGE_BLANK.test(x) || seen.has(x)) return BAD;
    seen.add(x);
  }
  if (population.length === 0) return [null, true];
  const seed = own(raw, 'seed') ? raw.seed : null;
  if (typeof seed !== 'number' || !(seed >= 0 && seed < SAMPLE_SEED_LIMIT) || seed !== Math.floor(seed)) return BAD;
  let marks = own(raw, 'marks') ? raw.marks : null;
  if (marks === null || marks === undefined) marks = {};
  if (!isObj(marks)) return BAD;
  const ids = drawSample(population, seed, low, high);
  const failed = [];
  let checked = 0;
  for (const x of ids) {
    const mark = own(marks, x) ? marks[x] : null;
    if (mark === null || mark === undefined) continue;
    if (typeof mark !== 'boolean') return BAD;
    checked++;
    if (!mark) failed.push(x);
  }
  const ratio = checked === ids.length ? (ids.length - failed.length) / ids.length : null;
  return [{ population: population.length, seed, ids, failed, checked, ratio }, true];
}

// 抽查 5 份（共 86 份），1 份不合格：… (sampling.describe)
export function describeSample(sample, unit) {
  const size = sample.ids.length;
  const head = `抽查 ${size} ${unit}（共 ${sample.population} ${unit}）`;
  if (sample.checked < size) return `${head}，已检查 ${sample.checked} ${unit}`;
  if (sample.failed.length === 0) return `${head}，全部合格`;
  return `${head}，${sample.failed.length} ${unit}不合格：` + sample.failed.join('、');
}

// ---------------------------------------------------------------- scoring
// A port of inspect_app/checklist/scoring.py: same two passes, same order of float operations.

const ANSWER_TYPES = ['yesno', 'choice', 'multi', 'integer', 'decimal', 'text', 'date', 'photo', 'sample'];
// hasOwnProperty, not Object.hasOwn (Chrome 93+): older phone WebViews are common; also keeps an
// item id such as "constructor" from reading Object.prototype
const own = (o, k) => o !== null && typeof o === 'object' && !Array.isArray(o) && Object.prototype.hasOwnProperty.call(o, k);
const isObj = (o) => o !== null && typeof o === 'object' && !Array.isArray(o);

function references(node, out = new Set()) {
  if (!node) return out;
  if (node.k === 'ref') out.add(node.id);
  for (const c of [node.l, node.r, node.x, node.c, node.a, node.b, ...(node.items || []), ...(node.args || [])]) {
    if (c) references(c, out);
  }
  return out;
}

// Whether an item can ever be judged 不符合 (model.item_can_fail, line for line). A yes/no
// question with no points, no veto and no critical mark (「学校设有食堂」) is information other
// items' `relevant` reads: answering 否 is outcome info, not a finding.
export function itemCanFail(it) {
  const t = it.type;
  if (t === 'note' || t === 'text' || t === 'photo') return false;
  if (it.pass_if != null) return true;
  if (t === 'sample') return true; // by default every sampled file must be 合格
  if (t === 'yesno') {
    return it.veto === true || typeof it.critical === 'string' || (typeof it.points === 'number' && it.points > 0);
  }
  if (t === 'choice' || t === 'multi') return (it.choices || []).some((c) => c !== null && typeof c === 'object' && c.fail === true);
  return false;
}

// Derived facts per item, computed once per compiled checklist (model.ItemPlan).
const plans = new WeakMap();
function planOf(compiled) {
  let plan = plans.get(compiled);
  if (plan) return plan;
  const items = Object.create(null);
  const sections = compiled.sections.map((sec) => ({
    sec,
    items: sec.items.map((it) => {
      const choices = new Map((it.choices || []).map((c) => [c.value, c]));
      const t = it.type;
      const canFail = itemCanFail(it);
      const points = it.points || 0;
      const p = {
        it, id: it.id, type: t, section: sec.id, choices, points, canFail,
        answerable: ANSWER_TYPES.includes(t),
        scoredChoices: (it.choices || []).some((c) => c.score != null),
        isCheck: canFail || points > 0,
        calcRefs: references(it.calculation),
        judgeRefs: references(it.target, references(it.pass_if)),
        unit: it.unit || '',
        sampleMin: (it.sample && it.sample.min) || 1,
        sampleMax: it.sample && it.sample.max != null ? it.sample.max : null,
      };
      items[it.id] = p;
      return p;
    }),
  }));
  const rank = Object.create(null);
  compiled.grades.forEach((g, i) => { rank[g.grade] = i; });
  plan = { sections, items, order: (compiled.order || Object.keys(items)).map((id) => items[id]), rank,
    criticalCaps: compiled.critical_caps || [] };
  plans.set(compiled, plan);
  return plan;
}

// School attributes as expressions see them: finite numbers, booleans and strings, else null
// (expressions.normalize_school).
const SCHOOL_ATTRIBUTES = { code: 's', name: 's', stage: 's', boarding: 'b', township_central: 'b', poverty_village: 'b', enrolment: 'n' };
function normalizeSchool(school) {
  const out = Object.create(null);
  for (const [attr, kind] of Object.entries(SCHOOL_ATTRIBUTES)) {
    const v = own(school, attr) ? school[attr] : null;
    const ok = kind === 'n' ? inRange(v) : kind === 'b' ? typeof v === 'boolean' : typeof v === 'string';
    out[attr] = ok ? v : null;
  }
  return out;
}

function holds(test, scope) {
  // applies_if / relevant: only boolean true counts; a failing condition counts as false
  try {
    return evaluate(test, scope) === true;
  } catch (e) {
    if (e instanceof EvalError) return false;
    throw e;
  }
}

// Whether at least one section applies to this school (Checklist.applies_to), on the normalized
// school record, so "600" as enrolment reads as null exactly as on the server.
export function appliesTo(compiled, school) {
  const scope = { values: Object.create(null), broken: new Set(), school: normalizeSchool(school) };
  return compiled.sections.some((sec) => !sec.applies_if || holds(sec.applies_if, scope));
}

// Python's str.strip() whitespace (str.isspace), which differs from JS trim() (e.g. U+FEFF, U+001C)
const BLANK = /^[\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$/;
// the same white space at either end: x.strip() != x in Python (a sample id with a stray space)
const EDGE_BLANK = /^[\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]|[\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]$/;

// [value as expressions see it, well-formed?] (scoring._normalize_answer)
function normalizeAnswer(p, raw) {
  if (raw === null || raw === undefined) return [null, true];
  const BAD = [null, false];
  switch (p.type) {
    case 'yesno': return typeof raw === 'boolean' ? [raw, true] : BAD;
    case 'choice': return typeof raw === 'string' && p.choices.has(raw) ? [raw, true] : BAD;
    case 'multi':
      if (!Array.isArray(raw) || !raw.every((v) => typeof v === 'string' && p.choices.has(v))) return BAD;
      // canonical order (the choice list's) so that == on lists and the score sum are stable
      return [[...p.choices.keys()].filter((v) => raw.includes(v)), true];
    case 'integer': case 'decimal':
      if (!inRange(raw) || (p.type === 'integer' && raw !== Math.floor(raw))) return BAD;
      return [raw, true];
    case 'text':
      if (typeof raw !== 'string') return BAD;
      return [BLANK.test(raw) ? null : raw, true];
    case 'date':
      if (typeof raw !== 'string') return BAD;
      if (raw === '') return [null, true];
      return dayNumber(raw) !== null ? [raw, true] : BAD;
  }
  return [null, true];
}

function photoCount(photos, id) {
  const n = own(photos, id) ? photos[id] : null;
  return inRange(n) && n > 0 ? Math.trunc(n) : 0; // Python int() truncates
}

function rangeProblem(p, v) {
  const { min, max } = p.it;
  if (!isNum(v) || (min == null && max == null)) return null;
  const low = min != null ? formatNumber(min, 6) + p.unit : null;
  const high = max != null ? formatNumber(max, 6) + p.unit : null;
  const tooLow = min != null && v < min;
  const tooHigh = max != null && v > max;
  if (!tooLow && !tooHigh) return null;
  if (low !== null && high !== null) return `${p.it.label}应在 ${low} 到 ${high} 之间`;
  return tooLow ? `${p.it.label}应不小于 ${low}` : `${p.it.label}应不大于 ${high}`;
}

function problemSentence(p, displayValue, displayTarget) {
  let t = p.it.problem ?? null;
  if (t === null && p.type === 'sample') t = '{label}：{value}';
  if (t === null) {
    if (['integer', 'decimal', 'computed'].includes(p.type) && displayValue !== null) {
      t = displayTarget !== null ? '{label} {value}，未达到 {target} 的要求' : '{label} {value}，不符合要求';
    } else t = '{label}：不符合要求';
  }
  // plain replacement, in this order, like Python's chained str.replace
  return t.split('{label}').join(p.it.label).split('{value}').join(displayValue ?? '')
    .split('{target}').join(displayTarget ?? '').split('{unit}').join(p.unit);
}

function passByDefault(p, v) {
  if (p.type === 'yesno') return v === true || !p.canFail;
  if (p.type === 'choice') return !p.choices.get(v).fail;
  if (p.type === 'multi') return !v.some((x) => p.choices.get(x).fail);
  if (p.type === 'sample') return v >= 1; // every sampled file 合格
  return true;
}

function earnedOnPass(p, v) {
  if (!p.scoredChoices) return p.points;
  if (p.type === 'choice') return Math.min(p.points, p.choices.get(v).score || 0);
  let total = 0;
  for (const x of v) total += p.choices.get(x).score || 0; // choice-list order: same float sum
  return Math.min(p.points, total);
}

const UNCOMPUTABLE = '无法计算';

// Outcome of a shown item with a value: [outcome, earned, possible, message, reason, target].
// Note scope.value/target stay set after a constraint/pass_if, exactly as in Python.
function judge(p, v, scope, pending) {
  const points = p.points;
  const it = p.it;
  if (p.answerable) {
    let bad = rangeProblem(p, v);
    if (bad === null && it.constraint) {
      scope.value = v;
      scope.target = null;
      try {
        if (evaluate(it.constraint, scope) === false) bad = it.constraint_message || '填写的值不符合要求';
      } catch (e) {
        if (!(e instanceof EvalError)) throw e;
        return ['error', 0, points, `${UNCOMPUTABLE}：${e.message}`, UNCOMPUTABLE, null];
      }
    }
    if (bad !== null) return ['error', 0, points, bad, bad, null];
  }
  let target = null;
  let verdict;
  try {
    if (it.target) {
      const t = evaluate(it.target, scope);
      if (isNum(t) && !inRange(t)) throw new EvalError('计算结果超出范围'); // target stays null
      target = t;
    }
    if (it.pass_if) {
      scope.value = v;
      scope.target = target;
      verdict = evaluate(it.pass_if, scope);
    } else verdict = passByDefault(p, v);
  } catch (e) {
    if (!(e instanceof EvalError)) throw e;
    return ['error', 0, points, `${UNCOMPUTABLE}：${e.message}`, UNCOMPUTABLE, target];
  }
  if (verdict === null) {
    // a null verdict waits for answers still to come, or is 不适用 when its inputs are settled
    if ([...p.judgeRefs].some((r) => pending.has(r))) return ['unanswered', 0, points, '待相关条目填写后判定', null, target];
    return ['na', 0, 0, '缺少判定所需的数据，按不适用处理', null, target];
  }
  if (verdict !== true) return ['fail', 0, points, null, null, target];
  if (!p.isCheck) return ['info', 0, 0, null, null, target];
  return ['pass', earnedOnPass(p, v), points, null, null, target];
}

// The answers a phone sends with an inspection: not those of items hidden or not for this
// school (the server refuses them), but every other, even one whose outcome is 不适用 because
// its target reads an item that is (its pass_if came out empty): items computed from it still
// read it, so the server needs it to score what the phone scored.
export function sentAnswers(result, answers) {
  const sent = {};
  for (const [id, v] of Object.entries(answers)) {
    const o = result.items[id]?.outcome;
    if (o && o !== 'not_applicable') sent[id] = v;
  }
  return sent;
}

export function score(compiled, school, responses) {
  const plan = planOf(compiled);
  responses = isObj(responses) ? responses : {};
  const scope = { values: Object.create(null), broken: new Set(), school: normalizeSchool(school), value: null, target: null };
  const values = scope.values;
  const answers = isObj(responses.answers) ? responses.answers : {};
  const markedNa = new Set(Array.isArray(responses.na) ? responses.na.filter((x) => typeof x === 'string') : []);
  const photos = responses.photos;
  const samples = Object.create(null); // the drawn sample of each shown sample item with a list

  // pass 1: visible values in dependency order (compiled.order)
  const state = Object.create(null);
  const errors = Object.create(null); // item → [item message, missing reason]
  const pending = new Set(); // shown and still waiting for an answer (directly or via inputs)
  const sectionApplies = Object.create(null);
  for (const { sec } of plan.sections) sectionApplies[sec.id] = !sec.applies_if || holds(sec.applies_if, scope);
  const breakWith = (id, e) => {
    if (!(e instanceof EvalError)) throw e;
    state[id] = 'broken';
    errors[id] = [`${UNCOMPUTABLE}：${e.message}`, UNCOMPUTABLE];
    scope.broken.add(id);
  };
  for (const p of plan.order) {
    const { id, it } = p;
    values[id] = null;
    if (!sectionApplies[p.section] || (it.applies_if && !holds(it.applies_if, scope))) {
      state[id] = 'school';
      continue;
    }
    if (it.relevant) {
      let shown;
      try {
        shown = evaluate(it.relevant, scope) === true;
      } catch (e) {
        breakWith(id, e);
        continue;
      }
      if (!shown) {
        state[id] = 'relevant';
        continue;
      }
    }
    if (it.na_allowed && markedNa.has(id)) {
      state[id] = 'na';
      continue;
    }
    state[id] = 'shown';
    if (p.type === 'note') continue;
    if (p.type === 'computed') {
      let v;
      try {
        v = evaluate(it.calculation, scope);
        if (isNum(v) && !inRange(v)) throw new EvalError('计算结果超出范围');
      } catch (e) {
        breakWith(id, e);
        continue;
      }
      if (v === null && [...p.calcRefs].some((r) => pending.has(r))) pending.add(id);
      values[id] = v;
      continue;
    }
    let v, ok;
    if (p.type === 'photo') {
      const n = photoCount(photos, id);
      [v, ok] = [n || null, true];
    } else if (p.type === 'sample') {
      // its value is the share marked 合格, once every sampled file is marked
      let sample;
      [sample, ok] = parseSample(own(answers, id) ? answers[id] : null, p.sampleMin, p.sampleMax);
      v = null;
      if (sample !== null) {
        v = sample.ratio;
        delete sample.ratio;
        samples[id] = sample;
      }
    } else [v, ok] = normalizeAnswer(p, own(answers, id) ? answers[id] : null);
    if (!ok) {
      state[id] = 'broken';
      errors[id] = ['答案格式不正确', '答案格式不正确'];
      scope.broken.add(id);
      continue;
    }
    if (v === null) pending.add(id);
    values[id] = v;
  }

  // pass 2: outcomes in document order
  const items = {};
  const sections = [];
  const missing = [];
  const findings = [];
  const rectifications = [];
  const vetoes = [];
  const critical = [];
  let sumScore = 0;
  let sumWeight = 0;
  // the running score: only items already judged (pass/fail) count (scoring.py, same order)
  let sumAssessedScore = 0, sumAssessedWeight = 0, allAssessedEarned = 0, allAssessedPossible = 0;
  let allAnswered = 0, allShown = 0;
  for (const { sec, items: secPlans } of plan.sections) {
    const applicable = sectionApplies[sec.id];
    let earnedSum = 0, possibleSum = 0, shownCount = 0, answeredCount = 0, failedCount = 0;
    let assessedEarned = 0, assessedPossible = 0;
    for (const p of secPlans) {
      const { id, it } = p;
      const st = state[id];
      const v = values[id];
      let outcome = 'info', earned = 0, possible = 0, message = null, reason = null;
      let target = null, displayTarget = null;
      let displayValue = p.type === 'sample' && v !== null && st === 'shown' && samples[id]
        ? describeSample(samples[id], p.unit) : formatValue(it, v);
      if (p.answerable && (st === 'shown' || st === 'na' || st === 'broken')) {
        shownCount++;
        if (v !== null || st === 'na') answeredCount++;
      }
      if (st === 'school') [outcome, message] = ['not_applicable', '本校不适用'];
      else if (st === 'relevant') [outcome, message] = ['not_applicable', '无需检查'];
      else if (st === 'na') [outcome, message] = ['na', '不适用'];
      else if (st === 'broken') {
        [outcome, message, reason] = ['error', ...errors[id]];
        possible = p.points; // 「无法计算」 keeps its points: the inspection is not finished
      } else if (p.type === 'note') outcome = 'info';
      else if (v === null) {
        if (p.type === 'computed' && !pending.has(id)) {
          // inputs settled (不适用 or hidden) yet nothing to compute: nothing to judge
          [outcome, message] = ['na', '缺少计算所需的数据，按不适用处理'];
        } else {
          outcome = 'unanswered';
          message = p.type === 'computed' ? '待相关条目填写后计算' : '未填写';
          if (samples[id]) message = describeSample(samples[id], p.unit); // drawn, not all marked
          possible = p.isCheck ? p.points : 0;
          if (it.required) reason = '未填写';
        }
      } else {
        [outcome, earned, possible, message, reason, target] = judge(p, v, scope, pending);
        if (target !== null) displayTarget = formatValue(it, target);
        if (outcome === 'fail') {
          displayValue = apart(p, it, v, target, displayValue, displayTarget);
          message = problemSentence(p, displayValue, displayTarget);
        }
      }

      let evidenceMissing = false;
      if (it.evidence != null && photoCount(photos, id) === 0) {
        evidenceMissing = it.evidence === 'always'
          ? ['pass', 'fail', 'info'].includes(outcome) && p.type !== 'note'
          : outcome === 'fail';
      }
      if (reason === null && evidenceMissing) reason = '缺少照片';
      if (reason !== null) missing.push({ item: id, label: it.label, section: sec.id, reason });

      if (outcome === 'fail') {
        failedCount++;
        const basis = it.basis ?? null;
        findings.push({ item: id, section: sec.id, label: it.label, problem: message, basis,
          local: !!it.local, veto: !!it.veto, value: displayValue, target: displayTarget });
        if (it.fix != null) {
          const rect = { item: id, section: sec.id, problem: message, basis,
            action: it.fix.action, owner: it.fix.owner, days: it.fix.days };
          if (it.fix.unit != null) rect.unit = it.fix.unit;  // 责任单位 when the template names one
          rectifications.push(rect);
        }
        if (it.veto) vetoes.push({ item: id, label: it.label, problem: message });
        else if (it.critical != null) critical.push({ item: id, label: it.label, problem: message, cap: it.critical });
        assessedPossible += possible;
      } else if (outcome === 'pass') {
        assessedEarned += earned;
        assessedPossible += possible;
      }
      earnedSum += earned;
      possibleSum += possible;
      items[id] = { section: sec.id, label: it.label, type: p.type, outcome, earned, possible, value: v,
        display_value: displayValue, target, display_target: displayTarget, message,
        evidence_missing: evidenceMissing };
      if ((st === 'shown' || st === 'broken') && samples[id]) items[id].sample = samples[id]; // report and re-check
    }
    let sectionScore = null, percent = null;
    if (applicable && possibleSum > 0) {
      const ratio = earnedSum / possibleSum;
      const raw = ratio * sec.weight; // (earned / possible) × weight, in this order
      sumScore += raw;
      sumWeight += sec.weight;
      sectionScore = roundHalf(raw, 1);
      percent = roundHalf(ratio * 100, 1);
    }
    if (applicable) {
      allAnswered += answeredCount;
      allShown += shownCount;
      allAssessedEarned += assessedEarned;
      allAssessedPossible += assessedPossible;
      if (assessedPossible > 0) {
        sumAssessedScore += assessedEarned / assessedPossible * sec.weight;
        sumAssessedWeight += sec.weight;
      }
    }
    sections.push({ id: sec.id, title: sec.title, weight: sec.weight, applicable,
      earned: roundHalf(earnedSum, 2), possible: roundHalf(possibleSum, 2), score: sectionScore,
      percent, answered: answeredCount, items: shownCount, failed: failedCount });
  }

  const total = sumWeight > 0 ? roundHalf((sumScore / sumWeight) * 100, 1) : null;
  const vetoed = vetoes.length > 0;
  const cap = capOf(compiled, plan, vetoes, critical);
  const scoreGrade = band(compiled, total);
  const grade = capped(plan, scoreGrade, cap);
  const projected = sumAssessedWeight > 0 ? roundHalf((sumAssessedScore / sumAssessedWeight) * 100, 1) : null;
  return {
    checklist: { id: compiled.id, title: compiled.title, version: compiled.version, hash: compiled.hash },
    total, grade, score_grade: scoreGrade, capped: cap !== null && grade !== scoreGrade, cap,
    vetoed, vetoes, critical,
    progress: { answered: allAnswered, items: allShown, earned: roundHalf(allAssessedEarned, 2),
      assessed: roundHalf(allAssessedPossible, 2), total: projected, grade: capped(plan, band(compiled, projected), cap) },
    sections, items, complete: missing.length === 0, missing, findings, rectifications,
  };
}

// The grade a total earns by the bands alone (scoring._band).
function band(compiled, total) {
  if (total === null) return null;
  return compiled.grades.find((b) => total >= b.min)?.grade ?? null;
}

// A grade under a cap (scoring._capped): a veto gives the lowest band even without a total; a
// critical cap only lowers a grade the total has earned.
function capped(plan, grade, cap) {
  if (cap === null) return grade;
  if (cap.kind === 'veto') return cap.grade;
  if (grade === null) return null;
  return plan.rank[cap.grade] > plan.rank[grade] ? cap.grade : grade;
}

// The ceiling on the grade and why (scoring._cap): a failed veto caps at the lowest band; failed
// critical items at the lowest of their caps, or lower by the checklist's critical_caps.
function capOf(compiled, plan, vetoes, critical) {
  if (vetoes.length) {
    const lowest = compiled.grades[compiled.grades.length - 1].grade;
    return { kind: 'veto', grade: lowest, items: vetoes.map((v) => v.item),
      reason: `一票否决：${vetoes.map((v) => v.label).join('、')}，等级为${lowest}` };
  }
  if (!critical.length) return null;
  const rank = plan.rank;
  let grade = critical[0].cap;
  for (const c of critical) if (rank[c.cap] > rank[grade]) grade = c.cap;
  let byCount = false;
  for (const rule of plan.criticalCaps) {
    if (critical.length >= rule.failed && rank[rule.grade] > rank[grade]) {
      grade = rule.grade;
      byCount = true;
    }
  }
  const count = byCount ? `${critical.length} 项` : '';
  return { kind: 'critical', grade, items: critical.map((c) => c.item),
    reason: `${count}关键项不合格：${critical.map((c) => c.label).join('、')}，等级最高为${grade}` };
}
