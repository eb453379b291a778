import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { NodeIdentity } from '@pocnet/crypto'
import { exportMemberDescriptor } from '@pocnet/directory/offline'
import { type Command, CommanderError } from 'commander'
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest'
import { buildProgram, Context } from '../src/index.ts'

const BIN = fileURLToPath(new URL('../src/bin.js', import.meta.url))

/** Every command of the tree with its full path, e.g. "case ack". */
function allCommands(cmd: Command, prefix: string[] = []): Array<{ path: string; cmd: Command }> {
  return cmd.commands
    .filter((c) => c.name() !== 'help')
    .flatMap((c) => {
      const path = [...prefix, c.name()]
      return [{ path: path.join(' '), cmd: c }, ...allCommands(c, path)]
    })
}

/** The help text exactly as `--help` prints it, including the text added after it. */
function helpOf(cmd: Command): string {
  let text = ''
  cmd.configureOutput({ writeOut: (s) => (text += s), writeErr: (s) => (text += s) })
  cmd.outputHelp()
  return text
}

/**
 * Keeps what commander prints for `program` and every command under it (errors, help), to assert
 * on rather than leave in the test log.
 */
function captureOutput(program: Command): { printed: string } {
  const captured = { printed: '' }
  const write = (s: string) => {
    captured.printed += s
  }
  for (const cmd of [program, ...allCommands(program).map((c) => c.cmd)])
    cmd.configureOutput({ writeOut: write, writeErr: write })
  return captured
}

// The binary's compile cache goes to a folder of this run, not the developer's ~/.cache/pocnet.
let cacheHome: string
beforeAll(() => {
  cacheHome = mkdtempSync(join(tmpdir(), 'pocnet-program-cache-'))
})
afterAll(() => rmSync(cacheHome, { recursive: true, force: true }))

function run(args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1', XDG_CACHE_HOME: cacheHome, ...env },
  })
}

const READ_COMMANDS = [
  'status',
  'peers',
  'user list',
  'directory show',
  'directory list',
  'roster show',
  'roster verify',
  'inbox',
  'search',
  'case show',
  'duty show',
  'ledger verify',
  'ledger log',
  'ledger prove',
  'audit report',
]

const ISSUE_COMMANDS = [
  'init',
  'roster genesis',
  'roster propose',
  'roster sign',
  'roster combine',
  'roster show',
  'roster verify',
  'start',
  'status',
  'user add',
  'user list',
  'user remove',
  'peers',
  'directory publish',
  'directory show',
  'directory list',
  'backup',
  'restore',
  'request template',
  'request send',
  'inbox',
  'case show',
  'duty show',
  'case ack',
  'case reply',
  'case preserve',
  'case refuse',
  'case extend',
  'case mla',
  'case close',
  'case followup',
  'ledger verify',
  'ledger log',
  'ledger export',
  'ledger prove',
  'audit report',
]

const wholeProgram = await buildProgram()

