/**
 * The shape of the synthetic ATO data the three data subgraphs serve. Field names follow the
 * GraphQL schema where they overlap; money is dollars (Float) rounded to cents; dates are ISO.
 */

export type ClientType = 'INDIVIDUAL' | 'COMPANY' | 'TRUST' | 'PARTNERSHIP';
export type AustralianState = 'ACT' | 'NSW' | 'NT' | 'QLD' | 'SA' | 'TAS' | 'VIC' | 'WA';
export type SpecialInterestCategory = 'PUBLIC_FIGURE' | 'PROTECTED_IDENTITY' | 'ATO_STAFF' | 'LAW_ENFORCEMENT';

export interface Address {
  line1: string;
  suburb: string;
  state: AustralianState;
  postcode: string;
}

export interface SpecialInterest {
  category: SpecialInterestCategory;
  caseOfficer: string;
  since: string;
}

export interface SyntheticClient {
  /** `C-` + six digits. */
  id: string;
  name: string;
  type: ClientType;
  abn: string | null;
  gstRegistered: boolean;
  /**
   * The full TFN. Non-enumerable on generated records, so spreading, JSON.stringify or a log
   * call never carries it; read it explicitly and serve only `maskTfn(tfn)`.
   */
  readonly tfn: string;
  address: Address;
  restricted: boolean;
  specialInterest: SpecialInterest | null;
}

export type FormType = 'INDIVIDUAL_TAX_RETURN' | 'COMPANY_TAX_RETURN' | 'TRUST_TAX_RETURN' | 'PARTNERSHIP_TAX_RETURN' | 'ACTIVITY_STATEMENT';
export type LodgmentStatus = 'DUE' | 'OVERDUE' | 'LODGED' | 'PROCESSED';

export interface IncomeTaxAmounts {
  taxableIncome: number;
  taxPayable: number;
  credits: number;
  /** taxPayable − credits: positive owed, negative refund. */
  result: number;
}

export interface ActivityStatementAmounts {
  totalSales: number;
  gstOnSales: number;
  gstOnPurchases: number;
  paygWithheld: number;
  paygInstalment: number;
  /** 1A − 1B + W2 + 5A. */
  netAmount: number;
}

export interface Lodgment {
  id: string;
  clientId: string;
  formType: FormType;
  period: string;
  status: LodgmentStatus;
  dueDate: string;
  lodgedDate: string | null;
  incomeTax: IncomeTaxAmounts | null;
  activityStatement: ActivityStatementAmounts | null;
}

export type TransactionType = 'ASSESSMENT' | 'ACTIVITY_STATEMENT' | 'PAYMENT' | 'REFUND' | 'INTEREST' | 'CREDIT_TRANSFER';

export interface AccountTransaction {
  id: string;
  date: string;
  type: TransactionType;
  description: string;
  /** Positive debit (owed to the ATO), negative credit. */
  amount: number;
  balanceAfter: number;
}

export interface PaymentPlan {
  id: string;
  status: 'ACTIVE' | 'COMPLETED' | 'DEFAULTED';
  startDate: string;
  frequency: 'WEEKLY' | 'FORTNIGHTLY' | 'MONTHLY';
  instalmentAmount: number;
  totalAmount: number;
  remainingAmount: number;
}

export interface Account {
  clientId: string;
  /** Sum of the transactions: positive owed to the ATO, negative a credit. */
  balance: number;
  asAt: string;
  /** Most recent first. */
  transactions: readonly AccountTransaction[];
  paymentPlans: readonly PaymentPlan[];
}

export interface SyntheticData {
  seed: number;
  /** The date the data describes (statuses and balances are "as at" it). */
  asAt: string;
  clients: readonly SyntheticClient[];
  clientById: ReadonlyMap<string, SyntheticClient>;
  /** Most recent first (by due date). */
  lodgmentsByClient: ReadonlyMap<string, readonly Lodgment[]>;
  accountByClient: ReadonlyMap<string, Account>;
}
