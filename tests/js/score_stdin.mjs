// Scores batches for the Python/JS differential tests (tests/test_engine_parity.py).
//   node tests/js/score_stdin.mjs     (one JSON request per line on stdin, one answer per line)
// Request: {"compiled": <compiled checklist>, "cases": [[school, responses], ...]}
// Answer:  {"results": [<Result>, ...], "sent": [<answers the phone would send>, ...]}  or
//          {"error": "message"} when engine.js throws.
// One process serves a whole test run, so node starts once, not once per generated case.
import { createInterface } from 'node:readline';
import { score, sentAnswers } from '../../static/js/engine.js';

// JSON has no -0, but the engines must agree even on the sign of a zero (-a * 0): send it as a
// marker that the Python side also uses for its own -0.0.
const NEGATIVE_ZERO = '__negative_zero__';
const replacer = (key, value) => (Object.is(value, -0) ? NEGATIVE_ZERO : value);

const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of lines) {
  if (!line.trim()) continue;
  let answer;
  try {
    const { compiled, cases } = JSON.parse(line);
    const results = cases.map(([school, responses]) => score(compiled, school, responses));
    const sent = results.map((result, n) => sentAnswers(result, cases[n][1].answers || {}));
    answer = { results, sent };
  } catch (e) {
    answer = { error: `${e.name}: ${e.message}\n${e.stack}` };
  }
  process.stdout.write(JSON.stringify(answer, replacer) + '\n');
}
