/**
 * The security-relevant changes between two plans, in plain words: what a reviewer must look at
 * twice. Each finding names the resource and what became weaker: a firewall opened wider or to
 * the internet, a new port, a security group newly attached; IAM, trust and resource policies
 * widened, a Deny removed or a condition loosened; encryption, deletion protection, backups, TLS
 * to the database, access logs or flow logs turned off or narrowed; something made public (a
 * database, a bucket, a subnet, a route to the internet gateway); TLS weakened; a protection
 * (WAF, flow logs, public access block) removed. Changes that tighten things are not listed here
 * (they are in the resource diff); a value this review does not know is named "review", never
 * assumed safe.
 *
 * The rules live by concern in ./security/ (firewall, policies, settings, routes, tls); this is
 * the entry point.
 *
 * A guarded resource removed and another of the same type added in its place (a rename, so a
 * replacement) is compared with the one it replaces, so a weakening cannot hide behind a new name.
 */
import type { PlanResource } from "./document";
import { attachmentFindings, firewallFindings } from "./security/firewall";
import { policyFindings } from "./security/policies";
import { Review, type SecurityFinding } from "./security/review";
import { routeFindings } from "./security/routes";
import { databaseTlsFindings, guardFindings, removedFindings, serverFindings } from "./security/settings";
import { tlsFindings } from "./security/tls";

export type { SecurityFinding } from "./security/review";
export { tlsWeakening } from "./security/tls";

/** The security-relevant changes from `base` to `head`, most serious kinds first. */
export function securityChanges(base: readonly PlanResource[], head: readonly PlanResource[]): SecurityFinding[] {
    const review = new Review(base, head);
    return [
        ...firewallFindings(review),
        ...attachmentFindings(review),
        ...routeFindings(review),
        ...policyFindings(review),
        ...guardFindings(review),
        ...serverFindings(review),
        ...databaseTlsFindings(review),
        ...tlsFindings(review),
        ...removedFindings(review),
    ];
}
