// What the phone tells the inspector when something fails (static/js/inspector): the browser's
// English errors become Chinese by name, and a server refusal carries its per-field reasons.
//   node --test tests/js/
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { errorText, rejection } from '../../static/js/inspector/util.js';

const named = (name, message) => Object.assign(new Error(message), { name });

test('browser errors are told in Chinese by name, never in English', () => {
  assert.match(errorText(named('EncodingError', 'The source image cannot be decoded.')), /^无法读取这张照片/);
  assert.match(errorText(named('QuotaExceededError', 'The quota has been exceeded.')), /^手机存储空间已满/);
  for (const name of ['AbortError', 'InvalidStateError', 'UnknownError', 'SomethingNew']) {
    const text = errorText(named(name, 'Transaction was aborted.'));
    assert.doesNotMatch(text, /Transaction|aborted/);
    assert.match(text, /[\u4e00-\u9fff]/);
  }
});

test('our own Chinese errors pass unchanged', () => {
  assert.equal(errorText(new Error('还有未完成的项目或签名')), '还有未完成的项目或签名');
});

test("a 422's field messages follow the server's message", () => {
  const body = { error: '数据有误', message: '提交的检查数据有误', fields: { date: '检查日期不能晚于今天', 'signatures.school': '学校负责人签名：签名为空' } };
  assert.equal(rejection(body), '提交的检查数据有误：检查日期不能晚于今天；学校负责人签名：签名为空');
  assert.equal(rejection({ message: '提交的检查数据有误' }), '提交的检查数据有误');
  const plan = '东镇中心小学不在您 2026-12-08 的督导计划内，不能提交对该校的检查。';
  assert.equal(rejection({ error: '无权提交', message: plan, fields: { school_id: plan } }), plan);
  assert.equal(rejection({ message: '照片有误', fields: { missing_photos: ['ab12'] } }), '照片有误');
});
