#!/usr/bin/env node
/** The `pocnet` command. Node ≥ 22.18 runs this TypeScript file directly. */
import { main } from './program.ts'

// `pocnet ... | head` closes the pipe early: that is not an error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0)
  throw e
})

process.exitCode = await main(process.argv)
