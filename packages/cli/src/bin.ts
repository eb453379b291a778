#!/usr/bin/env node
/** The `pocnet` command. Node ≥ 22.18 runs this TypeScript file directly. */
import { enableCompileCache } from 'node:module'
import { privateCompileCacheDir } from './compile-cache.ts'

// Enabled before the rest of the CLI is imported, so that its modules come from the cache; set in
// the environment too, for the worker threads and processes the CLI starts.
const compileCache = privateCompileCacheDir()
if (compileCache !== undefined) {
  process.env.NODE_COMPILE_CACHE = compileCache
  enableCompileCache(compileCache)
}

// `pocnet ... | head` closes the pipe early: that is not an error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0)
  throw e
})

const { main } = await import('./program.ts')
process.exitCode = await main(process.argv)
