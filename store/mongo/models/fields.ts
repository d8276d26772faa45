/**
 * Field helpers for the mongoose schemas. Mongoose's own `required: true` treats `''` as missing
 * for strings and `null` as missing for everything, but the domain types have fields that may be
 * empty strings (a reason, an evidence note) and fields that must be present yet may be null
 * (`statusReason: string | null`). So "required" here means "the key is present" (and not null,
 * unless the field is nullable), expressed with mongoose's function form of `required`, which
 * only runs mongoose's emptiness check when our function says the value is missing.
 */
import mongoose from 'mongoose';
import type { SchemaDefinition, SchemaOptions } from 'mongoose';

export interface FieldSpec {
  /** A mongoose type (String, Number, Boolean, Date, a sub-schema, `[String]`, Mixed…). */
  type: unknown;
  /** Present but may be null (`T | null` in the domain type). Default false. */
  nullable?: boolean;
  /** May be absent (`field?:` in the domain type). Default false. */
  optional?: boolean;
  /** Allowed values (from the domain constants). */
  enum?: readonly string[];
  /** Lower bound for numbers. */
  min?: number;
}

type Getter = { get(path: string): unknown };

/** Turns `{ name: FieldSpec }` into a mongoose schema definition with our presence semantics. */
export function defineFields(spec: Record<string, FieldSpec>): SchemaDefinition {
  const definition: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(spec)) {
    const path: Record<string, unknown> = { type: field.type };
    if (field.enum) path.enum = [...field.enum];
    if (field.min !== undefined) path.min = field.min;
    // Mongoose gives every array path a default of []; without it an absent array is caught by
    // the presence check and a stored document reads back exactly as it was given.
    if (Array.isArray(field.type)) path.default = undefined;
    if (!field.optional) {
      const nullable = field.nullable === true;
      path.required = function presence(this: Getter): boolean {
        const value = this.get(name);
        return value === undefined || (!nullable && value === null);
      };
    }
    definition[name] = path;
  }
  return definition as SchemaDefinition;
}

/**
 * Options every schema here shares:
 * - `strict: false`: the SQLite adapter stores each entity whole, so a field added to a domain
 *   type later must survive a round trip here too (declared fields are still cast and validated).
 *   For access records this matters most: the chain hash covers every field the writer sent.
 * - `minimize: false`: an empty object is stored as given, not dropped (both adapters return the same).
 * - `versionKey: false`: our own `revision` is the concurrency token.
 * - `autoIndex` / `autoCreate` false: init() creates collections and indexes explicitly and
 *   awaits them, so startup fails loudly instead of racing the first write.
 */
export const COMMON_OPTIONS = { strict: false, minimize: false, versionKey: false, autoIndex: false, autoCreate: false } as const satisfies SchemaOptions;

/** A nested object as a sub-schema without its own `_id` (the domain objects have none). */
export function subSchema(spec: Record<string, FieldSpec>): mongoose.Schema {
  return new mongoose.Schema(defineFields(spec), { ...COMMON_OPTIONS, _id: false });
}

/** Builds a top-level schema with the shared options. */
export function topSchema(spec: Record<string, FieldSpec>, options: SchemaOptions = {}): mongoose.Schema {
  return new mongoose.Schema(defineFields(spec), { ...COMMON_OPTIONS, ...options });
}
