/**
 * The monitor: feeds committed access records to the detectors, turns their candidates into
 * alerts (one per detector and key while the condition persists, closed after a quiet period),
 * opens an incident for every high-risk alert and, when configured, asks for the product to be
 * suspended protectively. `observe` is synchronous and cheap (it runs on the access-log commit
 * path); every store write happens later through the alert writer, and failures are logged,
 * never thrown.
 */
import { newPrefixedId } from '../core/random-id.js';
import type { Alert, Risk } from './incident-model.js';
import { RISKS } from './incident-model.js';
import { incidentFromAlert, linkAlert, newIncidentId as defaultIncidentId } from './incidents.js';
import type { AccessRecord } from '../audit/record.js';
import type { Config } from '../core/config.js';
import { createLogger, type Logger } from '../core/logger.js';
import { isDenial } from '../registry/change-note.js';
import { toIso } from '../registry/instants.js';
import { StoreConflictError } from '../core/store-errors.js';
import type { AlertSink, IncidentRecords } from './ports.js';
import { createAlertWriter } from './alert-writer.js';
import { createDetectors, EVIDENCE_CAP, resolveThresholds, type AlertCandidate, type Detector } from './detectors/index.js';
import { asJudged } from './detectors/record-codes.js';
import { createRateHistory, type RateHistoryOptions, type RateSnapshot } from './rate-history.js';

/** Suspends a product through the normal registry transition (actor "monitoring"). */
export type SuspendProduct = (productId: string, reason: string, evidence: string[]) => Promise<void>;

export interface MonitorOptions {
  store: AlertSink & IncidentRecords;
  config: Pick<Config['monitoring'], 'protectiveSuspension' | 'detectors'>;
  /** Clock (ms). Default Date.now. */
  now?: () => number;
  /** Default: a silent logger. */
  logger?: Logger;
  /** Called once per high-risk alert on a product when `protectiveSuspension` is 'on'. Default: none (then 'on' only logs). */
  suspendProduct?: SuspendProduct;
  /** Detectors to run. Default: every detector, with `config.detectors` applied to the documented defaults. */
  detectors?: Detector[];
  /** An open alert not seen again for this long is closed. Default 300000 (5 min). */
  quietPeriodMs?: number;
  /** Open alerts held at once; candidates for new alerts beyond this are dropped (and counted). Default 1000. */
  maxOpenAlerts?: number;
  /**
   * A high-risk alert on a product joins the monitor's own open incident on that product if it was
   * opened this recently; so does one on a source address join the monitor's own incident for
   * source addresses (at most `maxAlertsPerSourceIncident` alerts each). Default 3600000 (1 h).
   */
  incidentMergeMs?: number;
  /** Alerts on source addresses one incident takes; further ones within incidentMergeMs get none (counted). Default 100. */
  maxAlertsPerSourceIncident?: number;
  /** How often open alerts are checked for closing. Default 5000; 0 disables the timer (call `sweep()`). */
  sweepIntervalMs?: number;
  /** Delay before writing updates of already-written alerts. Default 250 ms. */
  persistDelayMs?: number;
  /** Alert ids. Default `ALR-` + 12 random base32 characters. */
  newAlertId?: () => string;
  /** Incident ids. Default audit/incidents.ts newIncidentId. */
  newIncidentId?: () => string;
  /** Request-rate history for the dashboard. Default: one hour of minutes. */
  rateHistory?: RateHistoryOptions;
}

export interface MonitorStats {
  recordsObserved: number;
  candidates: number;
  alertsRaised: number;
  alertsOpen: number;
  alertsClosed: number;
  /** Candidates for new alerts dropped because maxOpenAlerts were open. */
  alertsDropped: number;
  incidentsOpened: number;
  incidentsLinked: number;
  /** HIGH alerts on source addresses left without an incident: the source incident of the merge window was full. */
  sourceAlertsUnlinked: number;
  suspensionsRequested: number;
  suspensionsLogged: number;
  suspensionFailures: number;
  pendingWrites: number;
  writeFailures: number;
  detectorErrors: number;
  /** Keys each detector tracks now (each bounded by its maxKeys). */
  trackedKeys: Record<string, number>;
}

