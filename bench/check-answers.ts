/**
 * Before any load: every variant must give the same data, without errors, for every body of the
 * workload. A benchmark of refusals or partial answers would measure the wrong thing.
 */
import type { Variant } from './load-phase.js';
import type { Workload } from './workloads.js';

async function answer(v: Variant, body: string): Promise<{ status: number; data: unknown; errors: unknown }> {
  const res = await fetch(v.url, { method: 'POST', headers: { 'content-type': 'application/json', ...v.headers, ...v.perRequestHeaders?.() }, body });
  const json = (await res.json()) as { data?: unknown; errors?: unknown };
  return { status: res.status, data: json.data, errors: json.errors };
}

export async function checkAnswers(workload: Workload, variants: Variant[]): Promise<void> {
  for (const body of workload.bodies) {
    let reference: { variant: string; data: string } | null = null;
    for (const v of variants) {
      const a = await answer(v, body);
      if (a.status !== 200 || a.errors) throw new Error(`${workload.name}/${v.name}: HTTP ${a.status}, errors ${JSON.stringify(a.errors)}`);
      const data = JSON.stringify(a.data);
      if (!a.data || data === 'null') throw new Error(`${workload.name}/${v.name}: no data`);
      if (reference && reference.data !== data) throw new Error(`${workload.name}: ${v.name} answers differently from ${reference.variant}:\n${data}\n${reference.data}`);
      reference ??= { variant: v.name, data };
    }
  }
}
