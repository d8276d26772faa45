/**
 * `registerProduct`: a new product of an ACTIVE developer, in status REGISTERED. A developer that
 * is pending, suspended, rejected or deregistered cannot add products (ILLEGAL_TRANSITION naming
 * the developer's state), so a suspension cannot be sidestepped with a fresh product.
 */
import semver from 'semver';
import { denial } from '../core/errors.js';
import { isDenial, noteFor, type Outcome } from './change-note.js';
import { toIso } from './instants.js';
import { DEPLOYMENT_MODELS, type DeploymentModel, type Developer, type Product } from './model.js';
import { cleanText, TEXT_RULES } from './text.js';

export interface ProductApplication {
  developerId: string;
  name: string;
  deploymentModel: DeploymentModel;
  /** ISO 3166-1 alpha-2 country codes (case-insensitive on input, stored uppercase). */
  dataHosting: string[];
  minimumVersion: string;
}

export interface ProductRegistrationContext {
  /** The new product's id (see registry/ids.ts). */
  id: string;
  actor: string;
  now: number;
  /** Rate tier name from configuration; default "standard". */
  rateTier?: string;
  /** Recorded in history; default "Product registration". */
  reason?: string | null;
  ticket?: string | null;
}

export function registerProduct(app: ProductApplication, developer: Developer, ctx: ProductRegistrationContext): Outcome<Product> {
  if (developer.id !== app.developerId) return denial('BAD_USER_INPUT', 'The developer does not match the application.', { field: 'developerId' });
  if (developer.status !== 'ACTIVE') {
    return denial('ILLEGAL_TRANSITION', `A developer in state ${developer.status} cannot register products.`, { entityType: 'DEVELOPER', currentState: developer.status, action: 'registerProduct' });
  }
  const name = cleanText(app.name, TEXT_RULES.name, 'name');
  if (isDenial(name)) return name;
  if (!name) return denial('BAD_USER_INPUT', `The product name is required (up to ${TEXT_RULES.name.max} characters).`, { field: 'name' });
  if (!(DEPLOYMENT_MODELS as readonly string[]).includes(app.deploymentModel)) return denial('BAD_USER_INPUT', 'Unknown deployment model.', { field: 'deploymentModel' });
  const codes: string[] = [];
  for (const c of app.dataHosting ?? []) {
    const code = cleanText(c, TEXT_RULES.code, 'dataHosting');
    if (isDenial(code)) return code;
    codes.push(code.toUpperCase());
  }
  const hosting = [...new Set(codes)];
  if (hosting.length === 0 || hosting.some((c) => !/^[A-Z]{2}$/.test(c))) {
    return denial('BAD_USER_INPUT', 'Data hosting needs at least one ISO 3166-1 alpha-2 country code.', { field: 'dataHosting' });
  }
  const version = cleanText(app.minimumVersion, TEXT_RULES.code, 'minimumVersion');
  if (isDenial(version)) return version;
  const minimumVersion = semver.valid(version);
  if (!minimumVersion) return denial('BAD_USER_INPUT', 'minimumVersion must be a semantic version (e.g. 2.1.0).', { field: 'minimumVersion' });
  const note = noteFor('registerProduct', ctx.actor, { reason: ctx.reason?.trim() || 'Product registration', ticket: ctx.ticket ?? null }, ctx.now);
  if (isDenial(note)) return note;
  const next: Product = {
    id: ctx.id,
    developerId: developer.id,
    name,
    deploymentModel: app.deploymentModel,
    dataHosting: hosting,
    minimumVersion,
    status: 'REGISTERED',
    statusReason: null,
    selfCertification: null,
    certification: null,
    services: [],
    suspension: null,
    rateTier: ctx.rateTier ?? 'standard',
    registeredAt: toIso(ctx.now),
    revision: 0,
  };
  return { next, note };
}
