import { join } from 'node:path'
import { checkCountry } from '@pocnet/cases'
import {
  CONTACT_KINDS,
  type ContactKind,
  checkIssuedRecord,
  DECLARATION_CODES,
  type Declaration,
  encodeRecordBody,
  exportMemberDescriptor,
  RecordFieldError,
  SERVICES,
  type Service,
} from '@pocnet/directory/offline'
import { type ContactFile, initNode, NodeError, obtainPassphrase } from '@pocnet/node/client'
import { type Command, InvalidArgumentError, Option } from 'commander'
import { Context } from '../context.ts'
import { CliError } from '../errors.ts'
import { collect, examples } from '../help.ts'
import { out } from '../output.ts'

export const MEMBER_FILE = 'member.json'

interface InitFlags {
  country: string
  name: string
  network: string
  contactKind: ContactKind
  unit: string
  phone: string
  email: string
  timeZone: string
  language?: string[]
  service?: Service[]
  mlaName?: string
  mlaPhone?: string
  mlaEmail?: string
  reservation?: string[]
  declaration?: Declaration[]
  listen?: string[]
  bootstrap?: string[]
  operator: string
  json?: boolean
}

/** "+33 1 23-45 67 89" → "+33123456789": the directory keeps E.164. */
function e164(phone: string): string {
  return phone.replace(/[\s().-]/g, '')
}

/** The option that sets each contact field, to name it in a problem. */
const FLAG_OF_FIELD: Record<string, string> = {
  contactKind: '--contact-kind',
  unit: '--unit',
  phone: '--phone',
  email: '--email',
  languages: '--language',
  timeZone: '--time-zone',
  services: '--service',
  mlaAuthority: '--mla-name',
  'mlaAuthority.name': '--mla-name',
  'mlaAuthority.phone': '--mla-phone',
  'mlaAuthority.email': '--mla-email',
  reservations: '--reservation',
  declarations: '--declaration',
}

/** Contact details that pass every record rule: each field is checked against these others. */
const VALID_CONTACT: ContactFile = {
  contactKind: 'telecom-centre',
  unit: '24/7 desk',
  phone: '+33123456789',
  email: 'desk@example.org',
  languages: ['en'],
  timeZone: 'UTC',
  services: ['preservation'],
  mlaAuthority: null,
  reservations: [],
}

/**
 * Checks the contact details with the directory's own record rules before anything is written,
 * and reports every option that breaks one, not just the first: each field is tried alone among
 * valid others, since the record's decoder stops at its first problem.
 */
function checkContact(country: string, contact: ContactFile): void {
  // the record's rule is two capital letters; a country is also one ISO 3166-1 assigns (not UK, not EU)
  const iso = checkCountry(country)
  const now = Date.now()
  const problemOf = (record: ContactFile & { country: string }): RecordFieldError | undefined => {
    try {
      const full = {
        ...record,
        seq: 1,
        issuedAt: now,
        expiresAt: now + 86_400_000,
        boxPublicKey: new Uint8Array(32),
        addresses: [],
      }
      encodeRecordBody(full)
      checkIssuedRecord(full)
      return undefined
    } catch (e) {
      if (e instanceof RecordFieldError) return e
      throw e
    }
  }
  if (iso.ok && problemOf({ ...contact, country }) === undefined) return
  const lines: string[] = []
  // the ISO check is stricter than the record's rule for the country: only the contact fields are left
  if (!iso.ok) lines.push(`  --country: ${iso.reason}`)
  for (const field of Object.keys(VALID_CONTACT) as Array<keyof ContactFile>) {
    const problem = problemOf({ ...VALID_CONTACT, [field]: contact[field], country: 'FR' })
    if (problem === undefined) continue
    const path = problem.field.replace(/^record\./, '')
    const flag = FLAG_OF_FIELD[path.replace(/\[\d+\]$/, '')] ?? FLAG_OF_FIELD[field] ?? field
    lines.push(`  ${flag}: ${problem.rule} (${problem.field})`)
  }
  // the fields are fine alone but not together (no such rule today): the first problem as it is
  if (lines.length === 0) lines.push(`  ${problemOf({ ...contact, country })!.message}`)
  throw new CliError(
    'ERR_CONTACT',
    `the options break ${lines.length} rule${lines.length === 1 ? '' : 's'} of the directory record; nothing was written`,
    { lines, hint: 'fix these options (see `pocnet init --help`)' },
  )
}

