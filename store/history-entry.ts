/**
 * The history entry a register change appends, built the same way by every adapter: the adapter
 * supplies the states before and after (as it stores them) and the revision it assigned.
 */
import { randomUUID } from 'node:crypto';
import type { HistoryEntry } from '../registry/model.js';
import type { RegistryChange } from './port.js';

export function historyEntryFor(change: RegistryChange, entityId: string, before: unknown, after: unknown, revision: number): HistoryEntry {
  return {
    id: randomUUID(),
    entityType: change.entity,
    entityId,
    action: change.note.action,
    actor: change.note.actor,
    reason: change.note.reason,
    ticket: change.note.ticket ?? null,
    effectiveAt: change.note.effectiveAt,
    recordedAt: new Date().toISOString(),
    before,
    after,
    revision,
  };
}
