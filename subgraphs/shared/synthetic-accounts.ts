/**
 * The synthetic integrated client account, derived from the client's lodgments so the two agree:
 * assessments and activity statements post debits or credits, most debts are paid, refunds are
 * paid out, unpaid debts attract interest, and some debts sit in a payment plan. The balance is
 * the sum of the transactions.
 */
import { addDays, daysBetween } from './synthetic-dates.js';
import { PROCESSING_DAYS } from './synthetic-lodgments.js';
import { roundCents, type Random } from './synthetic-random.js';
import type { Account, AccountTransaction, Lodgment, PaymentPlan } from './synthetic-types.js';

type Posting = Omit<AccountTransaction, 'id' | 'balanceAfter'>;

/** General interest charge, as a yearly rate (roughly the 2026 rate). */
const GIC_RATE = 0.11;
const DAYS_TO_PAY = 21;

function postingsFor(l: Lodgment, asAt: string, random: Random): Posting[] {
  if (!l.lodgedDate || l.status !== 'PROCESSED') return [];
  const isReturn = l.incomeTax !== null;
  const amount = isReturn ? l.incomeTax!.result : (l.activityStatement?.netAmount ?? 0);
  if (amount === 0) return [];
  const posted = addDays(l.lodgedDate, isReturn ? PROCESSING_DAYS : 0);
  const out: Posting[] = [
    isReturn
      ? { date: posted, type: 'ASSESSMENT', description: `Income tax assessment ${l.period}`, amount }
      : { date: posted, type: 'ACTIVITY_STATEMENT', description: `Activity statement ${l.period}`, amount },
  ];
  if (amount < 0) {
    // The ATO pays the credit out a few days later (a debit against the credit balance).
    const paid = addDays(posted, random.int(3, 10));
    if (paid <= asAt) out.push({ date: paid, type: 'REFUND', description: `Refund ${l.period}`, amount: -amount });
    return out;
  }
  const dueBy = addDays(posted, DAYS_TO_PAY);
  if (random.chance(0.85)) {
    const paid = addDays(posted, random.int(1, DAYS_TO_PAY));
    if (paid <= asAt) out.push({ date: paid, type: 'PAYMENT', description: `Payment ${l.period}`, amount: -amount });
  } else if (dueBy < asAt) {
    const days = daysBetween(dueBy, asAt);
    const interest = roundCents((amount * GIC_RATE * days) / 365);
    if (interest > 0) out.push({ date: addDays(asAt, -random.int(0, Math.min(days, 27))), type: 'INTEREST', description: `General interest charge ${l.period}`, amount: interest });
  }
  return out;
}

function instalmentOf(total: number, count: number): number {
  return roundCents(Math.max(total / count, 0.01));
}

export function generateAccount(clientId: string, lodgments: readonly Lodgment[], asAt: string, random: Random): Account {
  const postings = [...lodgments].reverse().flatMap((l) => postingsFor(l, asAt, random));
  const owed = roundCents(postings.reduce((s, p) => s + p.amount, 0));
  const paymentPlans: PaymentPlan[] = [];
  const digits = clientId.slice(2);

  if (owed > 1_000 && random.chance(0.35)) {
    const frequency = random.pick(['WEEKLY', 'FORTNIGHTLY', 'MONTHLY'] as const);
    const interval = frequency === 'WEEKLY' ? 7 : frequency === 'FORTNIGHTLY' ? 14 : 30;
    const instalmentsPaid = random.int(0, 3);
    const startDate = addDays(asAt, -interval * instalmentsPaid - random.int(1, interval - 1));
    const instalmentAmount = instalmentOf(owed, random.int(6, 24));
    for (let i = 1; i <= instalmentsPaid; i += 1) {
      postings.push({ date: addDays(startDate, interval * i), type: 'PAYMENT', description: 'Payment plan instalment', amount: -instalmentAmount });
    }
    const defaulted = random.chance(0.1);
    paymentPlans.push({
      id: `P-${digits}-1`,
      status: defaulted ? 'DEFAULTED' : 'ACTIVE',
      startDate,
      frequency,
      instalmentAmount,
      totalAmount: owed,
      remainingAmount: roundCents(Math.max(owed - instalmentAmount * instalmentsPaid, 0)),
    });
  }
  if (random.chance(0.08)) {
    const totalAmount = random.money(500, 40_000);
    const instalmentAmount = instalmentOf(totalAmount, 12);
    paymentPlans.push({ id: `P-${digits}-${paymentPlans.length + 1}`, status: 'COMPLETED', startDate: `${random.int(2021, 2023)}-${String(random.int(1, 12)).padStart(2, '0')}-01`, frequency: 'MONTHLY', instalmentAmount, totalAmount, remainingAmount: 0 });
  }

  // Chronological for ids and running balances; served most recent first.
  postings.sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
  let balance = 0;
  const ascending = postings.map((p, i) => {
    balance = roundCents(balance + p.amount);
    return { id: `T-${digits}-${String(i + 1).padStart(3, '0')}`, ...p, balanceAfter: balance };
  });
  return { clientId, balance, asAt, transactions: ascending.reverse(), paymentPlans };
}
