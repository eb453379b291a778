import { checkpointOrigin } from '../checkpoint.ts'

/**
 * The name a member's witness cosigns under: its own log's origin. The key is its roster key
 * (protocol.md §2.1: a cosignature/v1 message can never pass for a checkpoint body, and the key
 * ID differs by signature type), so a verifier finds every member's witness key in the roster.
 */
export function memberWitnessName(networkId: string, country: string): string {
  return checkpointOrigin(networkId, country)
}
