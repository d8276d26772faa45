/**
 * Australian identifiers: TFN and ABN check digits (the ATO's published algorithms), generators
 * that always produce valid ones, TFN masking, and our client id format. Pure functions, no I/O.
 */

const TFN_WEIGHTS = [1, 4, 3, 7, 5, 8, 6, 9, 10] as const;
const ABN_WEIGHTS = [10, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19] as const;

/** Digits of `s` once the usual grouping spaces are removed, or null when anything else is in it. */
function digitsOf(s: string, length: number): number[] | null {
  if (typeof s !== 'string') return null;
  const compact = s.replace(/ /g, '');
  if (compact.length !== length || !/^\d+$/.test(compact)) return null;
  return [...compact].map(Number);
}

function weightedSum(digits: readonly number[], weights: readonly number[]): number {
  return digits.reduce((sum, d, i) => sum + d * weights[i]!, 0);
}

/**
 * A 9-digit tax file number (spaces allowed, e.g. `123 456 782`) whose weighted digit sum
 * (weights 1,4,3,7,5,8,6,9,10) is divisible by 11. Older 8-digit TFNs are not accepted: the
 * synthetic data never produces them and accepting fewer shapes leaves less to get wrong.
 */
export function isValidTfn(s: string): boolean {
  const digits = digitsOf(s, 9);
  return digits !== null && weightedSum(digits, TFN_WEIGHTS) % 11 === 0;
}

/**
 * An 11-digit Australian business number (spaces allowed): subtract 1 from the first digit,
 * weight the digits 10,1,3,5,7,9,11,13,15,17,19, and the sum is divisible by 89.
 */
export function isValidAbn(s: string): boolean {
  const digits = digitsOf(s, 11);
  if (digits === null || digits[0] === 0) return false;
  digits[0] = digits[0]! - 1;
  return weightedSum(digits, ABN_WEIGHTS) % 89 === 0;
}

/**
 * A valid TFN derived from `n` (any non-negative integer): the first eight digits come from
 * `n` (kept in 10000000–99999999, so no leading zero), the ninth is the check digit. About one
 * base in eleven has no check digit that works; the next base is used then, so different `n`
 * can give the same TFN (callers needing uniqueness keep a set).
 */
export function tfnFromNumber(n: number): string {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError('tfnFromNumber needs a non-negative safe integer');
  let base = 10_000_000 + (n % 90_000_000);
  for (;;) {
    const digits = [...String(base)].map(Number);
    // 10·d ≡ −sum (mod 11) and 10 ≡ −1 (mod 11), so the check digit d ≡ sum (mod 11).
    const check = weightedSum(digits, TFN_WEIGHTS) % 11;
    if (check <= 9) return `${base}${check}`;
    base = base >= 99_999_999 ? 10_000_000 : base + 1;
  }
}

/**
 * A valid ABN derived from `n`: the last nine digits are `n` modulo 10⁹ (zero-padded), the first
 * two are the unique pair in 10–98 that makes the check work. Distinct `n` below 10⁹ give
 * distinct ABNs.
 */
export function abnFromNumber(n: number): string {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError('abnFromNumber needs a non-negative safe integer');
  const tail = String(n % 1_000_000_000).padStart(9, '0');
  const tailSum = weightedSum([...tail].map(Number), ABN_WEIGHTS.slice(2));
  // Need 10·(a−1) + b + tailSum ≡ 0 (mod 89); x = 10·(a−1) + b spans 0–89, so x below 89 is unique.
  const x = (89 - (tailSum % 89)) % 89;
  return `${Math.floor(x / 10) + 1}${x % 10}${tail}`;
}

/** A valid TFN drawn from a PRNG returning floats in [0, 1) (e.g. mulberry32), never Math.random in data generation. */
export function randomTfn(random: () => number): string {
  return tfnFromNumber(Math.floor(random() * 90_000_000));
}

/** A valid ABN drawn from a PRNG returning floats in [0, 1). */
export function randomAbn(random: () => number): string {
  return abnFromNumber(Math.floor(random() * 1_000_000_000));
}

/**
 * The only form of a TFN that leaves a subgraph: `*** *** 123` (last three digits). Anything
 * that is not a 9-digit TFN masks to all stars, so a malformed value never leaks either.
 */
export function maskTfn(tfn: string): string {
  const compact = typeof tfn === 'string' ? tfn.replace(/ /g, '') : '';
  return /^\d{9}$/.test(compact) ? `*** *** ${compact.slice(6)}` : '*** *** ***';
}

/** Our client ids: `C-` followed by six digits (DESIGN.md §9). */
export function isClientId(s: unknown): s is string {
  return typeof s === 'string' && /^C-\d{6}$/.test(s);
}

/** `C-000042` for 42 (1–999999). */
export function clientIdOf(n: number): string {
  if (!Number.isInteger(n) || n < 1 || n > 999_999) throw new RangeError('client numbers run from 1 to 999999');
  return `C-${String(n).padStart(6, '0')}`;
}