export interface Monitor {
  /** Feeds committed records to the detectors. Synchronous; never throws. */
  observe(records: readonly AccessRecord[]): void;
  /** Resolves once every queued write, incident and suspension request has run (tests, shutdown). */
  flush(): Promise<void>;
  /** Copies of the alerts open in this instance, newest first. */
  openAlerts(): Alert[];
  /** Request rate per product and refusals by code over the last hour. */
  rates(): RateSnapshot;
  stats(): MonitorStats;
  /** Closes alerts quiet for the quiet period (also run by the timer and from observe). */
  sweep(): void;
  /** Stops the timer and flushes. */
  close(): Promise<void>;
}

interface Tracked {
  alert: Alert;
  developerId: string | null;
  lastSeen: number;
  suspensionHandled: boolean;
  /** After a protective suspension failed: not asked for again before this time (ms). */
  suspensionRetryAt?: number;
}

/** How long after a failed protective suspension it is asked for again, at the earliest (one store read a try), ms. */
const SUSPENSION_RETRY_MS = 5_000;

function defaultAlertId(): string {
  return newPrefixedId('ALR', 12);
}

const rank = (r: Risk) => RISKS.indexOf(r);

/**
 * Whether an alert is keyed on a source address (`ip:…`): anyone can raise those, without a
 * token, one address after another, so they are bounded apart (roomFor, source incidents).
 */
const onSource = (key: string) => key.startsWith('ip:');

/** The monitor's incidentOf key for alerts on source addresses (never a product's: those are `product:<id>`). */
const SOURCES = 'sources';

/**
 * Union of two evidence lists in order, keeping the most recent EVIDENCE_CAP ids. Detectors
 * report their newest ids, so `seen` usually extends `current`: only the ids after current's
 * last one are appended (this runs for every record while a condition persists).
 */
function mergeEvidence(current: string[], seen: string[]): string[] {
  if (seen.length === 0) return current;
  const last = current[current.length - 1];
  let merged: string[];
  const at = last === undefined ? -1 : seen.lastIndexOf(last);
  if (at === seen.length - 1) return current;
  if (at >= 0) merged = current.concat(seen.slice(at + 1));
  else {
    const have = new Set(current);
    merged = current.concat(seen.filter((id) => !have.has(id)));
  }
  return merged.length > EVIDENCE_CAP ? merged.slice(merged.length - EVIDENCE_CAP) : merged;
}

