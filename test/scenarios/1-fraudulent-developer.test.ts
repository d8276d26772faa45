/**
 * Framework scenario 1: a fraudulent developer seeks access. Through real HTTP with real tokens:
 * - a registration with an invalid ABN is rejected (REJECTED, with the reasons);
 * - a token forged with a key the gateway does not trust, claiming a certified product, is
 *   refused UNAUTHENTICATED; an unregistered product is refused PRODUCT_NOT_REGISTERED;
 * - a token stolen from a DPoP-bound product (PRD-ENHANCED: restricted data), used without the
 *   product's private key — as Bearer, without a proof, or with a proof by the thief's own key —
 *   is refused UNAUTHENTICATED (`reason: "dpop"`), while the product itself is served;
 * - a product that got onto the register and then walks through client ids is detected (HIGH
 *   enumeration alert with evidence, an incident due within 24 h) and, with protective
 *   suspension on, suspended: refused PRODUCT_SUSPENDED, the history naming actor "monitoring".
 */
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { signDpopProof } from '../../gateway/auth/dev-dpop.js';
import { ok, registryApi } from '../helpers/registry-api.js';
import { clientDigest } from '../../audit/digest.js';
import { codesOf, startTestSystem, type TestSystem } from '../helpers/system.js';

const DAY = 86_400_000;
const CLIENT_QUERY = 'query ($id: ID!) { client(clientId: $id) { id name tfnMasked } }';
const clientId = (n: number) => `C-${String(n).padStart(6, '0')}`;

