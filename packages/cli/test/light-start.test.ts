import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EXAMPLES } from '../../cases/test/fixtures/examples.ts'

/*
 * `pocnet request send` (and the other commands that only call the daemon) start fast because
 * they load neither libp2p nor @pocnet/crypto (issue 20): only their own command module and the
 * light control client. This
 * runs the CLI in a child process that records every module it resolves, so a new import that
 * brings them back fails here rather than slowing every send unnoticed. No timing is asserted.
 */

const PROGRAM_URL = new URL('../src/program.ts', import.meta.url).href
const BIN = fileURLToPath(new URL('../src/bin.js', import.meta.url))

/** Runs `main(argv)` in a fresh Node process; returns its exit code, stderr and every module URL resolved. */
function runRecordingModules(args: string[]): { code: number; stderr: string; loaded: string[] } {
  const out = join(dir, 'loaded.json')
  const script = `
    import { registerHooks } from 'node:module'
    import { writeFileSync } from 'node:fs'
    const loaded = new Set()
    registerHooks({
      resolve(specifier, context, nextResolve) {
        const resolved = nextResolve(specifier, context)
        loaded.add(resolved.url)
        return resolved
      },
    })
    const { main } = await import(${JSON.stringify(PROGRAM_URL)})
    const code = await main(['node', 'pocnet', ...${JSON.stringify(args)}])
    writeFileSync(${JSON.stringify(out)}, JSON.stringify({ code, loaded: [...loaded] }))
  `
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, POCNET_TOKEN: 'pn_not-a-real-token', NO_COLOR: '1' },
  })
  expect(child.status, child.stderr).toBe(0)
  const { code, loaded } = JSON.parse(readFileSync(out, 'utf8')) as { code: number; loaded: string[] }
  return { code, stderr: child.stderr, loaded }
}

/**
 * The resolved modules that are libp2p's or LevelDB's, or @pocnet/crypto's main entry (keys,
 * signatures, boxes: it loads @libp2p/crypto); its size-checked file reader alone is light.
 */
function heavy(loaded: string[]): string[] {
  return loaded.filter((url) =>
    /\/node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?(?:libp2p|@libp2p|@chainsafe|level)\/|\/packages\/crypto\/src\/index\.ts$/.test(
      url,
    ),
  )
}

let dir: string
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pocnet-light-start-'))
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('a command that only calls the daemon stays light', () => {
  it('request send loads neither libp2p nor @pocnet/crypto, up to its call to the daemon', () => {
    const form = join(dir, 'req.yaml')
    // JSON is YAML
    writeFileSync(form, JSON.stringify(EXAMPLES.preservation))
    const run = runRecordingModules(['--data-dir', dir, 'request', 'send', '--to', 'FR', '--file', form])
    // it got as far as calling the daemon, which is not there
    expect(run.code).toBe(1)
    expect(run.stderr).toContain('error: no pocnet daemon answers on')
    expect(run.loaded.some((url) => url.endsWith('/packages/node/src/control/client.ts'))).toBe(true)
    expect(heavy(run.loaded)).toEqual([])
  })

  it.each([['status'], ['inbox']])('%s loads neither libp2p nor @pocnet/crypto either', (command) => {
    const run = runRecordingModules(['--data-dir', dir, command])
    expect(run.code).toBe(1)
    expect(run.stderr).toContain('error: no pocnet daemon answers on')
    expect(heavy(run.loaded)).toEqual([])
  })

  it('the heavy modules are recognised: the whole program (`pocnet --help`) loads them', () => {
    const run = runRecordingModules(['--help'])
    expect(run.code).toBe(0)
    expect(heavy(run.loaded).length).toBeGreaterThan(0)
  })
})

/** Runs the real `pocnet` launcher; returns whether Node loaded its TypeScript stripper (amaro). */
function launcherLoadsStripper(args: string[], env: NodeJS.ProcessEnv): boolean {
  const probe = join(dir, 'probe.mjs')
  writeFileSync(
    probe,
    `process.on('exit', () => process.stderr.write('\\nstripper:' + process.moduleLoadList.some((m) => m.includes('amaro'))))`,
  )
  const child = spawnSync(process.execPath, ['--import', probe, BIN, ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, NO_COLOR: '1', ...env },
  })
  expect(child.status, child.stderr).toBe(0)
  const verdict = /stripper:(true|false)$/.exec(child.stderr)
  expect(verdict, child.stderr).not.toBeNull()
  return verdict?.[1] === 'true'
}

describe('the launcher', () => {
  it('starts without the TypeScript stripper once its compile cache is warm', () => {
    const env = { XDG_CACHE_HOME: join(dir, 'cache') }
    // the first run fills the cache, stripping every module it loads
    expect(launcherLoadsStripper(['--version'], env)).toBe(true)
    expect(launcherLoadsStripper(['--version'], env)).toBe(false)
  })

  it('the stripper is recognised: without the cache every run loads it', () => {
    const env = { XDG_CACHE_HOME: join(dir, 'cache'), NODE_DISABLE_COMPILE_CACHE: '1' }
    expect(launcherLoadsStripper(['--version'], env)).toBe(true)
  })
})
