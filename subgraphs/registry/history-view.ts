/** A stored history entry as the GraphQL `RegistryHistoryEntry` shows it. */
import type { HistoryEntry } from '../../registry/model.js';

export interface HistoryView {
  id: string;
  entityType: HistoryEntry['entityType'];
  entityId: string;
  action: string;
  actor: string;
  reason: string;
  ticket: string | null;
  effectiveAt: string;
  recordedAt: string;
  revision: number;
  fromStatus: string | null;
  toStatus: string | null;
  beforeJson: string | null;
  afterJson: string;
}

/** Developers and products have a status; an authorisation's is ACTIVE or REVOKED (expiry is computed, not a change). */
function statusOf(state: unknown): string | null {
  if (!state || typeof state !== 'object') return null;
  const s = state as { status?: unknown; revoked?: unknown };
  if (typeof s.status === 'string') return s.status;
  if (typeof s.revoked === 'boolean') return s.revoked ? 'REVOKED' : 'ACTIVE';
  return null;
}

export function historyView(entry: HistoryEntry): HistoryView {
  return {
    id: entry.id,
    entityType: entry.entityType,
    entityId: entry.entityId,
    action: entry.action,
    actor: entry.actor,
    reason: entry.reason,
    ticket: entry.ticket,
    effectiveAt: entry.effectiveAt,
    recordedAt: entry.recordedAt,
    revision: entry.revision,
    fromStatus: statusOf(entry.before),
    toStatus: statusOf(entry.after),
    beforeJson: entry.before == null ? null : JSON.stringify(entry.before),
    afterJson: JSON.stringify(entry.after),
  };
}
