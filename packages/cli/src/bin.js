#!/usr/bin/env node
// @ts-check
/**
 * The `pocnet` command. Plain JavaScript so that Node starts it without its TypeScript stripper:
 * the rest of the CLI is TypeScript that Node ≥ 22.18 runs directly, and once the compile cache
 * below holds it, no run loads the stripper at all (about a fifth of a short command's CPU).
 */
import { enableCompileCache } from 'node:module'
import { privateCompileCacheDir } from './compile-cache.js'

// Enabled before the rest of the CLI is imported, so that its modules come from the cache; set in
// the environment too, for the worker threads and processes the CLI starts.
const compileCache = privateCompileCacheDir()
if (compileCache !== undefined) {
  process.env.NODE_COMPILE_CACHE = compileCache
  enableCompileCache(compileCache)
}

// `pocnet ... | head` closes the pipe early: that is not an error.
process.stdout.on('error', (/** @type {NodeJS.ErrnoException} */ e) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0)
  throw e
})

const { main } = await import('./program.ts')
process.exitCode = await main(process.argv)
