import { REQUIREMENTS } from '../../../registry/model.js';
import { submitSelfCertification, validateAssessments } from '../../../registry/self-certification.js';
import { accepted, assessments, denied, NOW, productIn, REQUEST } from './fixtures.js';

const DEV = 'dev-1 (dsp:developer)';

describe('submitSelfCertification', () => {
  test('records all 11 assessments in canonical order with the submitter', () => {
    const { next } = accepted(submitSelfCertification(productIn('REGISTERED'), [...assessments({ COOKIE_MANAGEMENT: 'NOT_MET' })].reverse(), REQUEST, DEV, NOW));
    expect(next.status).toBe('SELF_CERTIFIED');
    expect(next.selfCertification?.submittedBy).toBe(DEV);
    expect(next.selfCertification?.assessments.map((a) => a.requirement)).toEqual([...REQUIREMENTS]);
    expect(next.selfCertification?.assessments.find((a) => a.requirement === 'COOKIE_MANAGEMENT')?.outcome).toBe('NOT_MET');
  });

  test('refuses a self-certification missing a requirement, naming it', () => {
    const d = denied(submitSelfCertification(productIn('REGISTERED'), assessments().filter((a) => a.requirement !== 'AUDIT_LOGGING'), REQUEST, DEV, NOW));
    expect(d.code).toBe('BAD_USER_INPUT');
    expect(d.details).toMatchObject({ missing: ['AUDIT_LOGGING'] });
  });

  test('refuses a requirement assessed twice', () => {
    const list = assessments();
    expect(validateAssessments([...list, list[0]!])).toMatchObject({ code: 'BAD_USER_INPUT', details: { duplicated: [list[0]!.requirement] } });
  });

  test('refuses a compensating control without its description', () => {
    const list = assessments({ ENCRYPTION_AT_REST: 'COMPENSATING_CONTROL' }).map((a) => (a.requirement === 'ENCRYPTION_AT_REST' ? { ...a, compensatingControl: ' ' } : a));
    expect(validateAssessments(list)).toMatchObject({ code: 'BAD_USER_INPUT', details: { noControl: ['ENCRYPTION_AT_REST'] } });
  });

  test('refuses an assessment without evidence', () => {
    const list = assessments().map((a) => (a.requirement === 'DATA_HOSTING' ? { ...a, evidence: '' } : a));
    expect(validateAssessments(list)).toMatchObject({ code: 'BAD_USER_INPUT', details: { noEvidence: ['DATA_HOSTING'] } });
  });

  test('refuses an unknown requirement or outcome', () => {
    const list = assessments();
    expect(validateAssessments([...list, { requirement: 'VIBES' as never, outcome: 'MET', evidence: 'x' }])).toMatchObject({ details: { unknown: ['VIBES'] } });
    expect(validateAssessments(list.map((a, i) => (i === 0 ? { ...a, outcome: 'MOSTLY' as never } : a)))).toMatchObject({ details: { badOutcome: [REQUIREMENTS[0]] } });
  });

  test('refuses evidence or a compensating control with a control character or bidi control, naming the requirement', () => {
    const withText = (requirement: string, over: Record<string, string>) =>
      assessments({ ENCRYPTION_AT_REST: 'COMPENSATING_CONTROL' }).map((a) => (a.requirement === requirement ? { ...a, compensatingControl: a.compensatingControl ?? 'HSM', ...over } : a));
    expect(validateAssessments(withText('DATA_HOSTING', { evidence: 'AU only\u001b[8m' }))).toMatchObject({ code: 'BAD_USER_INPUT', details: { field: 'evidence', requirement: 'DATA_HOSTING', problem: 'CONTROL_CHARACTER' } });
    expect(validateAssessments(withText('ENCRYPTION_AT_REST', { compensatingControl: 'HSM \u202e' }))).toMatchObject({ details: { field: 'compensatingControl', requirement: 'ENCRYPTION_AT_REST', problem: 'BIDI_CONTROL' } });
    expect(validateAssessments(withText('AUDIT_LOGGING', { evidence: 'x'.repeat(10_001) }))).toMatchObject({ details: { field: 'evidence', problem: 'TOO_LONG' } });
  });

  test('keeps multi-line evidence, storing CRLF as LF', () => {
    const list = assessments().map((a) => (a.requirement === 'AUDIT_LOGGING' ? { ...a, evidence: 'Logs:\r\n\t- kept 7 years' } : a));
    const valid = validateAssessments(list);
    expect(Array.isArray(valid) && valid.find((a) => a.requirement === 'AUDIT_LOGGING')?.evidence).toBe('Logs:\n\t- kept 7 years');
  });

  test('a rejected certification may be resubmitted', () => {
    expect(accepted(submitSelfCertification(productIn('CERTIFICATION_REJECTED'), assessments(), REQUEST, DEV, NOW)).next.status).toBe('SELF_CERTIFIED');
  });
});
