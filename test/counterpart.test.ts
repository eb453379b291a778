import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { DATA_DIR } from '@pocnet/node'
import {
  createFederation,
  type Federation,
  type FederationNode,
  federationLogs,
  runCli,
  runCliJson,
  spawnNode,
  waitFor,
  waitUntilReachable,
} from '@pocnet/test-utils'
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest'

// Issue 19 item 6: before sending, the node checks the request against the counterpart's
// directory record. FR offers no suspect locating, works in French only and declared under
// Second Protocol Art. 10(9) that it takes emergency mutual assistance at its 24/7 point.
// Real daemons, the real CLI.

const header = (
  language: string,
  urgency: string,
  reference: string,
) => `issuedAt: "${new Date().toISOString()}"
caseReference: "${reference}"
urgency: ${urgency}
language: ${language}
requestingAuthority:
  name: "Polizia Postale"
  officer:
    name: "Isp. Giulia Rossi"
  phones: ["+39 06 0000 0001"]
  email: "247@it.example"
  officeHours: "24/7 desk"
  timeZone: Europe/Rome
  preferredChannel: pocnet
attachments: []
relatedCases: []
`

const LOCATE = `schema: pocnet/locate-suspect/v1
${header('fr', 'urgent', 'IT-CP-0001')}offence:
  description: "Extortion"
facts: "The suspect moved to France."
suspect:
  name: "John Doe"
  aliases: []
`

const ADVICE = `schema: pocnet/technical-advice/v1
${header('en', 'routine', 'IT-CP-0002')}topic: "Bulletproof hosting"
question: "Which providers in France ignore abuse reports?"
`

const ASSISTANCE = `schema: pocnet/emergency-assistance/v1
${header('fr', 'emergency', 'IT-CP-0003')}offence:
  description: "Ransomware attack on a hospital"
  legalProvisions: "Codice penale art. 615-ter"
  penalties: "up to 10 years"
facts: "Hospital servers encrypted; the wiper is scheduled from a server in France."
emergency:
  facts: "Patients on life support depend on the encrypted systems."
  assistanceRelation: "Seizing the server stops the scheduled wipe."
assistance:
  description: "Search and seize the command server."
centralAuthorityCopy:
  authority: "Ministero della Giustizia"
`

const SPONTANEOUS = `schema: pocnet/spontaneous-information/v1
${header('fr', 'routine', 'IT-CP-0004')}offence:
  description: "Botnet"
information:
  summary: "A seized botnet server lists infected hosts in France."
`

