import { DEADLINE_STATES } from '../casebook/index.ts'
import type { DrillCountrySummary } from '../drills/summary.ts'
import type { MetricSources, Scrape } from './scrape.ts'

/** Values by label set, for a figure with labels. */
export type LabelledValues = Array<{ labels: Record<string, string>; value: number }>

/**
 * One figure of the node, read from a scrape: a gauge (a level now) or a counter (a count since
 * the daemon started; `_total` names). Adding one to the endpoint is one entry in FIGURES; one that
 * needs a part of the node the scrape does not read takes it from `sources` (a field added to
 * MetricSources and to the sources the daemon hands over).
 */
export interface Figure {
  name: string
  help: string
  type: 'gauge' | 'counter'
  labelNames?: readonly string[]
  /** The value now, or one per label set; undefined leaves the figure without a sample this scrape. */
  read(scrape: Scrape, sources: MetricSources): number | LabelledValues | undefined
}

/** `counts` as label sets under `label`. */
function byLabel(label: string, counts: Record<string, number | undefined>): LabelledValues {
  return Object.entries(counts)
    .filter((entry): entry is [string, number] => entry[1] !== undefined)
    .map(([value, count]) => ({ labels: { [label]: value }, value: count }))
}

const DRILL_OUTCOMES = ['sent', 'receipted', 'acknowledged', 'refused', 'failed'] as const

/** The median of one of the drill times, in seconds, per country that has one. */
function medians(
  countries: readonly DrillCountrySummary[],
  of: 'receipt' | 'acknowledgement',
): LabelledValues {
  return countries.flatMap((c) => {
    const ms = c[of].medianMs
    return ms === null ? [] : [{ labels: { country: c.country }, value: ms / 1000 }]
  })
}

