/**
 * Where the instances go. The single-AZ primary takes the first AZ, so that no replica shares it;
 * a Multi-AZ primary is placed by RDS (which refuses an explicit AZ for it).
 */
import { ValidationError } from "../shared/validation";

/** Replica `i`'s AZ: `zones[1 + (i mod (n - 1))]`, never `zones[0]` (the single-AZ primary's). */
export function replicaAvailabilityZone(zones: string[], i: number): string {
    if (zones.length < 2) {
        throw new ValidationError(`replicas need at least two AZs, got ${JSON.stringify(zones)}`);
    }
    return zones[1 + (i % (zones.length - 1))];
}
