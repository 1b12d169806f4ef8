/**
 * The ha-webstack security baseline as CrossGuard policies.
 *
 * This module only *collects* the policies, one file per resource family under `rules/` (what they
 * share is in `helpers.ts`): `policy/index.ts` hands them to `new PolicyPack(...)`, which starts a
 * gRPC server and may exit the process, so tests import this module instead and call each
 * policy's `validateResource` / `validateStack` directly, or run them all with `runPolicies`
 * (`testing.ts`).
 *
 * The security baseline is `mandatory`; the resilience advice (`rules/resilience.ts`: Multi-AZ,
 * deletion protection) is `advisory`, which a development stack may ignore. Messages name the resource property and the offending value.
 * The rules come from the architecture ("no 0.0.0.0/0 anywhere but the ALB's listeners; no
 * port 22", "IMDSv2 only", "encrypted", "no key pair", ...), each linked to the AWS documentation
 * behind it.
 *
 * The Pulumi CLI's policy runner compiles the pack with ts-node and `policy/tsconfig.json`, whose
 * ES2020 libraries `npm run typecheck` enforces (`replaceAll`, `Object.hasOwn`, `findLast`: no
 * ES2021+ library calls here or in what this imports); ESLint also names `Array.prototype.at`,
 * which @types/node declares for every target.
 */
import { Policies, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import {
    sgNoInternetIngress,
    sgNoSsh,
    sgNoAllProtocolIngress,
    sgNoAllProtocolEgressToInternet,
    defaultSecurityGroupClosed,
    vpcDefaultSecurityGroupAdopted,
} from "./rules/network";
import { listenerTls, albDropInvalidHeaders } from "./rules/loadBalancer";
import { rdsEncrypted, rdsNotPublic, rdsBackups, rdsFinalSnapshot } from "./rules/rds";
import { ec2Imdsv2, ec2EbsEncrypted, ec2NoKeyPair, ec2NoPublicIp } from "./rules/ec2";
import { s3PublicAccessBlock, s3BucketProtected, s3BucketTlsOnly } from "./rules/s3";
import { wafWebAclAssociated } from "./rules/waf";
import { iamNoAdminStatements, iamNoPassRoleOnAll, iamNoBroadManagedPolicies } from "./rules/iam";
import { rdsMultiAz, albDeletionProtection } from "./rules/resilience";

export * from "./helpers";
export * from "./rules/ec2";
export * from "./rules/iam";
export * from "./rules/loadBalancer";
export * from "./rules/network";
export * from "./rules/rds";
export * from "./rules/resilience";
export * from "./rules/s3";
export * from "./rules/waf";

export const resourcePolicies: ResourceValidationPolicy[] = [
    sgNoInternetIngress,
    sgNoSsh,
    sgNoAllProtocolIngress,
    sgNoAllProtocolEgressToInternet,
    defaultSecurityGroupClosed,
    listenerTls,
    albDropInvalidHeaders,
    rdsEncrypted,
    rdsNotPublic,
    rdsBackups,
    rdsFinalSnapshot,
    ec2Imdsv2,
    ec2EbsEncrypted,
    ec2NoKeyPair,
    ec2NoPublicIp,
    s3PublicAccessBlock,
    iamNoAdminStatements,
    iamNoPassRoleOnAll,
    iamNoBroadManagedPolicies,
    rdsMultiAz,
    albDeletionProtection,
];

export const stackPolicies: StackValidationPolicy[] = [
    vpcDefaultSecurityGroupAdopted,
    s3BucketProtected,
    s3BucketTlsOnly,
    wafWebAclAssociated,
];

/** The pack's name, as `pulumi preview --policy-pack` reports it. */
export const PACK_NAME = "ha-webstack-security";

/** The level of a policy that sets none (the pack's, `policy/index.ts`). */
export const DEFAULT_ENFORCEMENT = "mandatory";

/** Everything `policy/index.ts` hands to `new PolicyPack(...)`. */
export const policies: Policies = [...resourcePolicies, ...stackPolicies];
