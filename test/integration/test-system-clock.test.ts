/**
 * The test system's tokens are issued on the system's clock. A file that injects a clock moves it
 * only when it means to, while real time runs on: with tokens issued on the real clock, a file
 * that ran longer than the token clock tolerance (30 s; monitoring.test.ts under a slowed event
 * loop took 72 s) had its later tokens refused as issued in the future ("The token lifetime
 * exceeds the maximum."). Here the system's clock stands two minutes behind the real one.
 */
import { decodeJwt } from 'jose';
import { startTestSystem, type TestSystem } from '../helpers/system.js';

const CLIENT_QUERY = 'query ($id: ID!) { client(clientId: $id) { id name } }';

describe('the test system clock', () => {
  let sys: TestSystem;
  const clock = { now: Date.now() - 120_000 };
  beforeAll(async () => {
    sys = await startTestSystem({}, { now: () => clock.now });
  });
  afterAll(async () => {
    await sys.close();
  });

  it('issues tokens at its own time, which the gateway on that clock accepts', async () => {
    const token = await sys.token({ product: 'PRD-CERTIFIED' });
    expect(decodeJwt(token).iat).toBe(Math.floor(clock.now / 1000));
    const answer = await sys.gql(CLIENT_QUERY, { token, variables: { id: 'C-000001' } });
    expect(answer.body.errors).toBeUndefined();
    expect(answer.body.data).toMatchObject({ client: { id: 'C-000001' } });
  });

  it('so does the token gql signs when none is given, and a bound token', async () => {
    const answer = await sys.gql('{ serviceStatus { name } }');
    expect(answer.body.errors).toBeUndefined();
    const bound = await sys.boundToken({ product: 'PRD-ENHANCED' });
    expect(decodeJwt(bound).iat).toBe(Math.floor(clock.now / 1000));
  });
});
