/**
 * `submitSelfCertification`: the developer's assessment of its product against the 11 minimum
 * requirements. Refused unless every requirement is assessed exactly once, with evidence, and a
 * description of the control wherever the outcome is COMPENSATING_CONTROL.
 */
import { denial, type Denial } from '../core/errors.js';
import { isDenial, type ChangeRequest, type Outcome } from './change-note.js';
import { toIso } from './instants.js';
import { REQUIREMENT_OUTCOMES, REQUIREMENTS, type Product, type Requirement, type RequirementAssessment } from './model.js';
import { transitionProduct } from './product-transitions.js';
import { cleanText, TEXT_RULES } from './text.js';

export const MAX_EVIDENCE_LENGTH = TEXT_RULES.evidence.max;

/**
 * The evidence and compensating control of each assessment as stored, or the first text that
 * breaks its rule (registry/text.ts), naming the requirement.
 */
function cleanAssessmentTexts(list: readonly RequirementAssessment[]): Map<RequirementAssessment, { evidence: string; compensatingControl: string | null }> | Denial {
  const cleaned = new Map<RequirementAssessment, { evidence: string; compensatingControl: string | null }>();
  for (const a of list) {
    const evidence = typeof a.evidence === 'string' ? cleanText(a.evidence, TEXT_RULES.evidence, 'evidence') : '';
    if (isDenial(evidence)) return { ...evidence, details: { ...evidence.details, requirement: a.requirement } };
    const control = typeof a.compensatingControl === 'string' ? cleanText(a.compensatingControl, TEXT_RULES.compensatingControl, 'compensatingControl') : null;
    if (isDenial(control)) return { ...control, details: { ...control.details, requirement: a.requirement } };
    cleaned.set(a, { evidence, compensatingControl: control || null });
  }
  return cleaned;
}

/** The assessments in the canonical requirement order, or BAD_USER_INPUT listing every problem. */
export function validateAssessments(assessments: readonly RequirementAssessment[]): RequirementAssessment[] | Denial {
  const list = Array.isArray(assessments) ? assessments : [];
  const texts = cleanAssessmentTexts(list);
  if (isDenial(texts)) return texts;
  const counts = new Map<string, number>();
  for (const a of list) counts.set(a.requirement, (counts.get(a.requirement) ?? 0) + 1);
  const missing = REQUIREMENTS.filter((r) => !counts.has(r));
  const duplicated = [...counts].filter(([, n]) => n > 1).map(([r]) => r);
  const unknown = [...counts.keys()].filter((r) => !(REQUIREMENTS as readonly string[]).includes(r));
  const badOutcome = list.filter((a) => !(REQUIREMENT_OUTCOMES as readonly string[]).includes(a.outcome)).map((a) => a.requirement);
  const noEvidence = list.filter((a) => !texts.get(a)!.evidence).map((a) => a.requirement);
  const noControl = list.filter((a) => a.outcome === 'COMPENSATING_CONTROL' && !texts.get(a)!.compensatingControl).map((a) => a.requirement);
  const problems = { missing, duplicated, unknown, badOutcome, noEvidence, noControl };
  if (Object.values(problems).some((p) => p.length > 0)) {
    return denial('BAD_USER_INPUT', 'The self-certification must assess each of the 11 requirements exactly once, with evidence.', {
      ...(Object.fromEntries(Object.entries(problems).filter(([, p]) => p.length > 0)) as Partial<typeof problems>),
    });
  }
  const byRequirement = new Map<Requirement, RequirementAssessment>(list.map((a) => [a.requirement, a]));
  return REQUIREMENTS.map((r) => {
    const a = byRequirement.get(r)!;
    const text = texts.get(a)!;
    return {
      requirement: r,
      outcome: a.outcome,
      evidence: text.evidence,
      compensatingControl: a.outcome === 'COMPENSATING_CONTROL' ? text.compensatingControl : null,
    };
  });
}

/** REGISTERED or CERTIFICATION_REJECTED → SELF_CERTIFIED. */
export function submitSelfCertification(product: Product, assessments: readonly RequirementAssessment[], request: ChangeRequest, actor: string, now: number): Outcome<Product> {
  return transitionProduct(product, 'submitSelfCertification', request, actor, now, () => {
    const valid = validateAssessments(assessments);
    if (isDenial(valid)) return valid;
    return { selfCertification: { submittedAt: toIso(now), submittedBy: actor, assessments: valid } };
  });
}
