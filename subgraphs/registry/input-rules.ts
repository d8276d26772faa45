/**
 * What every text input of a registry-subgraph mutation is (schema/registry.graphql and
 * schema/registry-incidents.graphql): which rule of registry/text.ts bounds it, or that it is an
 * RFC 3339 instant. input-guard.ts applies them before a resolver runs, and refuses to start when
 * a String or ID input has no entry here, so a new argument cannot slip in unchecked.
 */
import { TEXT_RULES, type TextRule } from '../../registry/text.js';

export type InputRule = { kind: 'text'; rule: TextRule } | { kind: 'instant' };

const text = (rule: TextRule): InputRule => ({ kind: 'text', rule });
const INSTANT: InputRule = { kind: 'instant' };

/** Mutation arguments, by name: a name means the same thing on every mutation that takes it. */
export const ARGUMENT_RULES: Readonly<Record<string, InputRule>> = {
  developerId: text(TEXT_RULES.identifier),
  productId: text(TEXT_RULES.identifier),
  id: text(TEXT_RULES.identifier),
  reason: text(TEXT_RULES.reason),
  ticket: text(TEXT_RULES.ticket),
  note: text(TEXT_RULES.note),
  org: text(TEXT_RULES.code),
  clientId: text(TEXT_RULES.code),
  services: text(TEXT_RULES.code),
  minimumVersion: text(TEXT_RULES.code),
  documents: text(TEXT_RULES.document),
  effectiveAt: INSTANT,
  reviewDueAt: INSTANT,
  validFrom: INSTANT,
  validUntil: INSTANT,
  until: INSTANT,
  expiresAt: INSTANT,
  // JWK thumbprints (schema/registry-key-binding.graphql); registry/key-binding.ts checks the exact form.
  thumbprints: text(TEXT_RULES.identifier),
};

/** Fields of the mutations' input types, by `Type.field`. */
export const INPUT_FIELD_RULES: Readonly<Record<string, InputRule>> = {
  'RegisterDeveloperInput.abn': text(TEXT_RULES.code),
  'RegisterDeveloperInput.legalName': text(TEXT_RULES.name),
  'RegisterDeveloperInput.reason': text(TEXT_RULES.reason),
  'RegisterDeveloperInput.ticket': text(TEXT_RULES.ticket),
  'ContactInput.name': text(TEXT_RULES.name),
  'ContactInput.email': text(TEXT_RULES.email),
  'ContactInput.phone': text(TEXT_RULES.phone),
  'RegisterProductInput.developerId': text(TEXT_RULES.identifier),
  'RegisterProductInput.name': text(TEXT_RULES.name),
  'RegisterProductInput.dataHosting': text(TEXT_RULES.code),
  'RegisterProductInput.minimumVersion': text(TEXT_RULES.code),
  'RegisterProductInput.reason': text(TEXT_RULES.reason),
  'RegisterProductInput.ticket': text(TEXT_RULES.ticket),
  'ProductRevisionInput.productId': text(TEXT_RULES.identifier),
  'RequirementAssessmentInput.evidence': text(TEXT_RULES.evidence),
  'RequirementAssessmentInput.compensatingControl': text(TEXT_RULES.compensatingControl),
  'NotifyIncidentInput.whatHappened': text(TEXT_RULES.incidentReport),
  'NotifyIncidentInput.occurredAt': INSTANT,
  'NotifyIncidentInput.productIds': text(TEXT_RULES.identifier),
  'NotifyIncidentInput.contact': text(TEXT_RULES.incidentContact),
};

/**
 * Ids and coded values (ABNs, client ids, versions, country codes, service names) are described
 * by their format; every other text input's SDL description states its bound.
 */
export function isFormatRule(rule: TextRule): boolean {
  return rule === TEXT_RULES.identifier || rule === TEXT_RULES.code;
}