/**
 * The key file is all that stands between a stolen disk or backup and the country's keys, and
 * scrypt only slows guessing: a new key passphrase must be at least this long.
 */
export const MIN_PASSPHRASE_CHARACTERS = 12

/** Asks twice on a terminal so a typo does not lock the key away; env/file sources are taken as is. */
async function newPassphrase(): Promise<string> {
  const interactive =
    !process.env.POCNET_PASSPHRASE_FILE && !process.env.POCNET_PASSPHRASE && process.stdin.isTTY === true
  const pass = await obtainPassphrase(process.env, 'New key passphrase: ')
  if ([...pass].length < MIN_PASSPHRASE_CHARACTERS)
    throw new CliError(
      'ERR_PASSPHRASE',
      `the key passphrase must be at least ${MIN_PASSPHRASE_CHARACTERS} characters; nothing was written`,
      {
        hint: 'it protects the node key in every copy of the data directory and every backup: e.g. `openssl rand -base64 24`',
      },
    )
  if (interactive) {
    const again = await obtainPassphrase(process.env, 'Repeat the passphrase: ')
    if (again !== pass)
      throw new CliError('ERR_PASSPHRASE', 'the two passphrases differ; nothing was written')
  }
  return pass
}

export function registerInit(program: Command): void {
  const cmd = program
    .command('init')
    .description("create this country's node: keys, config, contact details and a first operator")
    .requiredOption('--country <CC>', 'ISO 3166-1 alpha-2 code of this country, e.g. FR')
    .requiredOption('--name <name>', 'display name in the roster, e.g. "France — OCLCTIC"')
    .requiredOption('--network <id>', 'federation network id (a-z, 0-9, ".", "-"), e.g. g8-24-7')
    .addOption(
      new Option('--contact-kind <kind>', 'who answers the 24/7 line')
        .choices([...CONTACT_KINDS])
        .default('telecom-centre'),
    )
    .requiredOption('--unit <unit>', 'unit name, e.g. "OCLCTIC — 24/7 desk"')
    .requiredOption('--phone <phone>', '24/7 phone, international form, e.g. "+33 1 23 45 67 89"')
    .requiredOption('--email <email>', '24/7 e-mail address')
    .requiredOption('--time-zone <zone>', 'IANA time zone of the desk, e.g. Europe/Paris')
    .option('--language <tag>', 'a language the desk works in (repeat), default en', collect)
    .option(
      '--service <service>',
      `a service offered (repeat), default preservation; one of: ${SERVICES.join(', ')}`,
      (v: string, prev: string[] | undefined) => {
        if (!(SERVICES as readonly string[]).includes(v))
          throw new InvalidArgumentError(`use one of ${SERVICES.join(', ')}`)
        return collect(v, prev)
      },
    )
    .option('--mla-name <name>', 'MLA central authority to coordinate with')
    .option('--mla-phone <phone>', "MLA authority's phone")
    .option('--mla-email <email>', "MLA authority's e-mail")
    .option('--reservation <text>', 'a reservation or declaration under the Convention (repeat)', collect)
    .option(
      '--declaration <code>',
      `a coded reservation or declaration senders check requests against (repeat); one of: ${DECLARATION_CODES.join(', ')}`,
      (v: string, prev: string[] | undefined) => {
        if (!(DECLARATION_CODES as readonly string[]).includes(v))
          throw new InvalidArgumentError(`use one of ${DECLARATION_CODES.join(', ')}`)
        return collect(v, prev)
      },
    )
    .option('--listen <multiaddr>', 'libp2p listen address (repeat), default /ip4/0.0.0.0/tcp/4001', collect)
    .option('--bootstrap <multiaddr>', 'a member to dial at start, with /p2p/<peer id> (repeat)', collect)
    .option('--operator <user>', 'name of the first operator user', 'operator')
    .option('--json', 'print the result as JSON (includes the operator token)')
    .action(async (flags: InitFlags, command: Command) => {
      const ctx = Context.of(command)
      const country = flags.country.toUpperCase()
      const services = flags.service ?? ['preservation']
      const contact: ContactFile = {
        contactKind: flags.contactKind,
        unit: flags.unit,
        phone: e164(flags.phone),
        email: flags.email,
        languages: [...new Set(flags.language ?? ['en'])],
        timeZone: flags.timeZone,
        services: [...new Set(services)],
        mlaAuthority:
          flags.mlaName === undefined
            ? null
            : {
                name: flags.mlaName,
                ...(flags.mlaPhone === undefined ? {} : { phone: e164(flags.mlaPhone) }),
                ...(flags.mlaEmail === undefined ? {} : { email: flags.mlaEmail }),
              },
        reservations: flags.reservation ?? [],
        ...(flags.declaration === undefined ? {} : { declarations: [...new Set(flags.declaration)] }),
      }
      checkContact(country, contact)
      const passphrase = await newPassphrase()
      let result: Awaited<ReturnType<typeof initNode>>
      try {
        result = await initNode({
          dataDir: ctx.dataDir,
          network: flags.network,
          country,
          name: flags.name,
          passphrase,
          contact,
          operator: flags.operator,
          ...(flags.listen === undefined ? {} : { listen: flags.listen }),
          ...(flags.bootstrap === undefined ? {} : { bootstrap: flags.bootstrap }),
        })
      } catch (e) {
        if (e instanceof NodeError && e.code === 'ERR_INIT_EXISTS')
          throw new CliError(e.code, e.message, { hint: 'use --data-dir (or POCNET_HOME) for a new node' })
        throw e
      }
      const memberFile = join(ctx.dataDir, MEMBER_FILE)
      await exportMemberDescriptor(memberFile, {
        identity: result.identity,
        country,
        name: flags.name,
        ...(result.memberDescriptor.mlDsaWitnessKey !== undefined && {
          mlDsaWitnessKey: result.memberDescriptor.mlDsaWitnessKey,
        }),
      })
      if (flags.json) {
        out.json({
          dataDir: result.dataDir,
          country,
          network: flags.network,
          peerId: result.peerId,
          signingPublicKey: result.signingPublicKeyHex,
          boxPublicKey: result.boxPublicKeyHex,
          memberFile,
          operator: flags.operator,
          operatorToken: result.operatorToken,
        })
        return
      }
      out.line(`${out.style('green', '✓')} ${country} node created in ${result.dataDir}`)
      out.line(`  peer id       ${result.peerId}`)
      out.line(`  member file   ${memberFile}`)
      out.line('                (send it to the federation coordinator: it names your country and key)')
      out.line()
      out.line(out.style('bold', `Operator token for user "${flags.operator}" — shown once, store it now:`))
      out.line(`  ${result.operatorToken}`)
      out.line()
      out.line('Next: the roster ceremony (`pocnet roster --help`), then `pocnet start`.')
    })
  examples(
    cmd,
    'POCNET_PASSPHRASE_FILE=/etc/pocnet/pass pocnet init --country FR --name "France — OCLCTIC" \\\n' +
      '      --network g8-24-7 --unit "OCLCTIC 24/7" --phone "+33 1 23 45 67 89" --email 247@oclctic.example \\\n' +
      '      --time-zone Europe/Paris --language en --language fr --service preservation --listen /ip4/0.0.0.0/tcp/4001',
  )
}
