import { METRICS_PATH, POCNET_FIGURE_NAMES } from '@pocnet/node'
import { caseRoutes } from '@pocnet/node/client'
import {
  createFederation,
  type Federation,
  federationLogs,
  freePort,
  listeningTcpPorts,
  type MetricFamily,
  parseExposition,
  preservationForm,
  spawnNode,
  waitFor,
  waitUntilReachable,
} from '@pocnet/test-utils'
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest'

// Issue 18 item 5: the metrics endpoint of a real daemon, scraped over HTTP after a real request,
// its receipt and the counterpart's acknowledgement, parsed strictly as the exposition format.
describe('the metrics endpoint', () => {
  let fed: Federation
  let metricsPort: number
  let url: string

  beforeAll(async () => {
    metricsPort = await freePort()
    url = `http://127.0.0.1:${metricsPort}${METRICS_PATH}`
    fed = await createFederation({
      countries: ['IT', 'FR'],
      configure: (config, country) => ({
        ...config,
        // checkpoints soon after each entry, so the checkpoint figures have one to show
        checkpoint: { everyEntries: 1, everyMs: 1000 },
        // only IT serves metrics: FR shows that none is served by default
        ...(country === 'IT' && { metrics: { listen: `127.0.0.1:${metricsPort}` } }),
      }),
    })
    await Promise.all(fed.nodes.map((n) => spawnNode(n)))
  })

  afterAll(async () => {
    await fed?.cleanup()
  })

  /** A scrape of IT, with the Accept header given, parsed as the format its content type names. */
  async function scrape(
    accept?: string,
  ): Promise<{ contentType: string; families: Map<string, MetricFamily> }> {
    const res = await fetch(url, accept === undefined ? {} : { headers: { accept } })
    expect(res.status).toBe(200)
    const contentType = res.headers.get('content-type') ?? ''
    const format = contentType.startsWith('application/openmetrics-text') ? 'openmetrics' : 'prometheus'
    return { contentType, families: parseExposition(await res.text(), format) }
  }

  /** The value of `name`'s sample with `labels` (all of them given), or undefined. */
  function value(families: Map<string, MetricFamily>, name: string, labels: Record<string, string> = {}) {
    for (const family of families.values())
      for (const s of family.samples)
        if (s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)) return s.value
    return undefined
  }

  it('serves every figure after a request, its receipt and its acknowledgement', async () => {
    onTestFailed(async () => {
      console.error(await federationLogs(fed.nodes))
    })
    const a = fed.node('IT')
    const b = fed.node('FR')
    await waitUntilReachable(a, b)
    const { caseId } = await a.client.call(caseRoutes.open, {
      body: { to: 'FR', request: preservationForm() },
    })
    await waitFor(async () => (await b.client.call(caseRoutes.list)).cases.some((c) => c.id === caseId), {
      timeoutMs: 60_000,
      description: 'FR to hold the case',
    })
    await b.client.call(caseRoutes.step, {
      params: { id: caseId },
      body: { kind: 'acknowledged', by: 'Duty officer' },
    })
    await waitFor(
      async () =>
        (await a.client.call(caseRoutes.detail, { params: { id: caseId } })).case.acknowledgement !==
        undefined,
      { timeoutMs: 60_000, description: "AA to see FR's acknowledgement" },
    )

    // the checkpoint and the DHT come in the background: wait for them in the figures themselves
    let families = new Map<string, MetricFamily>()
    await waitFor(
      async () => {
        ;({ families } = await scrape())
        return (
          (value(families, 'pocnet_ledger_checkpoint_entries') ?? 0) > 0 &&
          (value(families, 'pocnet_dht_records') ?? 0) > 0
        )
      },
      { timeoutMs: 60_000, intervalMs: 500, description: 'a checkpoint and a DHT record in the figures' },
    )
    const families_ = families
    const v = (name: string, labels: Record<string, string> = {}) => value(families_, name, labels)

    // every pocnet figure is there, documented and typed
    for (const name of POCNET_FIGURE_NAMES) {
      const family = families.get(name)
      expect(family, name).toBeDefined()
      expect(family!.help, name).not.toBe('')
    }
    expect(v('pocnet_node_info', { country: 'IT', network: fed.network })).toBe(1)
    expect(v('pocnet_outbox_messages')).toBe(0)
    expect(v('pocnet_outbox_oldest_undelivered_age_seconds')).toBe(0)
    expect(v('pocnet_outbox_retrying_messages')).toBe(0)
    expect(v('pocnet_messages_delivered_total')).toBeGreaterThanOrEqual(1)
    // FR's acknowledgement came as a message
    expect(v('pocnet_messages_received_total')).toBeGreaterThanOrEqual(1)
    expect(families.get('pocnet_messages_undelivered_total')!.type).toBe('counter')
    expect(families.get('pocnet_rejections_total')!.type).toBe('counter')
    expect(families.get('pocnet_connection_refusals_total')!.type).toBe('counter')
    expect(v('pocnet_frame_budget_refusals_total')).toBe(0)
    expect(v('pocnet_frame_budget_held_bytes')).toBeGreaterThanOrEqual(0)
    expect(v('pocnet_frame_budget_limit_bytes', { scope: 'member' })).toBe(16 * 1024 * 1024)
    expect(v('pocnet_cases_open', { side: 'requester', deadline: 'on-time' })).toBe(1)
    expect(v('pocnet_cases_open', { side: 'requester', deadline: 'missed' })).toBe(0)
    expect(v('pocnet_cases_open', { side: 'requested', deadline: 'on-time' })).toBe(0)
    // the acknowledgement, in the histogram of this side and the request's urgency
    const ack = { side: 'requester', urgency: 'urgent' }
    expect(v('pocnet_case_acknowledgement_seconds_count', ack)).toBe(1)
    expect(v('pocnet_case_acknowledgement_seconds_sum', ack)).toBeGreaterThanOrEqual(0)
    expect(v('pocnet_case_acknowledgement_seconds_bucket', { ...ack, le: '+Inf' })).toBe(1)
    expect(v('pocnet_delivery_receipt_seconds_count')).toBeGreaterThanOrEqual(1)
    expect(v('pocnet_delivery_receipt_seconds_sum')).toBeGreaterThan(0)
    expect(v('pocnet_witness_cosigners_required')).toBe(1)
    expect(v('pocnet_witness_cosigners')).toBeGreaterThanOrEqual(0)
    expect([0, 1]).toContain(v('pocnet_witness_policy_met'))
    expect(v('pocnet_witness_equivocations')).toBe(0)
    expect(v('pocnet_witness_cosigned_for_others_total')).toBeGreaterThanOrEqual(0)
    expect(v('pocnet_peers_connected')).toBeGreaterThanOrEqual(1)
    expect(v('pocnet_roster_members')).toBe(2)
    expect(v('pocnet_roster_version')).toBe(0)
    const entries = v('pocnet_ledger_entries')!
    expect(entries).toBeGreaterThan(0)
    expect(v('pocnet_ledger_checkpoint_entries')).toBeLessThanOrEqual(entries)
    expect(v('pocnet_ledger_checkpoint_age_seconds')).toBeGreaterThanOrEqual(0)
    // libp2p's own metrics and the process's, through @libp2p/prometheus-metrics
    expect(families.get('libp2p_data_transfer_bytes_total')).toBeDefined()
    expect(families.get('process_cpu_user_seconds_total')).toBeDefined()
    expect(families.get('nodejs_fs_usage_bytes')).toBeDefined()
  })

  it('answers OpenMetrics when asked, and the text format again after it', async () => {
    const open = await scrape('application/openmetrics-text; version=1.0.0,text/plain;version=0.0.4;q=0.5')
    expect(open.contentType).toBe('application/openmetrics-text; version=1.0.0; charset=utf-8')
    expect(open.families.get('pocnet_messages_delivered')!.samples[0]!.name).toBe(
      'pocnet_messages_delivered_total',
    )
    // an OpenMetrics scrape leaves the text format's counter names as they were
    const text = await scrape('text/plain')
    expect(text.contentType).toBe('text/plain; version=0.0.4; charset=utf-8')
    expect(text.families.get('pocnet_messages_delivered_total')!.type).toBe('counter')
  })

  it('serves /metrics only, and GET only', async () => {
    const other = await fetch(`http://127.0.0.1:${metricsPort}/`)
    expect(other.status).toBe(404)
    expect(await other.text()).toBe(`not found: the metrics are at ${METRICS_PATH}\n`)
    const post = await fetch(url, { method: 'POST' })
    expect(post.status).toBe(405)
    expect(post.headers.get('allow')).toBe('GET, HEAD')
    await post.text()
  })

  it('opens no metrics port on a node whose config has no "metrics"', async () => {
    const b = fed.node('FR')
    expect(await listeningTcpPorts(b.process!.pid)).toEqual([b.port])
    // IT listens on its libp2p port and its metrics port
    const a = fed.node('IT')
    expect(await listeningTcpPorts(a.process!.pid)).toEqual([a.port, metricsPort].sort((x, y) => x - y))
  })
})
