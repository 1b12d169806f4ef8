/**
 * The ha-webstack security policy pack. Run it with the stack:
 *
 *     pulumi preview --policy-pack policy
 *
 * The policies live in ./policies (constructing a PolicyPack starts the analyzer's gRPC server, so
 * tests import ./policies, never this file).
 */
import { PolicyPack } from "@pulumi/policy";
import { DEFAULT_ENFORCEMENT, PACK_NAME, policies } from "./policies";

new PolicyPack(PACK_NAME, {
    description:
        "Security baseline of ha-webstack (mandatory): closed firewall, TLS 1.2+ only, encrypted storage, IMDSv2, no SSH, least-privilege IAM; and resilience advice (advisory): Multi-AZ database, deletion protection.",
    enforcementLevel: DEFAULT_ENFORCEMENT,
    policies,
});
