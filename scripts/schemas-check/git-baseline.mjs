// What git HEAD holds under the schemas directory: the published format versions, and the engine's
// records as they were last committed (what running apps may have written).
import { spawnSync } from 'node:child_process';

/**
 * `{ files, read(path) }` with paths relative to `dir` (as `git ls-tree` run there prints them), or
 * `{ unavailable }` saying why there is nothing to compare with.
 */
export function committedSchemas(dir) {
  const git = (...args) => spawnSync('git', ['-C', dir, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const toplevel = git('rev-parse', '--show-toplevel');
  if (toplevel.error) return { unavailable: `git is not available (${toplevel.error.message})` };
  if (toplevel.status !== 0) {
    // Usually "not a git repository"; git says so, or what else stops it (e.g. an unsafe directory).
    return { unavailable: `no git repository to compare ${dir} with (${toplevel.stderr.trim().split('\n')[0]})` };
  }
  if (git('rev-parse', '--verify', '--quiet', 'HEAD^{commit}').status !== 0) {
    return { unavailable: `the git repository at ${toplevel.stdout.trim()} has no commit yet` };
  }
  const listed = git('ls-tree', '-r', '-z', '--name-only', 'HEAD');
  if (listed.status !== 0) throw new Error(`git ls-tree HEAD failed in ${dir}: ${listed.stderr.trim()}`);
  return {
    files: new Set(listed.stdout.split('\0').filter(Boolean)),
    read(path) {
      // `HEAD:./path` is relative to the directory git runs in, like ls-tree's output above.
      const shown = git('show', `HEAD:./${path}`);
      if (shown.status !== 0) throw new Error(`git show HEAD:./${path} failed in ${dir}: ${shown.stderr.trim()}`);
      return shown.stdout;
    },
  };
}