/** The node's own figures (docs/operations.md, Monitoring), read from its state at each scrape. */
export const FIGURES: readonly Figure[] = [
  {
    name: 'pocnet_node_info',
    help: 'Always 1; the labels name this node: country, network and how it seals (hybrid or classical).',
    type: 'gauge',
    labelNames: ['country', 'network', 'sealing'],
    read: ({ health: h }) => [
      { labels: { country: h.country, network: h.network, sealing: h.sealing }, value: 1 },
    ],
  },
  {
    name: 'pocnet_outbox_messages',
    help: 'Messages in the outbox: sent, durable, not yet receipted nor given up on.',
    type: 'gauge',
    read: ({ health }) => health.outboxDepth,
  },
  {
    name: 'pocnet_outbox_oldest_undelivered_age_seconds',
    help: 'How long the oldest message in the outbox has waited for its receipt; 0 when the outbox is empty.',
    type: 'gauge',
    read: ({ health, now }) =>
      health.oldestUndeliveredAt === null ? 0 : Math.max(0, now - health.oldestUndeliveredAt) / 1000,
  },
  {
    name: 'pocnet_outbox_retrying_messages',
    help: 'Messages in the outbox whose last delivery attempt failed, waiting for the next one.',
    type: 'gauge',
    read: ({ retrying }) => retrying,
  },
  {
    name: 'pocnet_messages_delivered_total',
    help: 'Messages this node sent that a signed receipt accepted, since start.',
    type: 'counter',
    read: ({ health }) => health.delivered,
  },
  {
    name: 'pocnet_messages_received_total',
    help: 'Messages this node accepted and receipted, since start.',
    type: 'counter',
    read: ({ health }) => health.received,
  },
  {
    name: 'pocnet_rejections_total',
    help: 'What this node refused from peers since start, by reason: the `rejected` counts of `pocnet status`.',
    type: 'counter',
    labelNames: ['reason'],
    read: ({ health }) => byLabel('reason', health.rejected),
  },
  {
    name: 'pocnet_connection_refusals_total',
    help: 'Connections refused or cut before they carried anything, since start, by reason.',
    type: 'counter',
    labelNames: ['reason'],
    read: ({ health }) => byLabel('reason', health.connectionRefusals),
  },
  {
    name: 'pocnet_frame_budget_refusals_total',
    help: 'Frames refused since start because they would pass the frame budget (also in pocnet_rejections_total as over-budget).',
    type: 'counter',
    read: ({ health }) => health.rejected['over-budget'] ?? 0,
  },
  {
    name: 'pocnet_frame_budget_held_bytes',
    help: 'Bytes held now in frames being read, on every protocol this node serves.',
    type: 'gauge',
    read: ({ health }) => health.frameBudget.heldBytes,
  },
  {
    name: 'pocnet_frame_budget_limit_bytes',
    help: 'The frame budget: for all members together (scope="total") and for one member (scope="member").',
    type: 'gauge',
    labelNames: ['scope'],
    read: ({ health: { frameBudget } }) => [
      { labels: { scope: 'total' }, value: frameBudget.totalBytes },
      { labels: { scope: 'member' }, value: frameBudget.perMemberBytes },
    ],
  },
  {
    name: 'pocnet_cases_open',
    help: 'Open cases by this node’s side and deadline state: on-time, near (a warning is due) or missed (a deadline passed).',
    type: 'gauge',
    labelNames: ['side', 'deadline'],
    read: ({ cases }) =>
      (['requester', 'requested'] as const).flatMap((side) =>
        DEADLINE_STATES.map((deadline) => ({
          labels: { side, deadline },
          value: cases.open.find((o) => o.side === side && o.deadline === deadline)?.count ?? 0,
        })),
      ),
  },
  {
    name: 'pocnet_witness_cosigners',
    help: 'Distinct other members whose cosignature the latest checkpoint carries.',
    type: 'gauge',
    read: ({ health }) => health.witness.cosigners.length,
  },
  {
    name: 'pocnet_witness_cosigners_required',
    help: 'Cosignatures the witnessing policy asks of each checkpoint (witness.minCosigners or a majority of the other members).',
    type: 'gauge',
    read: ({ health }) => health.witness.minCosigners,
  },
  {
    name: 'pocnet_witness_policy_met',
    help: '1 when the latest checkpoint carries the cosignatures the policy asks for, else 0.',
    type: 'gauge',
    read: ({ health }) => (health.witness.meetsPolicy ? 1 : 0),
  },
  {
    name: 'pocnet_witness_equivocations',
    help: 'Equivocations (two checkpoints of one log that disagree) this node has recorded, this start and before: any is an alarm.',
    type: 'gauge',
    read: ({ health }) => health.witness.equivocations,
  },
  {
    name: 'pocnet_witness_cosigned_for_others_total',
    help: 'Checkpoints of other members this node cosigned, since start.',
    type: 'counter',
    read: ({ health }) => health.witness.cosignedForOthers,
  },
  {
    name: 'pocnet_peers_connected',
    help: 'Peers this node holds a connection with now.',
    type: 'gauge',
    read: ({ health }) => health.peersConnected,
  },
  {
    name: 'pocnet_roster_members',
    help: 'Members of the roster this node follows, itself included.',
    type: 'gauge',
    read: (_scrape, sources) => sources.rosterMembers(),
  },
  {
    name: 'pocnet_roster_version',
    help: 'Version of the roster this node follows.',
    type: 'gauge',
    read: ({ health }) => health.rosterVersion,
  },
  {
    name: 'pocnet_dht_records',
    help: 'Directory records this node stores for the DHT now.',
    type: 'gauge',
    read: ({ dhtRecords }) => dhtRecords,
  },
  {
    name: 'pocnet_drills',
    help: 'Reachability drills this node sent, by country drilled and outcome: sent, receipted (machine receipt), acknowledged (by an officer), refused, failed.',
    type: 'gauge',
    labelNames: ['country', 'outcome'],
    read: ({ drills }) =>
      drills.countries.flatMap((c) =>
        DRILL_OUTCOMES.map((outcome) => ({ labels: { country: c.country, outcome }, value: c[outcome] })),
      ),
  },
  {
    name: 'pocnet_drill_receipt_seconds',
    help: 'Median time from sending a drill to the counterpart node’s signed receipt, by country drilled.',
    type: 'gauge',
    labelNames: ['country'],
    read: ({ drills }) => medians(drills.countries, 'receipt'),
  },
  {
    name: 'pocnet_drill_acknowledgement_seconds',
    help: 'Median time from sending a drill to the counterpart officer’s acknowledgement, by country drilled.',
    type: 'gauge',
    labelNames: ['country'],
    read: ({ drills }) => medians(drills.countries, 'acknowledgement'),
  },
  {
    name: 'pocnet_drills_awaiting_acknowledgement',
    help: 'Drills other members sent this node that no officer here has acknowledged yet.',
    type: 'gauge',
    read: ({ drills }) => drills.received.filter((d) => d.answer === null).length,
  },
  {
    name: 'pocnet_duty_officer_on_duty',
    help: '1 when the duty roster has an officer on duty now, else 0 (a node without shifts pages no one).',
    type: 'gauge',
    read: ({ duty }) => (duty.officerOnDuty ? 1 : 0),
  },
  {
    name: 'pocnet_duty_pages',
    help: 'Pages sent about cases, this start and before, by the place of the person paged: officer, backup, supervisor, requester.',
    type: 'gauge',
    labelNames: ['place'],
    read: ({ duty }) => byLabel('place', duty.pages),
  },
  {
    name: 'pocnet_ledger_entries',
    help: 'Entries in this node’s ledger (its tree size).',
    type: 'gauge',
    read: ({ health }) => health.ledgerSize,
  },
  {
    name: 'pocnet_ledger_checkpoint_entries',
    help: 'Entries the latest signed checkpoint covers; below pocnet_ledger_entries until the next one is cut.',
    type: 'gauge',
    read: ({ health }) => health.lastCheckpoint?.size ?? 0,
  },
  {
    name: 'pocnet_ledger_checkpoint_age_seconds',
    help: 'Seconds since the newest entry the latest checkpoint covers was written (about the checkpoint’s age; before the first checkpoint, since the first entry).',
    type: 'gauge',
    read: ({ checkpointAgeSeconds }) => checkpointAgeSeconds,
  },
]
