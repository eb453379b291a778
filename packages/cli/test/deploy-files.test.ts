import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Command } from 'commander'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { buildProgram } from '../src/index.ts'

// No Docker engine or systemd runs here: check what can be checked without them, namely that
// every `pocnet` invocation in the image, the compose file and the unit is a real command
// with real options.

const DOCKER = fileURLToPath(new URL('../../../docker/', import.meta.url))
const read = (file: string) => readFileSync(`${DOCKER}${file}`, 'utf8')

const wholeProgram = await buildProgram()

interface Invocation {
  file: string
  line: string
  tokens: string[]
}

/** `pocnet <args>` (also `docker compose run --rm <svc> <args>`: the image's entrypoint is pocnet). */
function invocations(file: string, text: string, program = wholeProgram): Invocation[] {
  const found: Invocation[] = []
  const names = new Set([...program.commands.map((c) => c.name()), ...program.options.map((o) => o.long)])
  for (const line of text.split('\n')) {
    // every place a command may start: after "pocnet" (not inside a word or a path) or "run --rm <service>"
    const starts = [
      ...[...line.matchAll(/(?<=^|[\s"'`[/])pocnet["']?,?\s+/g)].map((x) => ({
        run: false,
        at: x.index + x[0].length,
      })),
      ...[...line.matchAll(/\brun --rm [a-z]+\s+/g)].map((x) => ({ run: true, at: x.index + x[0].length })),
    ]
    const start = starts.find(({ run, at }) => {
      const first = line
        .slice(at)
        .split(/[\s"',]+/)
        .find((t) => t !== '')
      // "pocnet" followed by an ordinary word is prose or a user name, not a command
      return run || names.has(first ?? '')
    })
    if (start === undefined) continue
    const tokens = line
      .slice(start.at)
      .replace(/[#`].*$/, '')
      .split(/[\s,\]]+/)
      .map((t) => t.replace(/^["']|["']$/g, ''))
      .filter((t) => t !== '' && t !== '\\')
    if (tokens.length > 0) found.push({ file, line: line.trim(), tokens })
  }
  return found
}

function resolve(program: Command, inv: Invocation): { cmd: Command; rest: string[] } {
  let cmd = program
  const rest = [...inv.tokens]
  // global options may come first
  while (rest[0]?.startsWith('--') && program.options.some((o) => o.long === rest[0])) rest.splice(0, 2)
  for (;;) {
    const next = cmd.commands.find((c) => c.name() === rest[0])
    if (next === undefined) break
    cmd = next
    rest.shift()
  }
  return { cmd, rest }
}

function checkInvocation(program: Command, inv: Invocation): void {
  const { cmd, rest } = resolve(program, inv)
  expect(cmd, `${inv.file}: "${inv.line}" names no pocnet command`).not.toBe(program)
  expect(
    cmd.commands.filter((c) => c.name() !== 'help'),
    `${inv.file}: "${inv.line}" stops at a command group`,
  ).toEqual([])
  const known = new Set(
    [...cmd.options, ...program.options].flatMap((o) => [o.long, o.short]).filter(Boolean),
  )
  known.add('--help')
  for (const t of rest.filter((t) => t.startsWith('-'))) {
    expect(
      known.has(t.split('=')[0]!),
      `${inv.file}: "${inv.line}": ${t} is not an option of ${cmd.name()}`,
    ).toBe(true)
  }
}

describe('docker/ and the systemd unit use the CLI as it is', () => {
  const program = wholeProgram
  const files = {
    Dockerfile: read('Dockerfile'),
    'compose.yaml': read('compose.yaml'),
    'pocnet.service': read('pocnet.service'),
  }

  it('every pocnet command they run exists, with its options', () => {
    const all = Object.entries(files).flatMap(([f, text]) => invocations(f, text))
    const perFile = (f: string) => all.filter((i) => i.file === f).length
    // the checks below must have something to check
    expect(perFile('Dockerfile')).toBeGreaterThanOrEqual(2)
    expect(perFile('compose.yaml')).toBeGreaterThanOrEqual(6)
    expect(perFile('pocnet.service')).toBeGreaterThanOrEqual(2)
    for (const inv of all) checkInvocation(program, inv)
  })

  it('the checker refuses a command or an option that does not exist', () => {
    const bad = [
      ...invocations('x', '# pocnet user ad alice'),
      ...invocations('x', 'CMD ["pocnet", "status", "--pong"]'),
      ...invocations('x', '# docker compose run --rm fr roster'),
    ]
    expect(bad).toHaveLength(3)
    for (const inv of bad) expect(() => checkInvocation(program, inv)).toThrow()
  })

  it('the image runs as a non-root user with a /data volume, a health check and the CLI as entrypoint', () => {
    const d = files.Dockerfile
    expect(d).toMatch(/^FROM node:24-slim AS \w+$/m)
    expect(d).toMatch(/^FROM node:24-slim$/m)
    expect(d).toMatch(/pnpm install --frozen-lockfile --prod/)
    expect(d).toMatch(/^USER pocnet$/m)
    expect(d).toMatch(/^VOLUME \/data$/m)
    expect(d).toMatch(/POCNET_HOME=\/data/)
    expect(d).toMatch(/^HEALTHCHECK .*CMD \["pocnet", "status", "--ping"\]$/m)
    expect(d).toMatch(/^ENTRYPOINT \["pocnet"\]$/m)
    // every workspace package the CLI imports is copied into the image
    const pkg = JSON.parse(
      readFileSync(fileURLToPath(new URL('../package.json', import.meta.url)), 'utf8'),
    ) as {
      dependencies: Record<string, string>
    }
    for (const dep of Object.keys(pkg.dependencies).filter((d) => d.startsWith('@pocnet/'))) {
      const folder = dep.slice('@pocnet/'.length)
      expect(d, dep).toContain(`COPY packages/${folder}/src packages/${folder}/src`)
    }
  })

  it('every file the image copies from the repository exists', () => {
    const root = fileURLToPath(new URL('../../../', import.meta.url))
    const sources = [...files.Dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((m) =>
      m[1]!.split(' '),
    )
    expect(sources.length).toBeGreaterThan(10)
    for (const src of sources) expect(existsSync(join(root, src)), src).toBe(true)
  })

  it('compose runs the three countries from that image, each with its own volume and passphrase', () => {
    const compose = parse(files['compose.yaml'], { merge: true }) as {
      services: Record<
        string,
        { build: { dockerfile: string }; command: string[]; volumes: string[]; secrets: unknown[] }
      >
    }
    expect(Object.keys(compose.services).sort()).toEqual(['fr', 'it', 'us'])
    for (const [name, s] of Object.entries(compose.services)) {
      expect(s.build.dockerfile).toBe('docker/Dockerfile')
      expect(s.command).toEqual(['start'])
      expect(s.volumes).toContain(`${name}-data:/data`)
      expect(s.secrets).toHaveLength(1)
    }
  })

  it('the unit runs `pocnet start` as its own user with the passphrase as a credential', () => {
    const unit = files['pocnet.service']
    expect(unit).toMatch(/^ExecStart=\/usr\/local\/bin\/pocnet start$/m)
    expect(unit).toMatch(/^User=pocnet$/m)
    expect(unit).toMatch(/^LoadCredential=passphrase:/m)
    expect(unit).toMatch(/^Environment=POCNET_PASSPHRASE_FILE=%d\/passphrase$/m)
    expect(unit).toMatch(/^KillSignal=SIGTERM$/m)
  })
})