describe('checks against the counterpart before sending', () => {
  let fed: Federation
  let it_: FederationNode
  let fr: FederationNode

  async function formFile(name: string, text: string): Promise<string> {
    const file = join(fed.baseDir, name)
    await writeFile(file, text)
    return file
  }

  beforeAll(async () => {
    fed = await createFederation({ countries: ['IT', 'FR'] })
    it_ = fed.node('IT')
    fr = fed.node('FR')
    const contactFile = join(fr.dataDir, DATA_DIR.contact)
    const contact = JSON.parse(await readFile(contactFile, 'utf8')) as { services: string[] }
    await writeFile(
      contactFile,
      JSON.stringify({
        ...contact,
        languages: ['fr'],
        services: contact.services.filter((s) => s !== 'locating-suspects'),
        declarations: ['sap10-9-via-24-7'],
      }),
    )
    await Promise.all([spawnNode(it_), spawnNode(fr)])
    await waitUntilReachable(it_, fr)
    // IT must hold FR's record as FR published it, or the checks would find nothing to check
    await waitFor(async () => {
      const r = await runCli(it_, ['directory', 'show', 'FR', '--json'])
      return r.code === 0 && r.stdout.includes('sap10-9-via-24-7')
    }, "FR's record with its declaration, on IT")
  })

  afterAll(async () => {
    await fed?.cleanup()
  })

  it('refuses a type FR does not offer, warns of the language, sends and acknowledges an Art. 10 request', async () => {
    onTestFailed(async () => {
      console.error(await federationLogs(fed.nodes))
    })
    const locate = await formFile('locate.yaml', LOCATE)
    const checked = await runCli(it_, ['request', 'send', '--to', 'FR', '--file', locate, '--check'])
    expect(checked.code).toBe(1)
    expect(checked.stderr).toMatch(/^error: FR cannot take this request/m)
    expect(checked.stderr).toMatch(/FR does not offer the service locating-suspects/)
    const refused = await runCli(it_, ['request', 'send', '--to', 'FR', '--file', locate])
    expect(refused.code).toBe(1)
    expect(refused.stderr).toMatch(
      /FR does not offer the service locating-suspects, which a locate-suspect request needs/,
    )
    expect(refused.stderr).toMatch(/nothing was sent/)
    expect((await runCliJson<{ cases: unknown[] }>(it_, ['inbox', '--json'])).cases).toEqual([])

    const advice = await formFile('advice.yaml', ADVICE)
    const preview = await runCli(it_, ['request', 'send', '--to', 'FR', '--file', advice, '--check'])
    expect(preview.code, preview.stderr).toBe(0)
    expect(preview.stderr).toMatch(
      /^warning: FR's desk works in fr; this request is written in en \(language\)/m,
    )
    const sent = await runCli(it_, ['request', 'send', '--to', 'FR', '--file', advice])
    expect(sent.code, sent.stderr).toBe(0)
    expect(sent.stderr).toMatch(/^warning: FR's desk works in fr; this request is written in en/m)
    expect(sent.stdout).toMatch(/request sent to FR/)

    const assistance = await formFile('assistance.yaml', ASSISTANCE)
    const opened = await runCliJson<{ caseId: string; warnings: unknown[] }>(it_, [
      'request',
      'send',
      '--to',
      'FR',
      '--file',
      assistance,
      '--json',
    ])
    expect(opened.warnings).toEqual([])
    const statusOn = async (node: FederationNode) =>
      (await runCliJson<{ case: { status: string } }>(node, ['case', 'show', opened.caseId, '--json'])).case
        .status
    await waitFor(async () => (await statusOn(fr)) === 'delivered', 'the Art. 10 request on FR')
    const ack = await runCli(fr, ['case', 'ack', opened.caseId, '--by', 'Insp. Marie Dupont'])
    expect(ack.code, ack.stderr).toBe(0)
    await waitFor(async () => (await statusOn(it_)) === 'acknowledged', "FR's acknowledgement on IT")
    const shown = await runCli(it_, ['case', 'show', opened.caseId])
    expect(shown.stdout).toMatch(/^ {2}answer due {3}\d{4}-\d\d-\d\d \d\d:\d\d UTC \(in /m)
  })

  it('sends Art. 26 spontaneous information, which FR acknowledges and closes', async () => {
    onTestFailed(async () => {
      console.error(await federationLogs(fed.nodes))
    })
    const file = await formFile('spontaneous.yaml', SPONTANEOUS)
    const { caseId } = await runCliJson<{ caseId: string }>(it_, [
      'request',
      'send',
      '--to',
      'FR',
      '--file',
      file,
      '--json',
    ])
    const statusOn = async (node: FederationNode) =>
      (await runCliJson<{ case: { status: string } }>(node, ['case', 'show', caseId, '--json'])).case.status
    await waitFor(async () => (await statusOn(fr)) === 'delivered', 'the Art. 26 information on FR')
    const nothingAsked = await runCli(fr, ['case', 'reply', caseId, '--summary', 'thanks'])
    expect(nothingAsked.code).toBe(1)
    expect(nothingAsked.stderr).toMatch(/nothing was asked/)
    expect((await runCli(fr, ['case', 'ack', caseId, '--by', 'Insp. Marie Dupont'])).code).toBe(0)
    expect((await runCli(fr, ['case', 'close', caseId, '--reason', 'taken into the botnet case'])).code).toBe(
      0,
    )
    await waitFor(async () => (await statusOn(it_)) === 'closed', 'the closing on IT')
  })
})