describe('the pocnet command tree', () => {
  const program = wholeProgram
  const commands = allCommands(program)

  it('has every command issue 8 names', () => {
    const paths = commands.map((c) => c.path)
    for (const name of ISSUE_COMMANDS) expect(paths, name).toContain(name)
  })

  it('gives every command a description and an example in its help', () => {
    expect(commands.length).toBeGreaterThan(30)
    for (const { path, cmd } of [{ path: '(root)', cmd: program }, ...commands]) {
      expect(cmd.description().length, `${path} description`).toBeGreaterThan(10)
      const help = helpOf(cmd)
      expect(help, `${path} help`).toMatch(/\nExamples:\n {2}\$ /)
      const leaf = path.split(' ').at(-1)!
      // each command's own examples use it (a group's examples use its subcommands)
      if (path !== '(root)') expect(help, `${path} example`).toMatch(new RegExp(`\\$ .*\\b${leaf}\\b`))
    }
  })

  it('writes case ids in examples as the node issues them (CC-YYYYMMDD-8 hex), so an example can be copied', () => {
    let seen = 0
    for (const { path, cmd } of commands) {
      const help = helpOf(cmd)
      for (const m of help.matchAll(/\$ pocnet (?:case \w+|ledger log --case) (\S+)/g)) {
        seen++
        expect(m[1], `${path} example`).toMatch(/^[A-Z]{2}-\d{8}-[0-9a-f]{8}$|^<id>$/)
      }
    }
    expect(seen).toBeGreaterThan(15)
  })

  it('offers --json on every read command', () => {
    for (const name of READ_COMMANDS) {
      const found = commands.find((c) => c.path === name)
      expect(found, name).toBeDefined()
      expect(
        found!.cmd.options.map((o) => o.long),
        name,
      ).toContain('--json')
    }
  })

  it('reports a missing positional argument before missing required options, for every command', async () => {
    const program = await buildProgram()
    const output = captureOutput(program)
    const withArgs = allCommands(program).filter(({ cmd }) => cmd.registeredArguments.some((a) => a.required))
    expect(withArgs.map((c) => c.path)).toEqual(
      expect.arrayContaining(['case ack', 'case preserve', 'user add']),
    )
    for (const { path, cmd } of withArgs) {
      const first = cmd.registeredArguments.find((a) => a.required)!.name()
      const thrown = await program.parseAsync(['node', 'pocnet', ...path.split(' ')]).catch((e: unknown) => e)
      expect(thrown, path).toBeInstanceOf(CommanderError)
      expect((thrown as CommanderError).code, path).toBe('commander.missingArgument')
      expect((thrown as CommanderError).message, path).toBe(`error: missing required argument '${first}'`)
      expect(output.printed, path).toContain(`error: missing required argument '${first}'\n`)
    }
  })

  it('has the global --data-dir, --token-file and --tz options', () => {
    const longs = program.options.map((o) => o.long)
    expect(longs).toEqual(expect.arrayContaining(['--data-dir', '--token-file', '--tz']))
  })

  it('ledger log --country takes an ISO 3166 code: UK is refused naming GB (it matched no entry), fr is FR', async () => {
    const refusing = await buildProgram()
    const output = captureOutput(refusing)
    const thrown = await refusing
      .parseAsync(['node', 'pocnet', 'ledger', 'log', '--country', 'UK'])
      .catch((e: unknown) => e)
    expect(thrown).toBeInstanceOf(CommanderError)
    expect((thrown as CommanderError).message).toMatch(/argument 'UK' is invalid\. .*write GB$/)
    expect(output.printed).toMatch(/^error: option '--country <CC>' argument 'UK' is invalid\. .*write GB\n/)
    const parsed = await buildProgram()
    const log = parsed.commands.find((c) => c.name() === 'ledger')!.commands.find((c) => c.name() === 'log')!
    log.action(() => {})
    await parsed.parseAsync(['node', 'pocnet', 'ledger', 'log', '--country', 'fr'])
    expect(log.opts().country).toBe('FR')
  })

  it('a command sees the zone given with the global --tz', async () => {
    const parsed = await buildProgram()
    parsed.parseOptions(['--tz', 'Asia/Tokyo'])
    const inbox = parsed.commands.find((c) => c.name() === 'inbox')!
    expect(Context.of(inbox).zone).toBe('Asia/Tokyo')
  })
})

