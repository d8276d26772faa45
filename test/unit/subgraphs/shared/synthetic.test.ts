import { createHash } from 'node:crypto';
import { isValidAbn, isValidTfn } from '../../../../core/ids.js';
import { generateSyntheticData, syntheticData } from '../../../../subgraphs/shared/synthetic.js';
import { DEMO_COMPANY_ABN, DEMO_PRACTITIONER_ABN } from '../../../../subgraphs/shared/synthetic-clients.js';
import type { SyntheticData } from '../../../../subgraphs/shared/synthetic-types.js';

/** Everything, including the non-enumerable TFNs, in one comparable value. */
function snapshot(d: SyntheticData) {
  return { clients: d.clients.map((c) => ({ ...c, tfn: c.tfn })), lodgments: [...d.lodgmentsByClient], accounts: [...d.accountByClient] };
}

/** A digest of the snapshot: comparing 30,000 records with toEqual takes seconds, a hash a few ms. */
function digest(d: SyntheticData): string {
  return createHash('sha256').update(JSON.stringify(snapshot(d))).digest('hex');
}

describe('generateSyntheticData', () => {
  const data = syntheticData();

  it('gives the same data for the same seed', () => {
    expect(digest(generateSyntheticData())).toBe(digest(data));
  });

  it('gives different data for a different seed', () => {
    const other = generateSyntheticData(7, 50);
    expect(other.clients.map((c) => c.tfn)).not.toEqual(data.clients.slice(0, 50).map((c) => c.tfn));
  });

  it('gives a client the same record whatever the count', () => {
    const small = generateSyntheticData(undefined, 120);
    expect(snapshot(small).clients).toEqual(snapshot(data).clients.slice(0, 120));
  });

  it('has at least 2000 clients with ids C-000001 upwards', () => {
    expect(data.clients.length).toBeGreaterThanOrEqual(2000);
    expect(data.clients[0]!.id).toBe('C-000001');
    expect(data.clients.every((c, i) => c.id === `C-${String(i + 1).padStart(6, '0')}`)).toBe(true);
  });

  it('gives every client a valid, unique TFN', () => {
    const tfns = data.clients.map((c) => c.tfn);
    expect(tfns.every(isValidTfn)).toBe(true);
    expect(new Set(tfns).size).toBe(tfns.length);
  });

  it('gives every business a valid, unique ABN and keeps the demo org ABNs for their owners', () => {
    const withAbn = data.clients.filter((c) => c.abn !== null);
    expect(data.clients.filter((c) => c.type !== 'INDIVIDUAL').every((c) => c.abn !== null)).toBe(true);
    expect(withAbn.every((c) => isValidAbn(c.abn!))).toBe(true);
    expect(new Set(withAbn.map((c) => c.abn)).size).toBe(withAbn.length);
    expect(withAbn.filter((c) => c.abn === DEMO_COMPANY_ABN).map((c) => c.id)).toEqual(['C-000100']);
    expect(withAbn.some((c) => c.abn === DEMO_PRACTITIONER_ABN)).toBe(false);
  });

  it('has all four client types', () => {
    expect(new Set(data.clients.map((c) => c.type))).toEqual(new Set(['INDIVIDUAL', 'COMPANY', 'TRUST', 'PARTNERSHIP']));
  });

  it('flags between 1% and 10% of clients restricted, each with special interest details', () => {
    const restricted = data.clients.filter((c) => c.restricted);
    expect(restricted.length / data.clients.length).toBeGreaterThanOrEqual(0.01);
    expect(restricted.length / data.clients.length).toBeLessThanOrEqual(0.1);
    expect(restricted.every((c) => c.specialInterest !== null)).toBe(true);
    expect(data.clients.filter((c) => !c.restricted).every((c) => c.specialInterest === null)).toBe(true);
  });

  it('holds the demo clients of DESIGN.md §9', () => {
    const byId = data.clientById;
    expect(byId.get('C-000003')!.restricted).toBe(true);
    for (const n of [1, 2, 4, 5, 6, 7, 8, 9, 10]) expect(byId.get(`C-${String(n).padStart(6, '0')}`)!.restricted).toBe(false);
    expect(byId.get('C-000100')).toMatchObject({ type: 'COMPANY', abn: '98765432122', restricted: false });
  });

  it('never exposes the full TFN when a record is serialised', () => {
    const client = data.clientById.get('C-000001')!;
    expect(JSON.stringify(client)).not.toContain(client.tfn);
    expect(Object.keys(client)).not.toContain('tfn');
  });

  it('gives every client several lodgments, returns and (GST-registered) activity statements', () => {
    const wrong = data.clients.filter((c) => {
      const lodgments = data.lodgmentsByClient.get(c.id)!;
      return lodgments.length < 3 || lodgments.some((l) => l.formType === 'ACTIVITY_STATEMENT') !== c.gstRegistered;
    });
    expect(wrong.map((c) => c.id)).toEqual([]);
  });

  it('keeps lodgment amounts consistent: set only once lodged, GST at most one eleventh of sales', () => {
    const wrong = [...data.lodgmentsByClient.values()].flat().filter((l) => {
      const as = l.activityStatement;
      return (
        (l.lodgedDate === null) !== (l.status === 'DUE' || l.status === 'OVERDUE') ||
        ((l.incomeTax ?? as) !== null) !== (l.lodgedDate !== null) ||
        (as !== null && as.gstOnSales > as.totalSales / 11 + 0.01) ||
        (as !== null && Math.abs(as.netAmount - (as.gstOnSales - as.gstOnPurchases + as.paygWithheld + as.paygInstalment)) > 0.005)
      );
    });
    expect(wrong.map((l) => l.id)).toEqual([]);
  });

  it('makes each account balance the sum of its transactions, with running balances', () => {
    const accounts = [...data.accountByClient.values()];
    const wrong = accounts.filter((a) => {
      const sum = a.transactions.reduce((s, t) => s + t.amount, 0);
      return Math.abs(a.balance - sum) > 0.005 || (a.transactions.length > 0 && Math.abs(a.transactions[0]!.balanceAfter - a.balance) > 0.005);
    });
    expect(wrong.map((a) => a.clientId)).toEqual([]);
    expect(accounts.filter((a) => a.transactions.length > 0).length / accounts.length).toBeGreaterThan(0.95);
  });

  it('has some payment plans', () => {
    const plans = [...data.accountByClient.values()].flatMap((a) => a.paymentPlans);
    expect(plans.some((p) => p.status === 'ACTIVE')).toBe(true);
    expect(plans.every((p) => p.remainingAmount >= 0 && p.remainingAmount <= p.totalAmount)).toBe(true);
  });

  it('is frozen, so one subgraph cannot change what another serves', () => {
    const client = data.clientById.get('C-000001')!;
    expect(Object.isFrozen(client)).toBe(true);
    expect(Object.isFrozen(data.lodgmentsByClient.get('C-000001'))).toBe(true);
  });

  it('shares one instance per process', () => {
    expect(syntheticData()).toBe(data);
  });
});