export function createMonitor(options: MonitorOptions): Monitor {
  const now = options.now ?? Date.now;
  const logger = options.logger ?? createLogger({ level: 'silent', name: 'monitoring' });
  const detectors = options.detectors ?? createDetectors(resolveThresholds(options.config.detectors));
  const quietPeriodMs = options.quietPeriodMs ?? 300_000;
  const maxOpenAlerts = options.maxOpenAlerts ?? 1_000;
  /** Open alerts keyed on a source address are held to half the table (roomFor). */
  const sourceAlertCap = Math.max(1, Math.floor(maxOpenAlerts / 2));
  const incidentMergeMs = options.incidentMergeMs ?? 3_600_000;
  const maxAlertsPerSourceIncident = Math.max(1, options.maxAlertsPerSourceIncident ?? 100);
  const newAlertId = options.newAlertId ?? defaultAlertId;
  const newIncidentId = options.newIncidentId ?? defaultIncidentId;
  const mode = options.config.protectiveSuspension;
  const store = options.store;
  const writer = createAlertWriter({ store, logger, ...(options.persistDelayMs !== undefined ? { delayMs: options.persistDelayMs } : {}) });
  const history = createRateHistory(options.rateHistory);

  const open = new Map<string, Tracked>();
  /**
   * The monitor's latest incident per product (`product:<id>`), and for source addresses
   * (SOURCES), for linking further alerts to it; `linked` counts the alerts it holds.
   */
  const incidentOf = new Map<string, { id: string; openedAt: number; linked: number }>();
  const suspensions = new Set<Promise<void>>();
  const counts = {
    recordsObserved: 0,
    candidates: 0,
    alertsRaised: 0,
    alertsClosed: 0,
    alertsDropped: 0,
    incidentsOpened: 0,
    incidentsLinked: 0,
    sourceAlertsUnlinked: 0,
    suspensionsRequested: 0,
    suspensionsLogged: 0,
    suspensionFailures: 0,
    detectorErrors: 0,
  };
  let lastSweep = 0;
  let lastDropWarning = Number.NEGATIVE_INFINITY;
  let lastErrorLog = Number.NEGATIVE_INFINITY;
  let lastUnlinkedWarning = Number.NEGATIVE_INFINITY;

  async function openOrLinkIncident(tracked: Tracked, detectedAt: number): Promise<void> {
    const alert = tracked.alert;
    const productId = alert.productId;
    // Alerts on source addresses (no token needed, one address after another) share one incident
    // per merge window, holding at most maxAlertsPerSourceIncident of them: each opening its own
    // would let anonymous traffic open incidents without bound and bury real ones (review s20b F2).
    const mergeKey = productId ? `product:${productId}` : onSource(alert.key) ? SOURCES : null;
    const recent = mergeKey ? incidentOf.get(mergeKey) : undefined;
    if (recent && detectedAt - recent.openedAt <= incidentMergeMs) {
      if (mergeKey === SOURCES && recent.linked >= maxAlertsPerSourceIncident) {
        counts.sourceAlertsUnlinked++;
        if (detectedAt - lastUnlinkedWarning > 60_000) {
          lastUnlinkedWarning = detectedAt;
          logger.warn({ incidentId: recent.id, alertId: alert.id, maxAlertsPerSourceIncident }, 'monitoring: the incident for source addresses is full; further source alerts get no incident until the merge window ends');
        }
        return;
      }
      for (let attempt = 0; attempt < 3; attempt++) {
        const incident = await store.incidentById(recent.id);
        if (!incident) break;
        const next = linkAlert(incident, { ...alert }, now());
        if (isDenial(next)) break; // resolved meanwhile: this alert gets an incident of its own
        try {
          await store.saveIncident(next, incident.revision);
        } catch (err) {
          if (err instanceof StoreConflictError) continue;
          throw err;
        }
        alert.incidentId = incident.id;
        recent.linked++;
        counts.incidentsLinked++;
        writer.saveAlert(alert, true);
        return;
      }
    }
    const incident = incidentFromAlert({ ...alert }, { id: newIncidentId(), now: detectedAt, developerId: tracked.developerId });
    const saved = await store.saveIncident(incident, null);
    alert.incidentId = saved.id;
    counts.incidentsOpened++;
    if (mergeKey) incidentOf.set(mergeKey, { id: saved.id, openedAt: detectedAt, linked: 1 });
    writer.saveAlert(alert, true);
    logger.warn({ incidentId: saved.id, alertId: alert.id, risk: saved.risk, notifyBy: saved.notifyBy }, 'incident opened from alert');
  }

  function suspendProtectively(tracked: Tracked): void {
    const alert = tracked.alert;
    const productId = alert.productId;
    // Only a condition of the product itself suspends it: an org alert may name the product its
    // clients all came through, for linking, but another product may share that org.
    if (!productId || (alert.key !== `product:${productId}` && !alert.key.startsWith(`product:${productId}:`)) || tracked.suspensionHandled || mode === 'off') return;
    tracked.suspensionHandled = true;
    // One request per alert. Another HIGH alert on the same product asks again: an admin may have
    // reinstated the product since the first, and the protective suspension reads the register
    // and leaves a product suspended until reinstated as it is.
    // The reason is the product's statusReason and history note, which the product's developer
    // staff read too: it names the alert (an opaque id, so an admin finds it and can reverse the
    // suspension), not how it was detected: the detector, its threshold and window, the key and
    // the evidence stay in the alert, for ATO staff (review s17c F2).
    const reason = `Protective suspension by ATO monitoring after ${alert.risk} alert ${alert.id} on this product (ATO staff: the alert and its incident hold the details)`;
    if (mode === 'log' || !options.suspendProduct) {
      counts.suspensionsLogged++;
      logger.warn({ productId, alertId: alert.id, mode }, 'protective suspension (log only): would suspend the product');
      return;
    }
    counts.suspensionsRequested++;
    logger.warn({ productId, alertId: alert.id, detector: alert.detector, key: alert.key }, 'protective suspension: suspending the product');
    const request = options
      .suspendProduct(productId, reason, [...alert.evidence])
      .catch((err: unknown) => {
        // Asked for again when the alert is next seen, SUSPENSION_RETRY_MS on at the earliest (the register may be back by then).
        tracked.suspensionHandled = false;
        tracked.suspensionRetryAt = now() + SUSPENSION_RETRY_MS;
        counts.suspensionFailures++;
        logger.error({ err, productId, alertId: alert.id }, 'protective suspension failed');
      })
      .finally(() => suspensions.delete(request));
    suspensions.add(request);
  }

  function becameHigh(tracked: Tracked, at: number): void {
    writer.run(`incident for ${tracked.alert.id}`, () => (tracked.alert.incidentId ? Promise.resolve() : openOrLinkIncident(tracked, at)));
    suspendProtectively(tracked);
  }

  function accept(c: AlertCandidate, at: number, atIso: string): void {
    counts.candidates++;
    const id = `${c.detector}|${c.key}`;
    const tracked = open.get(id);
    if (tracked) {
      const a = tracked.alert;
      const escalated = rank(c.risk) > rank(a.risk);
      if (escalated) a.risk = c.risk;
      if (c.observed >= a.observed) {
        a.observed = c.observed;
        a.message = c.message;
      }
      a.baseline = c.baseline;
      a.lastSeenAt = atIso;
      a.evidence = mergeEvidence(a.evidence, c.evidence);
      tracked.lastSeen = at;
      // An org alert names a product only while every client came through it (enumeration): it
      // follows the detector's attribution until it has an incident (review s20b F1).
      if (c.productId !== a.productId && !a.incidentId) {
        a.productId = c.productId;
        tracked.developerId = c.developerId;
      } else if (c.developerId && !tracked.developerId) tracked.developerId = c.developerId;
      writer.saveAlert(a, escalated);
      if (escalated && a.risk === 'HIGH') becameHigh(tracked, at);
      // A HIGH alert whose protective suspension failed asks again while the condition persists.
      else if (a.risk === 'HIGH' && !tracked.suspensionHandled && at >= (tracked.suspensionRetryAt ?? 0)) suspendProtectively(tracked);
      return;
    }
    if (!roomFor(c)) {
      counts.alertsDropped++;
      if (at - lastDropWarning > 60_000) {
        lastDropWarning = at;
        logger.warn({ maxOpenAlerts }, 'monitoring: too many open alerts; new ones are dropped');
      }
      return;
    }
    const alert: Alert = {
      id: newAlertId(),
      detector: c.detector,
      risk: c.risk,
      key: c.key,
      productId: c.productId,
      observed: c.observed,
      baseline: c.baseline,
      message: c.message,
      evidence: c.evidence.slice(-EVIDENCE_CAP),
      raisedAt: atIso,
      lastSeenAt: atIso,
      status: 'OPEN',
      incidentId: null,
    };
    const fresh: Tracked = { alert, developerId: c.developerId, lastSeen: at, suspensionHandled: false };
    open.set(id, fresh);
    counts.alertsRaised++;
    logger.warn({ alertId: alert.id, detector: alert.detector, risk: alert.risk, key: alert.key, observed: alert.observed }, 'alert raised');
    writer.saveAlert(alert, true);
    if (alert.risk === 'HIGH') becameHigh(fresh, at);
  }

  /**
   * Whether a new alert for `c` may be opened. Alerts keyed on a source address (they concern no
   * product: anyone can raise them, one address after another) may take at most half the table,
   * so callers without a token cannot fill it and keep a product's alerts out (review s19c F2).
   * When the candidate's part is full, it takes the place of the least recently seen open alert of
   * that part with a lower risk (closed as if quiet); otherwise it is dropped.
   */
  function roomFor(c: AlertCandidate): boolean {
    const sourceOnly = onSource(c.key);
    const full = open.size >= maxOpenAlerts || (sourceOnly && openOnSource() >= sourceAlertCap);
    if (!full) return true;
    let displaced: [string, Tracked] | null = null;
    for (const entry of open) {
      const a = entry[1].alert;
      // A source alert displaces only a source alert of lower risk; a product's alert, any alert of
      // lower risk or a source alert of no higher risk.
      const lower = rank(a.risk) < rank(c.risk);
      const displaceable = sourceOnly ? onSource(a.key) && lower : lower || (onSource(a.key) && rank(a.risk) <= rank(c.risk));
      if (!displaceable) continue;
      if (!displaced || entry[1].lastSeen < displaced[1].lastSeen) displaced = entry;
    }
    if (!displaced) return false;
    close(displaced[0], displaced[1]);
    return true;
  }

  function openOnSource(): number {
    let n = 0;
    for (const t of open.values()) if (onSource(t.alert.key)) n++;
    return n;
  }

  function close(id: string, tracked: Tracked): void {
    open.delete(id);
    tracked.alert.status = 'CLOSED';
    counts.alertsClosed++;
    writer.saveAlert(tracked.alert, false);
  }

  function sweep(): void {
    const t = now();
    lastSweep = t;
    for (const [id, tracked] of open) {
      if (t - tracked.lastSeen < quietPeriodMs) continue;
      close(id, tracked);
    }
    for (const [key, recent] of incidentOf) if (t - recent.openedAt > incidentMergeMs) incidentOf.delete(key);
  }

  const sweepIntervalMs = options.sweepIntervalMs ?? 5_000;
  const timer = sweepIntervalMs > 0 ? setInterval(sweep, sweepIntervalMs) : null;
  timer?.unref();

  return {
    observe(records) {
      const t = now();
      const tIso = toIso(t);
      for (const record of records) {
        counts.recordsObserved++;
        history.observe(record, t);
        // A request refused at the sender constraint is judged as its source's, not the product's (holderProven).
        const judged = asJudged(record);
        for (const detector of detectors) {
          try {
            for (const c of detector.observe(judged, t)) accept(c, t, tIso);
          } catch (err) {
            counts.detectorErrors++;
            if (t - lastErrorLog > 60_000) {
              lastErrorLog = t;
              logger.error({ err, detector: detector.name }, 'detector failed on a record');
            }
          }
        }
      }
      if (t - lastSweep >= 1_000) sweep();
    },
    async flush() {
      do {
        await writer.flush();
        await Promise.all([...suspensions]);
      } while (writer.pending() > 0 && writer.failures() === 0);
    },
    openAlerts() {
      return [...open.values()].map((t) => ({ ...t.alert, evidence: [...t.alert.evidence] })).sort((a, b) => b.raisedAt.localeCompare(a.raisedAt) || a.id.localeCompare(b.id));
    },
    rates: () => history.snapshot(now()),
    stats() {
      const trackedKeys: Record<string, number> = {};
      for (const d of detectors) trackedKeys[d.name] = d.trackedKeys();
      return { ...counts, alertsOpen: open.size, pendingWrites: writer.pending(), writeFailures: writer.failures(), trackedKeys };
    },
    sweep,
    async close() {
      if (timer) clearInterval(timer);
      await Promise.all([...suspensions]);
      await writer.close();
    },
  };
}
