import { spawnSync } from 'node:child_process'
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { privateCompileCacheDir } from '../src/compile-cache.js'

const BIN = fileURLToPath(new URL('../src/bin.js', import.meta.url))

let base: string
beforeEach(() => {
  base = mkdtempSync(join(tmpdir(), 'pocnet-compile-cache-'))
})
afterEach(() => rmSync(base, { recursive: true, force: true }))

const cacheOf = (xdg: string) => join(xdg, 'pocnet', 'compile-cache')

describe('privateCompileCacheDir', () => {
  it('creates the cache directory private to the user, under XDG_CACHE_HOME', () => {
    const dir = privateCompileCacheDir({ XDG_CACHE_HOME: base })
    expect(dir).toBe(cacheOf(base))
    expect(statSync(dir!).mode & 0o777).toBe(0o700)
    // a second call takes the directory as it is
    expect(privateCompileCacheDir({ XDG_CACHE_HOME: base })).toBe(dir)
  })

  it('leaves it to Node when NODE_COMPILE_CACHE is set, and enables nothing when it is turned off', () => {
    expect(
      privateCompileCacheDir({ XDG_CACHE_HOME: base, NODE_COMPILE_CACHE: join(base, 'x') }),
    ).toBeUndefined()
    expect(privateCompileCacheDir({ XDG_CACHE_HOME: base, NODE_DISABLE_COMPILE_CACHE: '1' })).toBeUndefined()
    expect(readdirSync(base)).toEqual([])
  })

  it('refuses a directory that others can write, and leaves it as it found it', () => {
    mkdirSync(cacheOf(base), { recursive: true })
    chmodSync(cacheOf(base), 0o777)
    expect(privateCompileCacheDir({ XDG_CACHE_HOME: base })).toBeUndefined()
    chmodSync(cacheOf(base), 0o770)
    expect(privateCompileCacheDir({ XDG_CACHE_HOME: base })).toBeUndefined()
    expect(statSync(cacheOf(base)).mode & 0o777).toBe(0o770)
  })

  it('refuses a symbolic link, even to a private directory', () => {
    const target = join(base, 'elsewhere')
    mkdirSync(target, { mode: 0o700 })
    mkdirSync(join(base, 'pocnet'))
    symlinkSync(target, cacheOf(base))
    expect(privateCompileCacheDir({ XDG_CACHE_HOME: base })).toBeUndefined()
  })

  it("stays out of the node's data directory, which backups copy whole", () => {
    // a service user's home is often the data directory itself
    expect(
      privateCompileCacheDir({ XDG_CACHE_HOME: join(base, '.cache'), POCNET_HOME: base }),
    ).toBeUndefined()
    expect(readdirSync(base)).toEqual([])
    expect(
      privateCompileCacheDir({ XDG_CACHE_HOME: join(base, 'cache'), POCNET_HOME: join(base, 'data') }),
    ).toBe(cacheOf(join(base, 'cache')))
  })

  it('runs without a cache when the directory cannot be made', () => {
    writeFileSync(join(base, 'pocnet'), 'a file where the directory should be')
    expect(privateCompileCacheDir({ XDG_CACHE_HOME: base })).toBeUndefined()
  })
})

describe('the pocnet command', () => {
  const run = (env: NodeJS.ProcessEnv) =>
    spawnSync(process.execPath, [BIN, '--help'], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1', XDG_CACHE_HOME: base, ...env },
    })

  it('keeps its compiled modules in the private cache, and prints the same either way', () => {
    const cold = run({})
    expect(cold.status).toBe(0)
    // Node writes one directory per Node version and V8 flags, holding an entry per module
    const [versioned, ...others] = readdirSync(cacheOf(base))
    expect(others).toEqual([])
    expect(readdirSync(join(cacheOf(base), versioned!)).length).toBeGreaterThan(10)
    const warm = run({})
    expect(warm.status).toBe(0)
    expect(warm.stdout).toBe(cold.stdout)
    const without = run({ NODE_DISABLE_COMPILE_CACHE: '1' })
    expect(without.stdout).toBe(cold.stdout)
  })
})
