/**
 * The ha-webstack security policy pack. Run it with the stack:
 *
 *     pulumi preview --policy-pack policy
 *
 * The policies live in ./policies (constructing a PolicyPack starts the analyzer's gRPC server, so
 * tests import ./policies, never this file).
 */
import { PolicyPack } from "@pulumi/policy";
import { policies } from "./policies";

new PolicyPack("ha-webstack-security", {
    description:
        "Security baseline of ha-webstack: closed firewall, TLS 1.2+ only, encrypted storage, IMDSv2, no SSH, least-privilege IAM.",
    enforcementLevel: "mandatory",
    policies,
});
