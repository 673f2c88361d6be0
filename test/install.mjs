// Installs the test package (test/package.json: the client SDKs and instrumentations only the
// tests drive, kept out of the proxy's own install) with `npm ci`, when test/node_modules is
// missing or was installed from other manifests. Otherwise it only hashes three files.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('.', import.meta.url));
const stamp = join(dir, 'node_modules', '.tracebridge-manifests');

const hash = createHash('sha256');
for (const file of ['package.json', 'package-lock.json', 'helpers/agents/package.json']) hash.update(readFileSync(join(dir, file)));
const manifests = hash.digest('hex');

if (!existsSync(stamp) || readFileSync(stamp, 'utf8') !== manifests) {
  process.stderr.write('installing the test package (test/package.json)\n');
  // The npm running this script when there is one (npm test), else the one on PATH.
  const npm = process.env.npm_execpath;
  const args = ['ci', '--no-audit', '--no-fund'];
  const options = { cwd: dir, stdio: 'inherit' };
  const r = npm ? spawnSync(process.execPath, [npm, ...args], options) : spawnSync('npm', args, options);
  if (r.status !== 0) {
    process.stderr.write('test package install failed: cd test && npm install, if test/package.json changed without its lock\n');
    process.exit(r.status ?? 1);
  }
  writeFileSync(stamp, manifests);
}