describe('scenario 1: a fraudulent developer is kept out, and a product that enumerates taxpayers is detected and suspended', () => {
  let sys: TestSystem;
  let started: number;
  beforeAll(async () => {
    started = Date.now();
    // Protective suspension on; every other setting (thresholds, rate tiers) at its default.
    sys = await startTestSystem({ monitoring: { protectiveSuspension: 'on' } });
  });
  afterAll(async () => {
    await sys.close();
  });

  it('rejects a registration with an invalid ABN, with the reasons', async () => {
    const applicant = await sys.token({ roles: ['dsp:developer'], mfa: true, sub: 'applicant-mallory' });
    const r = await sys.gql(
      `mutation ($input: RegisterDeveloperInput!) {
        registerDeveloper(input: $input) { id status statusReason eligibility { abnValid declarationsAccepted taxObligationsCurrent reasons } }
      }`,
      {
        token: applicant,
        variables: {
          input: {
            // Eleven digits, but the ABN check digits do not add up.
            abn: '12 345 678 901',
            legalName: 'Totally Legit Tax Apps Pty Ltd',
            contact: { name: 'Mallory', email: 'mallory@example.com' },
            roles: ['DEVELOPER'],
            declarationsAccepted: true,
            taxObligationsCurrent: true,
          },
        },
      },
    );
    const developer = ok(r).registerDeveloper;
    expect(developer.status).toBe('REJECTED');
    expect(developer.eligibility).toMatchObject({ abnValid: false, declarationsAccepted: true, taxObligationsCurrent: true });
    expect(developer.eligibility.reasons.length).toBeGreaterThan(0);
    // The rejection is on the register (recorded with its reasons), and the developer cannot add products.
    const stored = await sys.store.developerById(developer.id);
    expect(stored).toMatchObject({ status: 'REJECTED' });
    const api = registryApi(sys);
    const product = await api.admin('mutation ($input: RegisterProductInput!) { registerProduct(input: $input) { id } }', {
      input: { developerId: developer.id, name: 'Harvester', deploymentModel: 'CLOUD', dataHosting: ['AU'], minimumVersion: '1.0.0' },
    });
    expect(product.body.data?.registerProduct ?? null).toBeNull();
    expect(codesOf(product)).toEqual(['ILLEGAL_TRANSITION']);
  });

  it('refuses a forged token claiming a certified product (UNAUTHENTICATED) and a product not on the register (PRODUCT_NOT_REGISTERED)', async () => {
    // Everything looks right, including the kid of the trusted issuer key; only the signature is the forger's.
    const forger = await generateKeyPair('ES256');
    const now = Math.floor(Date.now() / 1000);
    const forged = await new SignJWT({ software_id: 'PRD-CERTIFIED', software_version: '2.1.0', org: '12345679016', scope: 'clients.read' })
      .setProtectedHeader({ alg: 'ES256', kid: sys.keys.issuer.kid })
      .setIssuer(sys.config.auth.issuers[0]!)
      .setAudience(sys.config.auth.audience)
      .setSubject('mallory')
      .setIssuedAt(now)
      .setExpirationTime(now + 300)
      .sign(forger.privateKey);
    const r = await sys.gql(CLIENT_QUERY, { token: forged, variables: { id: 'C-000001' } });
    expect([r.status, codesOf(r)]).toEqual([401, ['UNAUTHENTICATED']]);
    expect(r.body.data ?? null).toBeNull();
    // Logged, and nothing from the untrusted token was believed (no product attributed); what it
    // tried to reach is on record (the client it named, as a digest).
    const denied = await sys.store.queryAccessLogs({ errorCode: 'UNAUTHENTICATED' }, { first: 10 });
    expect(denied.records.length).toBeGreaterThanOrEqual(1);
    expect(denied.records[0]).toMatchObject({ decision: 'DENIED', productId: null, httpStatus: 401, clientDigests: [clientDigest(sys.keys.hmacKey, 'C-000001')] });

    const unregistered = await sys.gql(CLIENT_QUERY, { token: await sys.token({ product: 'PRD-HARVESTER' }), variables: { id: 'C-000001' } });
    expect([unregistered.status, codesOf(unregistered)]).toEqual([403, ['PRODUCT_NOT_REGISTERED']]);
    expect(unregistered.body.data ?? null).toBeNull();
  });

  it('refuses a token stolen from a DPoP-bound product when it is used without the product key', async () => {
    // The real product's request, captured in transit (or its token lifted from a log): token and proof.
    const stolen = await sys.boundToken({ product: 'PRD-ENHANCED', sub: 'practice-user' });
    const body = JSON.stringify({ query: CLIENT_QUERY, variables: { id: 'C-000003' } });
    const captured = await sys.dpopHeaders(stolen);
    const theirs = await sys.post(body, captured);
    expect([theirs.status, theirs.body.errors]).toEqual([200, undefined]);

    // The thief has the token but not the key: as Bearer, as DPoP without a proof, with a proof by
    // the thief's own key, and replaying the captured proof (once used, or for another query).
    const thief = await generateKeyPair('ES256', { extractable: true });
    const thiefKey = { alg: 'ES256', privateKey: thief.privateKey, publicJwk: await exportJWK(thief.publicKey) };
    const attempts = {
      bearer: { authorization: `Bearer ${stolen}` },
      noProof: { authorization: `DPoP ${stolen}` },
      ownKey: { authorization: `DPoP ${stolen}`, dpop: await signDpopProof(thiefKey, { htm: 'POST', htu: sys.gateway.publicUrl, accessToken: stolen }) },
      replay: captured,
    };
    const problems: Record<string, unknown> = {};
    for (const [name, headers] of Object.entries(attempts)) {
      const r = await sys.post(JSON.stringify({ query: CLIENT_QUERY, variables: { id: 'C-000004' } }), headers);
      expect([r.status, codesOf(r), r.body.data ?? null]).toEqual([401, ['UNAUTHENTICATED'], null]);
      problems[name] = r.body.errors![0]!.extensions!['dpop'];
    }
    expect(problems).toEqual({ bearer: 'bound_token_as_bearer', noProof: 'proof_missing', ownKey: 'proof_key_mismatch', replay: 'proof_replayed' });
  });

  it('detects a registered product enumerating clients (HIGH alert, incident due in 24 h) and suspends it: PRODUCT_SUSPENDED, history actor "monitoring"', async () => {
    // The fraudster got a product through registration and certification (e.g. with a stolen identity).
    const api = registryApi(sys);
    const developerId = await api.newApprovedDeveloper(11);
    const productId = await api.newSelfCertifiedProduct(developerId);
    ok(await api.certify(productId, 'STANDARD', ['clients.read']));
    // Its token names the demo practice's ABN: the practice's 50 clients are reachable, the rest are guesses.
    const token = await sys.token({ product: productId, version: '1.0.0', scope: 'clients.read' });

    let suspendedAt = Number.NaN;
    const outcomes: string[] = [];
    for (let n = 1; n <= 300; n++) {
      const r = await sys.gql(CLIENT_QUERY, { token, variables: { id: clientId(n) } });
      const code = codesOf(r)[0] ?? 'SERVED';
      outcomes.push(code);
      if (code === 'PRODUCT_SUSPENDED') {
        suspendedAt = Date.now();
        expect(r.status).toBe(403);
        expect(r.body.data ?? null).toBeNull();
        break;
      }
    }
    // It got some way (its own org's clients, then refusals) before being cut off, well short of 300.
    expect(outcomes.filter((c) => c === 'SERVED').length).toBeGreaterThan(0);
    expect(outcomes).toContain('CLIENT_NOT_AUTHORISED');
    expect(outcomes.at(-1)).toBe('PRODUCT_SUSPENDED');
    expect(outcomes.length).toBeLessThan(300);

    // Detected: a HIGH enumeration alert on the product, with evidence in the access log.
    await sys.gateway.monitor.flush();
    const auditor = await sys.token({ roles: ['ato:auditor'], mfa: true, sub: 'auditor-ann' });
    const seen = ok(
      await sys.gql('query ($p: ID) { alerts(productId: $p) { id detector risk key evidence incidentId } incidents(productId: $p) { id source risk status detectedAt notifyBy alertIds } }', {
        token: auditor,
        variables: { p: productId },
      }),
    );
    const enumeration = (seen.alerts as Array<{ id: string; detector: string; risk: string; key: string; evidence: string[]; incidentId: string | null }>).filter(
      (a) => a.detector === 'enumeration' && a.risk === 'HIGH' && a.key.startsWith(`product:${productId}`),
    );
    expect(enumeration.length).toBeGreaterThan(0);
    const logged = await sys.store.queryAccessLogs({ productId }, { first: 500 });
    const loggedIds = new Set(logged.records.map((r) => r.id));
    for (const alert of enumeration) {
      expect(alert.evidence.length).toBeGreaterThan(0);
      expect(alert.evidence.every((id) => loggedIds.has(id))).toBe(true);
    }
    // One incident for the product, HIGH, due 24 h after detection, linking the alerts.
    const incidents = seen.incidents as Array<{ id: string; source: string; risk: string; status: string; detectedAt: string; notifyBy: string; alertIds: string[] }>;
    expect(incidents).toHaveLength(1);
    const incident = incidents[0]!;
    expect(incident).toMatchObject({ source: 'DETECTOR', risk: 'HIGH', status: 'OPEN' });
    expect(Date.parse(incident.notifyBy) - Date.parse(incident.detectedAt)).toBe(DAY);
    expect(Date.parse(incident.detectedAt)).toBeGreaterThanOrEqual(started);
    for (const alert of enumeration) {
      expect(alert.incidentId).toBe(incident.id);
      expect(incident.alertIds).toContain(alert.id);
    }

    // Suspended within a second of the detection. The incident's detectedAt is when the first
    // alert became HIGH (an alert's raisedAt may be earlier: it can be raised MEDIUM and escalate).
    const detectedAt = Date.parse(incident.detectedAt);
    expect(suspendedAt - detectedAt).toBeGreaterThanOrEqual(0);
    expect(suspendedAt - detectedAt).toBeLessThanOrEqual(1000);

    // Suspended through the registry: an admin sees it, with actor "monitoring" and the reason.
    const admin = await sys.token({ roles: ['ato:admin'], mfa: true, sub: 'admin-alice' });
    const history = ok(await sys.gql('query ($id: ID!) { product(id: $id) { status } productHistory(productId: $id) { actor reason } }', { token: admin, variables: { id: productId } }));
    expect(history.product.status).toBe('SUSPENDED');
    const byMonitoring = (history.productHistory as Array<{ actor: string; reason: string }>).filter((e) => e.actor === 'monitoring');
    expect(byMonitoring).toHaveLength(1);
    expect(enumeration.some((a) => byMonitoring[0]!.reason.includes(a.id))).toBe(true);

    // And it stays refused, whatever it asks for.
    const later = await sys.gql(CLIENT_QUERY, { token, variables: { id: 'C-000001' } });
    expect([later.status, codesOf(later)]).toEqual([403, ['PRODUCT_SUSPENDED']]);
    // Other products are untouched.
    const honest = await sys.gql(CLIENT_QUERY, { token: await sys.token({ product: 'PRD-CERTIFIED' }), variables: { id: 'C-000001' } });
    expect(honest.status).toBe(200);
  });
});
