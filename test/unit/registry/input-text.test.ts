import { inputProblem, ruleFor, textProblem } from '../../../registry/input-text.js';
import { parseInstant } from '../../../registry/instants.js';

describe('register text rules', () => {
  it.each([
    ['NUL', 'Acme\u0000Pty'],
    ['ESC (ANSI colour)', 'Acme \u001b[31mPty'],
    ['CR', 'Acme\rPty'],
    ['DEL', 'Acme\u007f'],
    ['C1 (NEL)', 'Acme\u0085Pty'],
    ['a right-to-left override', 'Acme \u202Etxt.exe'],
    ['a bidi isolate', 'Acme \u2066Pty\u2069'],
    ['a right-to-left mark', 'Acme\u200F'],
    ['a line separator', 'Acme\u2028Pty'],
    ['a byte order mark', '\uFEFFAcme'],
    ['a lone surrogate', 'Acme \uD800 Pty'],
  ])('refuses %s in short and long text', (_label, value) => {
    expect(textProblem(value, { kind: 'short', max: 200 })).not.toBeNull();
    expect(textProblem(value, { kind: 'long', max: 2000 })).not.toBeNull();
  });

  it('allows newline and tab in long free text only', () => {
    expect(textProblem('line one\n\tline two', { kind: 'long', max: 2000 })).toBeNull();
    expect(textProblem('line one\nline two', { kind: 'short', max: 200 })).not.toBeNull();
    expect(textProblem('a\tb', { kind: 'short', max: 200 })).not.toBeNull();
  });

  it('accepts ordinary text in any script, emoji included', () => {
    for (const v of ['Ngā Mahi Pty Ltd', 'شركة الحساب', '会計ソフト株式会社', 'Crème brûlée 🍮', "O'Brien & Sons"]) expect([v, textProblem(v, { kind: 'short', max: 200 })]).toEqual([v, null]);
  });

  it('counts the bound in code points', () => {
    expect(textProblem('🍮'.repeat(200), { kind: 'short', max: 200 })).toBeNull();
    expect(textProblem('🍮'.repeat(201), { kind: 'short', max: 200 })).not.toBeNull();
  });

  it('chooses the rule by field name', () => {
    expect(ruleFor('reason')).toEqual({ kind: 'long', max: 2000 });
    expect(ruleFor('evidence')).toEqual({ kind: 'long', max: 10_000 });
    expect(ruleFor('legalName')).toEqual({ kind: 'short', max: 200 });
    expect(ruleFor('productId')).toEqual({ kind: 'short', max: 200 });
  });

  it('finds a problem deep in nested inputs and lists, naming the path', () => {
    const problem = inputProblem({ productId: 'PRD-1', assessments: [{ evidence: 'fine' }, { evidence: 'bad\u001b[2J' }] });
    expect(problem).toMatchObject({ code: 'BAD_USER_INPUT', details: { field: 'assessments.1.evidence' } });
  });

  it('refuses impossible dates in instant fields', () => {
    expect(inputProblem({ until: '2026-02-30T00:00:00Z' })).toMatchObject({ code: 'BAD_USER_INPUT', details: { field: 'until' } });
    expect(inputProblem({ input: { occurredAt: '2026-13-01T00:00:00Z' } })).toMatchObject({ details: { field: 'input.occurredAt' } });
    expect(inputProblem({ until: '2026-02-28T00:00:00Z', reason: 'ok' })).toBeNull();
  });
});

describe('strict RFC 3339 instants', () => {
  it.each(['2026-02-30T00:00:00Z', '2026-02-29T00:00:00Z', '2025-04-31', '2026-13-01T00:00:00Z', '2026-00-10T00:00:00Z', '2026-01-01T24:00:00Z', '2026-01-01T23:60:00Z', '2026-01-01T23:59:60Z', '2026-01-01T10:00:00+24:00', '2026-01-01T10:00:00', '2026-1-1', 'March 7', ''])('refuses %s', (value) => {
    expect(parseInstant(value)).toBeNull();
  });
  it.each([
    ['2028-02-29T00:00:00Z', Date.UTC(2028, 1, 29)],
    ['2026-12-31T23:59:59.999Z', Date.UTC(2026, 11, 31, 23, 59, 59, 999)],
    ['2026-06-30', Date.UTC(2026, 5, 30)],
    ['2026-06-30T10:00:00+10:00', Date.UTC(2026, 5, 30)],
  ])('accepts %s', (value, ms) => {
    expect(parseInstant(value)).toBe(ms);
  });
});