describe('exit codes of the binary', () => {
  it('exits 0 on --help and --version', () => {
    const help = run(['--help'])
    expect(help.status).toBe(0)
    expect(help.stdout).toContain('Usage: pocnet')
    const sub = run(['case', 'preserve', '--help'])
    expect(sub.status).toBe(0)
    expect(sub.stdout).toContain('--provider-ref')
    expect(sub.stdout).toContain('Examples:')
    expect(run(['--version']).status).toBe(0)
    const helpCmd = run(['help', 'case'])
    expect(helpCmd.status).toBe(0)
    expect(helpCmd.stdout).toContain('Usage: pocnet case')
  })

  it.each([
    [['frobnicate'], /unknown command 'frobnicate'/],
    [['user', 'add', 'alice'], /required option '--role <role>' not specified/],
    [
      ['user', 'add', 'alice', '--role', 'king'],
      /Allowed choices are operator, contact, auditor, supervisor, investigator/,
    ],
    [
      ['case', 'preserve', 'X', '--provider-ref', 'r', '--days', 'ninety'],
      /--days must be a positive whole number/,
    ],
    [['request', 'template', 'pizza'], /Allowed choices are preservation/],
    [['ledger', 'verify', '--threads', 'two'], /--threads must be/],
    [['ledger', 'verify', '--threads', '-1'], /--threads must be/],
    [['ledger', 'verify', '--witnesses', 'all'], /--witnesses must be a whole number ≥ 0, not "all"/],
    [
      ['ledger', 'export', '--cosign-timeout', 'soon'],
      /--cosign-timeout must be a whole number ≥ 0, not "soon"/,
    ],
    [['key', 'rotate', 'now'], /too many arguments/],
    [['ledger', 'prove', 'abc'], /<seq> must be a whole number ≥ 0, not "abc"/],
    [['case', 'limit', 'X', '--limit', 'all', '--text', 'd'], /Allowed choices are availability-not-ensured/],
    [['status', '--jsn'], /unknown option '--jsn'/],
    [['case', 'ack', 'X'], /required option '--by <name>' not specified/],
    [['backup'], /required option '--out <dir>' not specified/],
    [['roster'], /Usage: pocnet roster/],
  ])('exits 2 on a usage error: %j', (args, message) => {
    const r = run(args)
    expect(r.status).toBe(2)
    expect(r.stderr).toMatch(message)
  })

  it('names a missing id before a missing required option: `case ack` without its id', () => {
    const r = run(['case', 'ack'])
    expect(r.status).toBe(2)
    expect(r.stderr).toMatch(/^error: missing required argument 'id'$/m)
    expect(r.stderr).not.toContain('--by')
    // with the id, the option is still required
    const noBy = run(['case', 'ack', 'IT-20261128-dd69bafb'])
    expect(noBy.status).toBe(2)
    expect(noBy.stderr).toMatch(/^error: required option '--by <name>' not specified$/m)
  })

  it('exits 1 with an error and a hint when the daemon is not there', () => {
    const r = run(['--data-dir', '/nonexistent/pocnet', 'status'], { POCNET_TOKEN: 'pn_x' })
    expect(r.status).toBe(1)
    expect(r.stderr).toMatch(/^error: no pocnet daemon answers on \/nonexistent\/pocnet\/control\.sock/m)
    expect(r.stderr).toMatch(/^hint: start the node with `pocnet start`/m)
  })

  it('init names every option that breaks a directory rule at once, and writes nothing', () => {
    const parent = mkdtempSync(join(tmpdir(), 'pocnet-init-'))
    onTestFinished(() => rmSync(parent, { recursive: true, force: true }))
    const dataDir = join(parent, 'node')
    const r = run(
      [
        '--data-dir',
        dataDir,
        'init',
        '--country',
        'UK',
        '--name',
        'France',
        '--network',
        'g8-24-7',
        '--unit',
        '24/7 desk',
        '--phone',
        '030 1234',
        '--email',
        'nope',
        '--time-zone',
        'Berlin',
        '--language',
        'xx-!!',
      ],
      { POCNET_PASSPHRASE: 'not asked for' },
    )
    expect(r.status).toBe(1)
    expect(r.stderr).toContain(
      'error: the options break 5 rules of the directory record; nothing was written',
    )
    for (const line of [
      // two capital letters, as the record's rule asks, but not the code ISO 3166-1 gives the UK
      "  --country: 'UK' is not the ISO 3166 code of that country; write GB",
      '  --phone: must be E.164: + then 6-15 digits (record.phone)',
      '  --email: must be an e-mail address like name@example.org: 1-64 characters, an @, then a domain name (record.email)',
      '  --language: must be a BCP 47 language tag like en, fr or pt-BR (record.languages[0])',
      '  --time-zone: must be an IANA time zone name like Europe/Budapest or UTC (bare offsets like +01:00 ignore summer time) (record.timeZone)',
    ])
      expect(r.stderr).toContain(line)
    expect(existsSync(dataDir)).toBe(false)
  })

  it('init refuses an Etc/GMT±N time zone, naming --time-zone and why, and writes nothing', () => {
    const parent = mkdtempSync(join(tmpdir(), 'pocnet-init-'))
    onTestFinished(() => rmSync(parent, { recursive: true, force: true }))
    const dataDir = join(parent, 'node')
    const r = run(
      [
        '--data-dir',
        dataDir,
        'init',
        '--country',
        'FR',
        '--name',
        'France',
        '--network',
        'g8-24-7',
        '--unit',
        '24/7 desk',
        '--phone',
        '+33 1 23 45 67 89',
        '--email',
        'desk@fr.example',
        '--time-zone',
        'Etc/GMT-1',
      ],
      { POCNET_PASSPHRASE: 'not asked for' },
    )
    expect(r.status).toBe(1)
    expect(r.stderr).toContain(
      '  --time-zone: "Etc/GMT-1" is refused: Etc/GMT zones have the reverse sign (Etc/GMT-2 is UTC+2) and no summer time; use the place\'s zone, e.g. "Europe/Paris" (record.timeZone)',
    )
    expect(existsSync(dataDir)).toBe(false)
  })

  it('init refuses a key passphrase shorter than 12 characters, from any source, and writes nothing', () => {
    const parent = mkdtempSync(join(tmpdir(), 'pocnet-init-'))
    onTestFinished(() => rmSync(parent, { recursive: true, force: true }))
    const dataDir = join(parent, 'node')
    const passFile = join(parent, 'pass')
    writeFileSync(passFile, 'fr2026!\n', { mode: 0o600 })
    const args = [
      '--data-dir',
      dataDir,
      'init',
      '--country',
      'FR',
      '--name',
      'France',
      '--network',
      'g8-24-7',
      '--unit',
      '24/7 desk',
      '--phone',
      '+33 1 23 45 67 89',
      '--email',
      'desk@fr.example',
      '--time-zone',
      'Europe/Paris',
    ]
    for (const env of [{ POCNET_PASSPHRASE: 'secret' }, { POCNET_PASSPHRASE_FILE: passFile }]) {
      const r = run(args, env)
      expect(r.status, r.stderr).toBe(1)
      expect(r.stderr).toMatch(/^error: the key passphrase must be at least 12 characters/m)
      expect(existsSync(dataDir)).toBe(false)
    }
  })

  it('init takes only the coded declarations a record may carry, and writes nothing otherwise', () => {
    const parent = mkdtempSync(join(tmpdir(), 'pocnet-init-'))
    onTestFinished(() => rmSync(parent, { recursive: true, force: true }))
    const dataDir = join(parent, 'node')
    const r = run(
      [
        '--data-dir',
        dataDir,
        'init',
        '--country',
        'FR',
        '--name',
        'France',
        '--network',
        'g8-24-7',
        '--unit',
        '24/7 desk',
        '--phone',
        '+33 1 23 45 67 89',
        '--email',
        'desk@fr.example',
        '--time-zone',
        'Europe/Paris',
        '--declaration',
        'art29-4-dual-criminality',
        '--declaration',
        'art99',
      ],
      { POCNET_PASSPHRASE: 'not asked for' },
    )
    expect(r.status).toBe(2)
    expect(r.stderr).toMatch(
      /--declaration <code>' argument 'art99' is invalid\. use one of art29-4-dual-criminality, /,
    )
    expect(existsSync(dataDir)).toBe(false)
  })

  it('roster genesis and propose refuse a member file whose country ISO 3166-1 does not assign', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pocnet-member-'))
    try {
      const files: Record<string, string> = {}
      for (const cc of ['FR', 'UK', 'EU']) {
        files[cc] = join(dir, `${cc}.json`)
        await exportMemberDescriptor(files[cc], { identity: NodeIdentity.generate(), country: cc, name: cc })
      }
      const genesis = (member: string) =>
        run([
          'roster',
          'genesis',
          '--network',
          'g8-24-7',
          '--member',
          files.FR!,
          '--member',
          member,
          '--threshold',
          '1',
          '--out',
          join(dir, 'g.json'),
        ])
      const uk = genesis(files.UK!)
      expect(uk.status).toBe(1)
      expect(uk.stderr).toContain(
        `error: ${files.UK}: country 'UK' is not the ISO 3166 code of that country; write GB`,
      )
      expect(genesis(files.EU!).stderr).toContain(
        `error: ${files.EU}: country 'EU' is not an ISO 3166 country code`,
      )
      expect(existsSync(join(dir, 'g.json'))).toBe(false)
      const admit = run([
        'roster',
        'propose',
        '--admit',
        files.UK!,
        '--chain',
        join(dir, 'none.cbor'),
        '--out',
        join(dir, 'p.json'),
      ])
      expect(admit.stderr).toContain(`error: ${files.UK}: country 'UK'`)
      // the same command with an assigned code goes through
      const fr = run([
        'roster',
        'genesis',
        '--network',
        'g8-24-7',
        '--member',
        files.FR!,
        '--threshold',
        '1',
        '--out',
        join(dir, 'g.json'),
      ])
      expect(fr.status, fr.stderr).toBe(0)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('exits 1 with a hint when there is no token', () => {
    const r = run(['--data-dir', '/nonexistent/pocnet', 'inbox'])
    expect(r.status).toBe(1)
    expect(r.stderr).toMatch(/^error: no control API token$/m)
    expect(r.stderr).toMatch(/^hint: set POCNET_TOKEN/m)
  })

  it('prints no colour codes when NO_COLOR is set or the output is not a terminal', () => {
    const { NO_COLOR: _unset, ...env } = process.env
    const r = spawnSync(process.execPath, [BIN, 'frobnicate'], {
      encoding: 'utf8',
      env: { ...env, XDG_CACHE_HOME: cacheHome },
    })
    expect(r.status).toBe(2)
    expect(r.stderr).toContain("unknown command 'frobnicate'")
    expect(r.stderr).not.toContain('\x1b[')
  })
})
