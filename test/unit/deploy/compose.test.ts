/** docker-compose.yml is valid wherever a compose CLI exists (`docker compose` or `docker-compose`). */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const candidates: string[][] = [['docker', 'compose'], ['docker-compose']];
const cli = candidates.find(([cmd, ...args]) => spawnSync(cmd!, [...args, 'version'], { stdio: 'ignore' }).status === 0);

(cli ? describe : describe.skip)(`docker-compose.yml${cli ? '' : ' (skipped: no docker compose CLI on this machine)'}`, () => {
  it('passes `compose config`', () => {
    const [cmd, ...args] = cli!;
    const result = spawnSync(cmd!, [...args, '-f', 'docker-compose.yml', 'config', '-q'], { cwd: root, encoding: 'utf8' });
    expect([result.status, result.stderr.trim()]).toEqual([0, '']);
  });
});
