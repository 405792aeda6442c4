import { execFile } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Builds dist/ unless it is newer than every file it is built from (.ci/run builds it before the tests). */
export async function ensureBuilt(): Promise<void> {
  const sources = readdirSync(join(ROOT, 'src'), { recursive: true, encoding: 'utf8' }).map((file) =>
    join('src', file),
  );
  const inputs = [...sources, 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json'];
  const newestSource = Math.max(...inputs.map((file) => statSync(join(ROOT, file)).mtimeMs));
  const built = Math.min(
    ...['dist/main.js', 'dist/doctor/cli.js'].map(
      (file) => statSync(join(ROOT, file), { throwIfNoEntry: false })?.mtimeMs ?? 0,
    ),
  );
  if (built > newestSource) return;
  await promisify(execFile)('npm', ['run', 'build', '--silent'], { cwd: ROOT }).catch(
    (error: { stdout?: string; stderr?: string }) => {
      throw new Error(`npm run build failed:\n${error.stdout ?? ''}${error.stderr ?? ''}`);
    },
  );
}
