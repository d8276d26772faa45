/** The arguments every mutation on an existing record shares. */
import type { ChangeRequest } from '../../registry/change-note.js';

export interface ChangeArgs {
  expectedRevision: number;
  reason: string;
  ticket?: string | null;
  effectiveAt?: string | null;
}

export function changeRequestOf(args: Pick<ChangeArgs, 'reason' | 'ticket' | 'effectiveAt'>): ChangeRequest {
  return { reason: args.reason, ticket: args.ticket ?? null, effectiveAt: args.effectiveAt ?? null };
}
