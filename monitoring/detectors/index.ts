/** Every detector, built from the resolved thresholds. */
import { createDenialBurstDetector } from './denial-burst.js';
import { createEnumerationDetector } from './enumeration.js';
import { createRestrictedAttemptsDetector } from './restricted-attempts.js';
import { resolveThresholds, type DetectorThresholds } from './thresholds.js';
import type { Detector } from './types.js';
import { createUncertifiedDocumentsDetector } from './uncertified-documents.js';
import { createUnusualHoursDetector } from './unusual-hours.js';
import { createVolumeDetector } from './volume.js';

export function createDetectors(thresholds: DetectorThresholds = resolveThresholds()): Detector[] {
  return [
    createVolumeDetector(thresholds.volume),
    createDenialBurstDetector(thresholds.denialBurst),
    createEnumerationDetector(thresholds.enumeration),
    createRestrictedAttemptsDetector(thresholds.restrictedAttempts),
    createUnusualHoursDetector(thresholds.unusualHours),
    createUncertifiedDocumentsDetector(thresholds.uncertifiedDocuments),
  ];
}

export { DEFAULT_DETECTOR_THRESHOLDS, resolveThresholds } from './thresholds.js';
export type { DetectorName, DetectorThresholds, ThresholdsOf } from './thresholds.js';
export type { AlertCandidate, Detector } from './types.js';
export { EVIDENCE_CAP } from './types.js';
export { DENIAL_BURST } from './denial-burst.js';
export { ENUMERATION } from './enumeration.js';
export { RESTRICTED_ATTEMPTS } from './restricted-attempts.js';
export { UNCERTIFIED_DOCUMENTS } from './uncertified-documents.js';
export { UNUSUAL_HOURS } from './unusual-hours.js';
export { VOLUME } from './volume.js';
