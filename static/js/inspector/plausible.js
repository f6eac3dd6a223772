// Plausibility warnings beside a count: not errors and no part of the score (the engine decides
// pass and fail), only a prompt to look again when a figure is far from what is already known:
// the registry's enrolment (学籍系统在校生数) and the count entered at the last inspection.

// Beyond this relative difference a count is worth a second look (issue 14: > 30 %).
export const TOLERANCE = 0.3;

// Counts of this school's pupils, by their labels (the checklists' own words): the whole
// enrolment should be near the registry's, a part of it should not exceed it.
const WHOLE = /在校生(人)?数|在校学生(人)?数|学生总数/;
const PART = /寄宿(男|女)?生人数|就餐学生数|建档立卡.*学生(人)?数|家庭经济困难学生(人)?数/;

const pct = (a, b) => Math.round((Math.abs(a - b) / b) * 100);

export function plausibility(it, value, draft, outcome) {
  if (!['integer', 'decimal'].includes(it.type) || typeof value !== 'number' || outcome === 'error') return '';
  const registry = draft.school?.enrolment;
  if (typeof registry === 'number' && registry > 0) {
    if (WHOLE.test(it.label) && Math.abs(value - registry) > registry * TOLERANCE) {
      return `与学籍系统在校生数 ${registry} 人相差 ${pct(value, registry)}%，请核实（仅提示，不影响评分）`;
    }
    if (PART.test(it.label) && value > registry * (1 + TOLERANCE)) {
      return `超过学籍系统在校生数 ${registry} 人（多 ${pct(value, registry)}%），请核实（仅提示，不影响评分）`;
    }
  }
  const before = draft.previous?.answers?.[it.id];
  if (typeof before === 'number' && before > 0 && !draft.prefilled?.includes(it.id)
      && Math.abs(value - before) > before * TOLERANCE) {
    return `上次检查（${draft.previous.date}）填写的是 ${before}，相差 ${pct(value, before)}%，请核实（仅提示，不影响评分）`;
  }
  return '';
}
