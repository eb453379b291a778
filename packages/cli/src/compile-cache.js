// @ts-check
import { lstatSync, mkdirSync } from 'node:fs'
import { homedir } from 'node:os'
import { join, relative, sep } from 'node:path'

/*
 * Node's on-disk compile cache (module.enableCompileCache) keeps V8's compiled code and the
 * type-stripped sources of the CLI's modules: `pocnet --help` starts in about half the CPU time,
 * and so do the ledger verifier's worker threads, which inherit it through NODE_COMPILE_CACHE.
 * The cache holds code the process will run, so it lives only in a directory this user owns and
 * no one else can write — never Node's default under the shared os.tmpdir(), where another local
 * user could plant entries.
 *
 * Plain JavaScript (type-checked through JSDoc), like bin.js: it runs before the cache is enabled,
 * and a TypeScript file here would make Node load its type stripper on every start (issue 20).
 */

/**
 * The directory to keep pocnet's compile cache in, created private (0700) if missing, or
 * undefined when there is nothing to enable: Node already enabled one (NODE_COMPILE_CACHE), it
 * is turned off (NODE_DISABLE_COMPILE_CACHE), it would fall inside the node's data directory
 * (POCNET_HOME, which backups copy whole), or the directory is not safe or cannot be made — the
 * CLI then runs without it, only slower to start.
 * @param {NodeJS.ProcessEnv} [env]
 * @returns {string | undefined}
 */
export function privateCompileCacheDir(env = process.env) {
  if (env.NODE_COMPILE_CACHE || env.NODE_DISABLE_COMPILE_CACHE) return undefined
  const dir = join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'pocnet', 'compile-cache')
  if (env.POCNET_HOME && isInside(dir, env.POCNET_HOME)) return undefined
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 })
    // lstat: a symbolic link here could point anywhere
    const stats = lstatSync(dir)
    if (!stats.isDirectory()) return undefined
    if (stats.uid !== process.getuid?.()) return undefined
    if ((stats.mode & 0o022) !== 0) return undefined
  } catch {
    return undefined
  }
  return dir
}

/**
 * @param {string} path
 * @param {string} dir
 */
function isInside(path, dir) {
  const rel = relative(dir, path)
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !rel.startsWith(sep))
}
