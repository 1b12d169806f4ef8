/**
 * The ha-webstack security baseline as CrossGuard policies.
 *
 * This module only *defines* policies: `policy/index.ts` hands them to `new PolicyPack(...)`, which
 * starts a gRPC server and may exit the process, so tests import this module instead and call each
 * policy's `validateResource` / `validateStack` directly, or run them all with `runPolicies`.
 *
 * Every policy is `mandatory`. Messages name the resource property and the offending value.
 * The rules come from the architecture ("no 0.0.0.0/0 anywhere but the ALB's listeners; no
 * port 22", "IMDSv2 only", "encrypted", "no key pair", ...), each linked to the AWS documentation
 * behind it.
 *
 * The Pulumi CLI's policy runner compiles the pack with ts-node and `policy/tsconfig.json`, whose
 * ES2020 libraries `npm run typecheck` enforces: no ES2021+ library calls here or in what this
 * imports (`replaceAll`, `Array.prototype.at`, `Object.hasOwn`).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as policySdk from "@pulumi/policy";
import { TLS_POLICIES } from "../components/shared/tlsPolicies";
import {
    Policies,
    PolicyResource,
    ReportViolation,
    ResourceValidation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationPolicy,
    validateResourceOfType,
} from "@pulumi/policy";

// ---------------------------------------------------------------------------------------------
// 1. Security groups
// https://docs.aws.amazon.com/vpc/latest/userguide/security-group-rules.html
// Rules can be written four ways in pulumi-aws 7; `securityGroupRules` flattens them all.
// ---------------------------------------------------------------------------------------------

/** The resource types that carry security group rules (the default group has its own policy). */
const SECURITY_GROUP_RULE_TYPES = [
    aws.ec2.SecurityGroup,
    aws.ec2.SecurityGroupRule,
    aws.vpc.SecurityGroupIngressRule,
    aws.vpc.SecurityGroupEgressRule,
];

/** Ports the internet may reach: the ALB's HTTP (redirect only) and HTTPS listeners. */
export const INTERNET_INGRESS_TCP_PORTS: ReadonlyArray<number> = [80, 443];

/**
 * Only TCP 80/443 may be open to 0.0.0.0/0 or ::/0 (AWS Security Hub EC2.18 "unrestricted
 * incoming traffic only for authorized ports"; the architecture: "no 0.0.0.0/0 anywhere but the
 * ALB's listeners").
 */
const sgNoInternetIngress: ResourceValidationPolicy = {
    name: "security-group-no-internet-ingress-except-http-https",
    description: "Security groups admit traffic from 0.0.0.0/0 or ::/0 only on TCP 80 and 443 (the ALB's listeners).",
    enforcementLevel: "mandatory",
    validateResource: validateSecurityGroupRules((rules, report) => {
        for (const rule of rules.filter((r) => r.direction === "ingress")) {
            for (const source of rule.sources.filter((s) => isWorldCidr(s.cidr))) {
                if (!isInternetServingRule(rule)) {
                    report(
                        `${source.property} "${source.cidr}" opens ${describeRule(rule)} to the internet; ` +
                            `only TCP ${INTERNET_INGRESS_TCP_PORTS.join(" and ")} (the ALB's listeners) may be open to 0.0.0.0/0 or ::/0.`,
                    );
                }
            }
        }
    }),
};

/**
 * No rule, from any source, may cover port 22: servers are reached through SSM Session Manager
 * (Security Hub EC2.13; https://docs.aws.amazon.com/systems-manager/latest/userguide/session-manager.html).
 */
const sgNoSsh: ResourceValidationPolicy = {
    name: "security-group-no-ssh",
    description: "No security group ingress rule covers TCP port 22 (SSH): use SSM Session Manager.",
    enforcementLevel: "mandatory",
    validateResource: validateSecurityGroupRules((rules, report) => {
        for (const rule of rules.filter((r) => r.direction === "ingress")) {
            if (
                (rule.protocol === "tcp" || rule.protocol === "-1") &&
                coversPort(rule.protocol, rule.fromPort, rule.toPort, 22)
            ) {
                report(`${describeRule(rule)} covers port 22 (SSH); no SSH is allowed (use SSM Session Manager).`);
            }
        }
    }),
};

/** An all-protocol ingress rule opens every port of every protocol: the chain must name its port. */
const sgNoAllProtocolIngress: ResourceValidationPolicy = {
    name: "security-group-no-all-protocol-ingress",
    description: "No security group ingress rule uses protocol -1 (all protocols, all ports).",
    enforcementLevel: "mandatory",
    validateResource: validateSecurityGroupRules((rules, report) => {
        for (const rule of rules.filter((r) => r.direction === "ingress" && r.protocol === "-1")) {
            report(
                `${rule.protocolProperty} "${rule.rawProtocol}" admits every protocol and port; name the protocol and port range.`,
            );
        }
    }),
};

/**
 * Egress is limited per tier (servers → DB 3306, HTTPS out through NAT...): an all-protocol rule
 * to the whole internet undoes that.
 */
const sgNoAllProtocolEgressToInternet: ResourceValidationPolicy = {
    name: "security-group-no-all-protocol-egress-to-internet",
    description: "No security group egress rule sends all protocols (-1) to 0.0.0.0/0 or ::/0.",
    enforcementLevel: "mandatory",
    validateResource: validateSecurityGroupRules((rules, report) => {
        for (const rule of rules.filter((r) => r.direction === "egress" && r.protocol === "-1")) {
            for (const source of rule.sources.filter((s) => isWorldCidr(s.cidr))) {
                report(
                    `${rule.protocolProperty} "${rule.rawProtocol}" with ${source.property} "${source.cidr}" allows all traffic out to the internet; ` +
                        `limit egress to the protocols and ports the tier needs.`,
                );
            }
        }
    }),
};

// ---------------------------------------------------------------------------------------------
// 2. The VPC's default security group
// Security Hub EC2.2: "VPC default security groups should not allow inbound or outbound traffic".
// https://docs.aws.amazon.com/securityhub/latest/userguide/ec2-controls.html#ec2-2
// ---------------------------------------------------------------------------------------------

const defaultSecurityGroupClosed: ResourceValidationPolicy = {
    name: "default-security-group-no-rules",
    description: "The VPC's default security group (aws.ec2.DefaultSecurityGroup) has no ingress and no egress rules.",
    enforcementLevel: "mandatory",
    validateResource: validateResourceOfType(aws.ec2.DefaultSecurityGroup, (sg, _args, report) => {
        for (const property of ["ingress", "egress"] as const) {
            const rules = sg[property] ?? [];
            if (rules.length > 0) {
                report(
                    `${property} has ${rules.length} rule(s); the default security group must stay empty (${JSON.stringify(rules[0])}).`,
                );
            }
        }
    }),
};

/**
 * AWS creates a default security group that admits all traffic from itself and allows all egress;
 * only adopting it as an `aws.ec2.DefaultSecurityGroup` (which strips its rules) closes it.
 */
const vpcDefaultSecurityGroupAdopted: StackValidationPolicy = {
    name: "vpc-default-security-group-adopted",
    description:
        "Every VPC has an aws.ec2.DefaultSecurityGroup resource (with no rules) that closes its default security group.",
    enforcementLevel: "mandatory",
    validateStack: (args, report) => {
        const defaults = args.resources.filter((r) => r.type === getPulumiType(aws.ec2.DefaultSecurityGroup));
        for (const vpc of args.resources.filter((r) => r.type === getPulumiType(aws.ec2.Vpc))) {
            if (!defaults.some((sg) => refersTo(sg, "vpcId", vpc, knownValues(vpc, ["id"])))) {
                report(
                    `VPC "${vpc.name}" has no aws.ec2.DefaultSecurityGroup whose vpcId is this VPC; its default security group stays open.`,
                    vpc.urn,
                );
            }
        }
    },
};

// ---------------------------------------------------------------------------------------------
// 3. Load balancer
// ---------------------------------------------------------------------------------------------

/** The TLS 1.2/1.3 policies the library accepts (components/shared/tlsPolicies.ts, one list for both). */
export const ALLOWED_SSL_POLICIES: ReadonlyArray<string> = TLS_POLICIES;

/** The fields of `aws.lb.Listener` / `aws.alb.Listener` inputs this pack reads. */
interface ListenerInputs {
    protocol?: string;
    sslPolicy?: string;
    defaultActions?: ReadonlyArray<{ type: string; redirect?: { protocol?: string } }>;
}

/**
 * HTTPS (or TLS) listeners use an allow-listed policy; a plaintext listener only redirects to HTTPS.
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-listeners.html#redirect-actions
 */
function checkListener(listener: ListenerInputs, report: ReportViolation): void {
    const protocol = (listener.protocol ?? "HTTP").toUpperCase(); // an ALB listener defaults to HTTP
    if (protocol === "HTTPS" || protocol === "TLS") {
        if (!listener.sslPolicy) {
            report(
                `sslPolicy is not set on a ${protocol} listener: AWS then applies ELBSecurityPolicy-2016-08 (TLS 1.0+); use ${ALLOWED_SSL_POLICIES[0]}.`,
            );
        } else if (ALLOWED_SSL_POLICIES.indexOf(listener.sslPolicy) < 0) {
            report(
                `sslPolicy "${listener.sslPolicy}" is not an allowed TLS 1.2/1.3 policy; use ${ALLOWED_SSL_POLICIES[0]} (see ALLOWED_SSL_POLICIES).`,
            );
        }
        return;
    }
    const actions = listener.defaultActions ?? [];
    const notRedirect = actions.filter(
        (a) => a.type !== "redirect" || (a.redirect?.protocol ?? "").toUpperCase() !== "HTTPS",
    );
    if (actions.length === 0 || notRedirect.length > 0) {
        const offending = notRedirect.map(
            (a) => `type "${a.type}"${a.redirect ? ` to protocol "${a.redirect.protocol ?? "#{protocol}"}"` : ""}`,
        );
        report(
            `protocol "${protocol}" serves plaintext: every defaultActions entry must redirect to protocol "HTTPS" ` +
                `(found ${offending.length > 0 ? offending.join(", ") : "no default action"}).`,
        );
    }
}

const listenerTls: ResourceValidationPolicy = {
    name: "lb-listener-https-modern-tls",
    description:
        "Load balancer listeners use HTTPS with a TLS 1.2/1.3 security policy from the allow-list; HTTP listeners only redirect to HTTPS.",
    enforcementLevel: "mandatory",
    validateResource: [
        validateResourceOfType(aws.lb.Listener, (listener, _args, report) => checkListener(listener, report)),
        validateResourceOfType(aws.alb.Listener, (listener, _args, report) => checkListener(listener, report)),
    ],
};

/** The fields of `aws.lb.LoadBalancer` / `aws.alb.LoadBalancer` inputs this pack reads. */
interface LoadBalancerInputs {
    loadBalancerType?: string;
    dropInvalidHeaderFields?: boolean;
}

/**
 * Dropping headers with invalid field names closes a request-smuggling vector (Security Hub ELB.4).
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/application/application-load-balancers.html#load-balancer-attributes
 */
function checkDropInvalidHeaders(lb: LoadBalancerInputs, report: ReportViolation): void {
    const type = lb.loadBalancerType ?? "application"; // the provider's default
    if (type === "application" && lb.dropInvalidHeaderFields !== true) {
        report(
            `dropInvalidHeaderFields is ${JSON.stringify(lb.dropInvalidHeaderFields)} on an application load balancer; set it to true.`,
        );
    }
}

const albDropInvalidHeaders: ResourceValidationPolicy = {
    name: "alb-drop-invalid-header-fields",
    description:
        "Application load balancers drop HTTP headers with invalid field names (dropInvalidHeaderFields: true).",
    enforcementLevel: "mandatory",
    validateResource: [
        validateResourceOfType(aws.lb.LoadBalancer, (lb, _args, report) => checkDropInvalidHeaders(lb, report)),
        validateResourceOfType(aws.alb.LoadBalancer, (lb, _args, report) => checkDropInvalidHeaders(lb, report)),
    ],
};

// ---------------------------------------------------------------------------------------------
// 4. RDS. A replica (`replicateSourceDb` set) inherits encryption and backups from its source and
// may skip its final snapshot, so only the "every instance" rules apply to it.
// ---------------------------------------------------------------------------------------------

/** https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Overview.Encryption.html ("a read replica ... is encrypted with the same key as its source"). */
const rdsEncrypted: ResourceValidationPolicy = {
    name: "rds-storage-encrypted",
    description: "RDS source instances set storageEncrypted: true (replicas inherit encryption from their source).",
    enforcementLevel: "mandatory",
    validateResource: validateResourceOfType(aws.rds.Instance, (db, _args, report) => {
        if (!db.replicateSourceDb && db.storageEncrypted !== true) {
            report(
                `storageEncrypted is ${JSON.stringify(db.storageEncrypted)}; set it to true (encryption cannot be added to an existing instance).`,
            );
        }
    }),
};

/** The database lives in isolated subnets and is reachable from the servers' group only. */
const rdsNotPublic: ResourceValidationPolicy = {
    name: "rds-not-publicly-accessible",
    description: "No RDS instance (primary or replica) sets publiclyAccessible: true.",
    enforcementLevel: "mandatory",
    validateResource: validateResourceOfType(aws.rds.Instance, (db, _args, report) => {
        if (db.publiclyAccessible === true) {
            report(`publiclyAccessible is true; the database must only be reachable from the servers' security group.`);
        }
    }),
};

/**
 * Automated backups must be on for a source to have read replicas, and for point-in-time recovery.
 * https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ReadRepl.html
 */
const rdsBackups: ResourceValidationPolicy = {
    name: "rds-backup-retention",
    description:
        "RDS source instances keep automated backups for at least 1 day (backupRetentionPeriod >= 1; required for replicas).",
    enforcementLevel: "mandatory",
    validateResource: validateResourceOfType(aws.rds.Instance, (db, _args, report) => {
        if (!db.replicateSourceDb && !(typeof db.backupRetentionPeriod === "number" && db.backupRetentionPeriod >= 1)) {
            report(
                `backupRetentionPeriod is ${JSON.stringify(db.backupRetentionPeriod)}; set it to at least 1 day (read replicas need automated backups on the source).`,
            );
        }
    }),
};

/**
 * A source instance keeps a final snapshot on delete; without `finalSnapshotIdentifier` (and with
 * `skipFinalSnapshot: false`) pulumi-aws cannot even destroy it (pulumi-aws issue 2196).
 * https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_DeleteInstance.html
 */
const rdsFinalSnapshot: ResourceValidationPolicy = {
    name: "rds-final-snapshot",
    description:
        "RDS source instances take a final snapshot on delete (skipFinalSnapshot false, finalSnapshotIdentifier set); replicas may skip it.",
    enforcementLevel: "mandatory",
    validateResource: validateResourceOfType(aws.rds.Instance, (db, _args, report) => {
        if (db.replicateSourceDb) {
            return;
        }
        if (db.skipFinalSnapshot === true) {
            report(
                `skipFinalSnapshot is true on a source instance; deleting it would lose the data without a snapshot.`,
            );
        }
        if (!db.finalSnapshotIdentifier) {
            report(
                `finalSnapshotIdentifier is ${JSON.stringify(db.finalSnapshotIdentifier)}; set one so a delete keeps a final snapshot (and can succeed).`,
            );
        }
    }),
};

// ---------------------------------------------------------------------------------------------
// 5. EC2: launch templates and instances (and standalone EBS volumes).
// ---------------------------------------------------------------------------------------------

/**
 * IMDSv2 (session tokens) blocks SSRF-style credential theft through the instance metadata service.
 * https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/configuring-IMDS-new-instances.html
 */
const ec2Imdsv2: ResourceValidationPolicy = {
    name: "ec2-imdsv2-required",
    description: 'Launch templates and instances require IMDSv2 (metadataOptions.httpTokens: "required").',
    enforcementLevel: "mandatory",
    validateResource: [
        validateResourceOfType(aws.ec2.LaunchTemplate, (lt, _args, report) =>
            checkHttpTokens(lt.metadataOptions, report),
        ),
        validateResourceOfType(aws.ec2.Instance, (instance, _args, report) => {
            if (!instance.metadataOptions && instance.launchTemplate) {
                return; // takes its metadata options from the launch template, checked on its own
            }
            checkHttpTokens(instance.metadataOptions, report);
        }),
    ],
};

function checkHttpTokens(options: { httpTokens?: string } | undefined, report: ReportViolation): void {
    if (options?.httpTokens !== "required") {
        report(
            `metadataOptions.httpTokens is ${JSON.stringify(options?.httpTokens)}; set it to "required" (IMDSv2 only).`,
        );
    }
}

/**
 * Every EBS volume is encrypted, the root volume included: a launch template with no EBS mapping
 * boots the AMI's snapshot as it is (unencrypted unless the account encrypts by default).
 * https://docs.aws.amazon.com/ebs/latest/userguide/ebs-encryption.html
 */
const ec2EbsEncrypted: ResourceValidationPolicy = {
    name: "ec2-ebs-encrypted",
    description:
        "Launch template EBS mappings, instance root/EBS block devices and EBS volumes are encrypted; a launch template maps an encrypted root volume.",
    enforcementLevel: "mandatory",
    validateResource: [
        validateResourceOfType(aws.ec2.LaunchTemplate, (lt, _args, report) => {
            const mappings = lt.blockDeviceMappings ?? [];
            mappings.forEach((mapping, i) => {
                // In pulumi-aws the launch template's `ebs.encrypted` is a string ("true"/"false").
                if (mapping.ebs && !isTrue(mapping.ebs.encrypted)) {
                    report(
                        `blockDeviceMappings[${i}].ebs.encrypted is ${JSON.stringify(mapping.ebs.encrypted)} (device ${mapping.deviceName ?? "?"}); set it to "true".`,
                    );
                }
            });
            if (!mappings.some((m) => m.ebs)) {
                report(
                    `blockDeviceMappings has no EBS mapping, so the root volume keeps the AMI's (unencrypted) settings; map the root device with ebs.encrypted "true".`,
                );
            }
        }),
        validateResourceOfType(aws.ec2.Instance, (instance, _args, report) => {
            if (
                instance.rootBlockDevice?.encrypted !== true &&
                !(instance.launchTemplate && !instance.rootBlockDevice)
            ) {
                report(
                    `rootBlockDevice.encrypted is ${JSON.stringify(instance.rootBlockDevice?.encrypted)}; set it to true.`,
                );
            }
            (instance.ebsBlockDevices ?? []).forEach((device, i) => {
                if (device.encrypted !== true) {
                    report(
                        `ebsBlockDevices[${i}].encrypted is ${JSON.stringify(device.encrypted)} (device ${device.deviceName}); set it to true.`,
                    );
                }
            });
        }),
        validateResourceOfType(aws.ebs.Volume, (volume, _args, report) => {
            if (volume.encrypted !== true) {
                report(`encrypted is ${JSON.stringify(volume.encrypted)}; set it to true.`);
            }
        }),
    ],
};

/** No key pair: there is no SSH; operators use SSM Session Manager. */
const ec2NoKeyPair: ResourceValidationPolicy = {
    name: "ec2-no-key-pair",
    description: "Launch templates and instances set no keyName (no SSH key pair; use SSM Session Manager).",
    enforcementLevel: "mandatory",
    validateResource: [
        validateResourceOfType(aws.ec2.LaunchTemplate, (lt, _args, report) => checkNoKeyName(lt.keyName, report)),
        validateResourceOfType(aws.ec2.Instance, (instance, _args, report) => checkNoKeyName(instance.keyName, report)),
    ],
};

function checkNoKeyName(keyName: string | undefined, report: ReportViolation): void {
    if (keyName) {
        report(`keyName is "${keyName}"; servers get no SSH key pair (use SSM Session Manager).`);
    }
}

/**
 * Servers live in private subnets behind the ALB: a public IP would bypass it.
 * https://docs.aws.amazon.com/vpc/latest/userguide/vpc-ip-addressing.html
 */
const ec2NoPublicIp: ResourceValidationPolicy = {
    name: "ec2-no-public-ip",
    description:
        "Launch templates and instances do not associate a public IP address (servers sit in private subnets).",
    enforcementLevel: "mandatory",
    validateResource: [
        validateResourceOfType(aws.ec2.LaunchTemplate, (lt, _args, report) => {
            (lt.networkInterfaces ?? []).forEach((nic, i) => {
                if (isTrue(nic.associatePublicIpAddress)) {
                    report(
                        `networkInterfaces[${i}].associatePublicIpAddress is ${JSON.stringify(nic.associatePublicIpAddress)}; servers get no public IP.`,
                    );
                }
            });
        }),
        validateResourceOfType(aws.ec2.Instance, (instance, _args, report) => {
            if (instance.associatePublicIpAddress === true) {
                report(`associatePublicIpAddress is true; servers get no public IP.`);
            }
        }),
    ],
};

// ---------------------------------------------------------------------------------------------
// 6. S3 (log buckets)
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-encryption.html
// ---------------------------------------------------------------------------------------------

const PUBLIC_ACCESS_BLOCK_FLAGS = [
    "blockPublicAcls",
    "blockPublicPolicy",
    "ignorePublicAcls",
    "restrictPublicBuckets",
] as const;

const s3PublicAccessBlock: ResourceValidationPolicy = {
    name: "s3-public-access-block-all-true",
    description:
        "S3 public access blocks set all four flags (blockPublicAcls, blockPublicPolicy, ignorePublicAcls, restrictPublicBuckets) to true.",
    enforcementLevel: "mandatory",
    validateResource: validateResourceOfType(aws.s3.BucketPublicAccessBlock, (block, _args, report) => {
        for (const flag of PUBLIC_ACCESS_BLOCK_FLAGS) {
            if (block[flag] !== true) {
                report(`${flag} is ${JSON.stringify(block[flag])}; set all four public access block flags to true.`);
            }
        }
    }),
};

const BUCKET_TYPES = [getPulumiType(aws.s3.Bucket), getPulumiType(aws.s3.BucketV2)];
const ENCRYPTION_CONFIG_TYPES = [
    getPulumiType(aws.s3.BucketServerSideEncryptionConfiguration),
    getPulumiType(aws.s3.BucketServerSideEncryptionConfigurationV2),
];

/**
 * Every bucket has a public access block and a server-side encryption configuration of its own.
 * S3 has encrypted new objects with SSE-S3 by default since January 2023; the explicit resource
 * pins the algorithm and keeps the intent in the code. The bucket's deprecated inline
 * `serverSideEncryptionConfiguration` is not accepted: as an output it mirrors AWS's default
 * after creation, so it cannot tell a configured bucket from an unconfigured one.
 */
const s3BucketProtected: StackValidationPolicy = {
    name: "s3-bucket-public-access-block-and-encryption",
    description:
        "Every S3 bucket has a BucketPublicAccessBlock and a server-side encryption configuration that target it.",
    enforcementLevel: "mandatory",
    validateStack: (args, report) => {
        const blocks = args.resources.filter((r) => r.type === getPulumiType(aws.s3.BucketPublicAccessBlock));
        const encryption = args.resources.filter((r) => ENCRYPTION_CONFIG_TYPES.indexOf(r.type) >= 0);
        for (const bucket of args.resources.filter((r) => BUCKET_TYPES.indexOf(r.type) >= 0)) {
            const ids = knownValues(bucket, ["id", "bucket"]);
            if (!blocks.some((b) => refersTo(b, "bucket", bucket, ids))) {
                report(
                    `bucket "${bucket.name}" (${ids[0] ?? "name unknown"}) has no aws.s3.BucketPublicAccessBlock whose bucket is this bucket.`,
                    bucket.urn,
                );
            }
            if (!encryption.some((e) => refersTo(e, "bucket", bucket, ids))) {
                report(
                    `bucket "${bucket.name}" (${ids[0] ?? "name unknown"}) has no aws.s3.BucketServerSideEncryptionConfiguration whose bucket is this bucket.`,
                    bucket.urn,
                );
            }
        }
    },
};

/** The `aws:SecureTransport` value of a statement's `Bool` condition, as written ("false", false or ["false"]). */
function secureTransportCondition(statement: Record<string, unknown>): string | undefined {
    const bool = (statement.Condition as Record<string, unknown> | undefined)?.Bool as
        Record<string, unknown> | undefined;
    const value = bool?.["aws:SecureTransport"];
    const first = Array.isArray(value) ? value[0] : value;
    return first === undefined ? undefined : String(first).toLowerCase();
}

/** Does this raw bucket policy statement deny every S3 action to everyone on requests without TLS? */
function deniesInsecureTransport(statement: Record<string, unknown>): boolean {
    const principal = statement.Principal;
    const everyone =
        principal === "*" ||
        (principal !== null &&
            typeof principal === "object" &&
            toStringArray((principal as Record<string, unknown>).AWS).indexOf("*") >= 0);
    const actions = toStringArray(statement.Action);
    return (
        statement.Effect === "Deny" &&
        everyone &&
        actions.some((a) => a === "*" || a === "s3:*") &&
        secureTransportCondition(statement) === "false"
    );
}

/**
 * Every bucket has a bucket policy that denies all requests made without TLS: S3 accepts plain
 * HTTP otherwise (Security Hub S3.5 "S3 general purpose buckets should require requests to use SSL").
 * A policy whose text is not known yet (preview of a new stack) is checked at `pulumi up`.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/security-best-practices.html#transit
 */
const s3BucketTlsOnly: StackValidationPolicy = {
    name: "s3-bucket-deny-insecure-transport",
    description:
        "Every S3 bucket has an aws.s3.BucketPolicy that denies s3:* to everyone when aws:SecureTransport is false.",
    enforcementLevel: "mandatory",
    validateStack: (args, report) => {
        const bucketPolicies = args.resources.filter((r) => r.type === getPulumiType(aws.s3.BucketPolicy));
        for (const bucket of args.resources.filter((r) => BUCKET_TYPES.indexOf(r.type) >= 0)) {
            const ids = knownValues(bucket, ["id", "bucket"]);
            const own = bucketPolicies.filter((p) => refersTo(p, "bucket", bucket, ids));
            const label = `bucket "${bucket.name}" (${ids[0] ?? "name unknown"})`;
            if (own.length === 0) {
                report(
                    `${label} has no aws.s3.BucketPolicy; add one that denies s3:* to Principal "*" when aws:SecureTransport is "false".`,
                    bucket.urn,
                );
                continue;
            }
            const documents = own.map((p) => readKnown(p.props, "policy"));
            if (documents.some((d) => d === undefined)) {
                continue; // not known yet (preview): checked when it is
            }
            const denies = documents.some((document) => {
                let doc: unknown;
                try {
                    doc = typeof document === "string" ? JSON.parse(document) : document;
                } catch {
                    return false;
                }
                const raw = (doc as Record<string, unknown> | null)?.Statement;
                const statements = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]) as Array<
                    Record<string, unknown>
                >;
                return statements.some((st) => st !== null && typeof st === "object" && deniesInsecureTransport(st));
            });
            if (!denies) {
                report(
                    `${label}: its bucket policy has no statement denying s3:* to Principal "*" when aws:SecureTransport is "false" (requests without TLS are accepted).`,
                    bucket.urn,
                );
            }
        }
    },
};

// ---------------------------------------------------------------------------------------------
// 6b. WAF: a regional web ACL protects nothing until it is associated with a resource.
// https://docs.aws.amazon.com/waf/latest/developerguide/web-acl-associating-aws-resource.html
// ---------------------------------------------------------------------------------------------

const wafWebAclAssociated: StackValidationPolicy = {
    name: "wafv2-web-acl-associated",
    description:
        "Every regional aws.wafv2.WebAcl is associated with a resource (an aws.wafv2.WebAclAssociation whose webAclArn is the ACL).",
    enforcementLevel: "mandatory",
    validateStack: (args, report) => {
        const associations = args.resources.filter((r) => r.type === getPulumiType(aws.wafv2.WebAclAssociation));
        for (const acl of args.resources.filter((r) => r.type === getPulumiType(aws.wafv2.WebAcl))) {
            if (readKnown(acl.props, "scope") !== "REGIONAL") {
                continue; // CloudFront ACLs are attached through the distribution's webAclId
            }
            if (!associations.some((a) => refersTo(a, "webAclArn", acl, knownValues(acl, ["arn"])))) {
                report(
                    `web ACL "${acl.name}" has no aws.wafv2.WebAclAssociation whose webAclArn is this ACL: it filters no traffic.`,
                    acl.urn,
                );
            }
        }
    },
};

// ---------------------------------------------------------------------------------------------
// 7. IAM: least privilege.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege
// ---------------------------------------------------------------------------------------------

/** Where each IAM resource type keeps its policy documents. */
function policyDocumentsOf(args: ResourceValidationArgs): Array<{ property: string; document: unknown }> {
    if (args.type === getPulumiType(aws.iam.Role)) {
        const inline: ReadonlyArray<{ policy?: unknown }> = args.props.inlinePolicies ?? [];
        return inline.map((p, i) => ({ property: `inlinePolicies[${i}].policy`, document: p.policy }));
    }
    return [{ property: "policy", document: args.props.policy }];
}

const IAM_DOCUMENT_TYPES = [aws.iam.Policy, aws.iam.RolePolicy, aws.iam.UserPolicy, aws.iam.GroupPolicy, aws.iam.Role];

/** Runs `check` on every Allow statement of every policy document of the IAM resource. */
function validateAllowStatements(
    check: (statement: PolicyStatement, where: string, report: ReportViolation) => void,
): ResourceValidation[] {
    return validateResourcesOfTypes(IAM_DOCUMENT_TYPES, (_props, args, report) => {
        for (const { property, document } of policyDocumentsOf(args)) {
            const parsed = parsePolicyDocument(document);
            if ("error" in parsed) {
                report(`${property} cannot be checked: ${parsed.error}.`);
                continue;
            }
            parsed.statements.forEach((statement, i) => {
                if (statement.effect === "Allow") {
                    check(
                        statement,
                        `${property} Statement[${i}]${statement.sid ? ` (Sid "${statement.sid}")` : ""}`,
                        report,
                    );
                }
            });
        }
    });
}

const iamNoAdminStatements: ResourceValidationPolicy = {
    name: "iam-no-admin-statements",
    description: 'No IAM policy statement allows Action "*" (or "*:*") on Resource "*".',
    enforcementLevel: "mandatory",
    validateResource: validateAllowStatements((statement, where, report) => {
        const admin = statement.actions.filter(isFullWildcardAction);
        if (admin.length > 0 && statement.resources.indexOf("*") >= 0) {
            report(
                `${where} allows Action ${JSON.stringify(admin[0])} on Resource "*" (full administrator rights); name the actions and resources.`,
            );
        }
    }),
};

/**
 * `iam:PassRole` on "*" lets the holder hand any role (an admin one included) to a service it
 * controls. https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html
 */
const iamNoPassRoleOnAll: ResourceValidationPolicy = {
    name: "iam-no-passrole-on-any-role",
    description:
        'No IAM policy statement allows iam:PassRole (directly or through a wildcard such as iam:*) on Resource "*".',
    enforcementLevel: "mandatory",
    validateResource: validateAllowStatements((statement, where, report) => {
        const passRole = statement.actions.filter((a) => !isFullWildcardAction(a) && actionMatches(a, "iam:PassRole"));
        if (passRole.length > 0 && statement.resources.indexOf("*") >= 0) {
            report(
                `${where} allows Action ${JSON.stringify(passRole[0])} (iam:PassRole) on Resource "*"; name the roles that may be passed.`,
            );
        }
    }),
};

/** AWS managed policies that grant (or can grant themselves) far more than any tier needs. */
export const FORBIDDEN_MANAGED_POLICY_ARNS: ReadonlyArray<string> = [
    "arn:aws:iam::aws:policy/AdministratorAccess",
    "arn:aws:iam::aws:policy/PowerUserAccess",
    "arn:aws:iam::aws:policy/IAMFullAccess",
];

/**
 * The instance profile gets SSM, CloudWatch agent and read access to one secret only; a broad AWS
 * managed policy would undo that. Checks attachments and `aws.iam.Role.managedPolicyArns`.
 */
const iamNoBroadManagedPolicies: ResourceValidationPolicy = {
    name: "iam-no-admin-managed-policies",
    description: "No role, user or group is attached AdministratorAccess, PowerUserAccess or IAMFullAccess.",
    enforcementLevel: "mandatory",
    validateResource: [
        ...validateResourcesOfTypes(
            [
                aws.iam.RolePolicyAttachment,
                aws.iam.UserPolicyAttachment,
                aws.iam.GroupPolicyAttachment,
                aws.iam.PolicyAttachment,
            ],
            (attachment, _args, report) => checkManagedPolicyArns("policyArn", [attachment.policyArn], report),
        ),
        validateResourceOfType(aws.iam.Role, (role, _args, report) =>
            checkManagedPolicyArns("managedPolicyArns", role.managedPolicyArns ?? [], report),
        ),
    ],
};

function checkManagedPolicyArns(property: string, arns: ReadonlyArray<unknown>, report: ReportViolation): void {
    for (const arn of arns) {
        if (
            typeof arn === "string" &&
            FORBIDDEN_MANAGED_POLICY_ARNS.some((f) => arn.replace(/^arn:aws-[a-z-]+:/, "arn:aws:") === f)
        ) {
            report(`${property} attaches "${arn}"; grant the tier only the actions it needs.`);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The pack
// ---------------------------------------------------------------------------------------------

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
];

export const stackPolicies: StackValidationPolicy[] = [
    vpcDefaultSecurityGroupAdopted,
    s3BucketProtected,
    s3BucketTlsOnly,
    wafWebAclAssociated,
];

/** Everything `policy/index.ts` hands to `new PolicyPack(...)`. */
export const policies: Policies = [...resourcePolicies, ...stackPolicies];

// ---------------------------------------------------------------------------------------------
// Resource classes and their type tokens
// ---------------------------------------------------------------------------------------------

/** A resource class of any args type (`validateResourceOfType` infers one class at a time). */
type AnyResourceClass = new (name: string, args: any, ...rest: any[]) => pulumi.Resource;

/** `validateResourceOfType` for several classes sharing one (loosely typed) check. */
function validateResourcesOfTypes(
    classes: ReadonlyArray<AnyResourceClass>,
    validate: (props: Record<string, any>, args: ResourceValidationArgs, report: ReportViolation) => void,
): ResourceValidation[] {
    return classes.map((cls) =>
        validateResourceOfType(cls, (props, args, report) => validate(props as Record<string, any>, args, report)),
    );
}

/** The type token of a generated resource class (`aws.s3.Bucket` → "aws:s3/bucket:Bucket"). */
export function getPulumiType(resourceClass: unknown): string | undefined {
    const token = (resourceClass as { __pulumiType?: unknown } | undefined)?.__pulumiType;
    return typeof token === "string" && token.length > 0 ? token : undefined;
}

// ---------------------------------------------------------------------------------------------
// Shared helpers (exported for tests)
// ---------------------------------------------------------------------------------------------

/** True for a CIDR that covers every address: 0.0.0.0/0, ::/0 (any address with prefix length 0). */
export function isWorldCidr(cidr: string): boolean {
    const parts = cidr.trim().split("/");
    return parts.length === 2 && Number(parts[1]) === 0 && parts[1].trim() !== "";
}

/** Normalizes a security group protocol: "all"/"-1" → "-1", IANA numbers of TCP/UDP/ICMP → names. */
export function normalizeProtocol(protocol: unknown): string {
    if (protocol === undefined || protocol === null || String(protocol).trim() === "") {
        return "-1"; // unknown: assume the worst
    }
    const p = String(protocol).trim().toLowerCase();
    const byNumber: Record<string, string> = { all: "-1", "6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6" };
    return byNumber[p] ?? p;
}

/**
 * Does a rule with this (normalized) protocol and port range admit `port`? Protocol -1 admits
 * every port whatever the range says; a missing or negative bound means "open on that side".
 */
export function coversPort(protocol: string, fromPort: unknown, toPort: unknown, port: number): boolean {
    if (protocol === "-1") {
        return true;
    }
    const [from, to] = portRange(protocol, fromPort, toPort);
    return from <= port && port <= to;
}

/** The port range a rule admits, [0, 65535] when unbounded. */
export function portRange(protocol: string, fromPort: unknown, toPort: unknown): [number, number] {
    if (protocol === "-1") {
        return [0, 65535];
    }
    const bound = (v: unknown, fallback: number): number => {
        const n = typeof v === "number" ? v : typeof v === "string" && v.trim() !== "" ? Number(v) : NaN;
        return Number.isFinite(n) && n >= 0 ? n : fallback;
    };
    return [bound(fromPort, 0), bound(toPort, 65535)];
}

/** A security group rule in one shape, whichever of the four pulumi-aws shapes it came from. */
export interface NormalizedRule {
    direction: "ingress" | "egress";
    /** Normalized protocol ("-1", "tcp", "udp", "icmp", ...). */
    protocol: string;
    /** The protocol as written, and the property holding it ("ingress[0].protocol", "ipProtocol"...). */
    rawProtocol: string;
    protocolProperty: string;
    fromPort: number;
    toPort: number;
    /** Property path prefix of the rule ("ingress[0]." for inline rules, "" for a rule resource). */
    path: string;
    /** The CIDR sources/destinations, each with the property it came from. */
    sources: Array<{ property: string; cidr: string }>;
}

interface LooseRule {
    protocol?: unknown;
    fromPort?: unknown;
    toPort?: unknown;
    cidrBlocks?: ReadonlyArray<string>;
    ipv6CidrBlocks?: ReadonlyArray<string>;
}

function normalizeRule(
    direction: "ingress" | "egress",
    path: string,
    protocolKey: string,
    rawProtocol: unknown,
    fromPort: unknown,
    toPort: unknown,
    sources: Array<{ property: string; cidr: string }>,
): NormalizedRule {
    const protocol = normalizeProtocol(rawProtocol);
    const [from, to] = portRange(protocol, fromPort, toPort);
    return {
        direction,
        protocol,
        rawProtocol: String(rawProtocol),
        protocolProperty: `${path}${protocolKey}`,
        fromPort: from,
        toPort: to,
        path,
        sources,
    };
}

function cidrSources(path: string, rule: LooseRule): Array<{ property: string; cidr: string }> {
    const v4 = (rule.cidrBlocks ?? []).map((cidr, i) => ({ property: `${path}cidrBlocks[${i}]`, cidr }));
    const v6 = (rule.ipv6CidrBlocks ?? []).map((cidr, i) => ({ property: `${path}ipv6CidrBlocks[${i}]`, cidr }));
    return v4.concat(v6);
}

function inlineRules(direction: "ingress" | "egress", rules: ReadonlyArray<LooseRule> | undefined): NormalizedRule[] {
    return (rules ?? []).map((rule, i) => {
        const path = `${direction}[${i}].`;
        return normalizeRule(
            direction,
            path,
            "protocol",
            rule.protocol,
            rule.fromPort,
            rule.toPort,
            cidrSources(path, rule),
        );
    });
}

/** Every rule a security-group-shaped resource declares, normalized. */
export function securityGroupRules(type: string, props: Record<string, any>): NormalizedRule[] {
    switch (type) {
        case getPulumiType(aws.ec2.SecurityGroup):
        case getPulumiType(aws.ec2.DefaultSecurityGroup):
            return inlineRules("ingress", props.ingress).concat(inlineRules("egress", props.egress));
        case getPulumiType(aws.ec2.SecurityGroupRule): {
            const direction = props.type === "egress" ? "egress" : "ingress";
            return [
                normalizeRule(
                    direction,
                    "",
                    "protocol",
                    props.protocol,
                    props.fromPort,
                    props.toPort,
                    cidrSources("", props),
                ),
            ];
        }
        case getPulumiType(aws.vpc.SecurityGroupIngressRule):
        case getPulumiType(aws.vpc.SecurityGroupEgressRule): {
            const direction = type === getPulumiType(aws.vpc.SecurityGroupEgressRule) ? "egress" : "ingress";
            const sources = (["cidrIpv4", "cidrIpv6"] as const)
                .filter((k) => typeof props[k] === "string")
                .map((k) => ({ property: k, cidr: props[k] as string }));
            return [
                normalizeRule(direction, "", "ipProtocol", props.ipProtocol, props.fromPort, props.toPort, sources),
            ];
        }
        default:
            return [];
    }
}

/** One validation per security-group-shaped type, each handing `check` the resource's normalized rules. */
function validateSecurityGroupRules(
    check: (rules: NormalizedRule[], report: ReportViolation) => void,
): ResourceValidation[] {
    return validateResourcesOfTypes(SECURITY_GROUP_RULE_TYPES, (props, args, report) =>
        check(securityGroupRules(args.type, props), report),
    );
}

/** The ALB's listeners: TCP on exactly port 80 or exactly port 443. */
function isInternetServingRule(rule: NormalizedRule): boolean {
    return (
        rule.protocol === "tcp" &&
        rule.fromPort === rule.toPort &&
        INTERNET_INGRESS_TCP_PORTS.indexOf(rule.fromPort) >= 0
    );
}

function describeRule(rule: NormalizedRule): string {
    const ports =
        rule.protocol === "-1"
            ? "all ports"
            : `${rule.path}fromPort ${rule.fromPort} to ${rule.path}toPort ${rule.toPort}`;
    return `${rule.protocolProperty} "${rule.rawProtocol}" (${ports})`;
}

/** "true"/true → true: some pulumi-aws booleans (launch template EBS, network interfaces) are strings. */
export function isTrue(value: unknown): boolean {
    return value === true || (typeof value === "string" && value.trim().toLowerCase() === "true");
}

/** One IAM policy statement, with Action/Resource always as arrays. */
export interface PolicyStatement {
    sid?: string;
    effect: string;
    actions: string[];
    resources: string[];
}

/**
 * Parses an IAM policy document given as a JSON string or an object (`aws.iam.PolicyDocument`);
 * `Statement` may be one object or an array; `Action`/`Resource` a string or an array.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html
 */
export function parsePolicyDocument(document: unknown): { statements: PolicyStatement[] } | { error: string } {
    let doc: unknown = document;
    if (typeof document === "string") {
        try {
            doc = JSON.parse(document);
        } catch (e) {
            return { error: `not valid JSON (${(e as Error).message})` };
        }
    }
    if (doc === null || typeof doc !== "object") {
        return { error: `expected a policy document, got ${JSON.stringify(doc)}` };
    }
    const raw = (doc as Record<string, unknown>).Statement;
    const list: unknown[] = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
    const statements = list.map((s): PolicyStatement => {
        const st = (s ?? {}) as Record<string, unknown>;
        return {
            sid: typeof st.Sid === "string" ? st.Sid : undefined,
            effect: String(st.Effect ?? ""),
            actions: toStringArray(st.Action),
            resources: toStringArray(st.Resource),
        };
    });
    return { statements };
}

function toStringArray(value: unknown): string[] {
    if (value === undefined || value === null) {
        return [];
    }
    return (Array.isArray(value) ? value : [value]).map((v) => String(v).trim());
}

/** "*" or "*:*": every action of every service. */
export function isFullWildcardAction(action: string): boolean {
    return action === "*" || action === "*:*";
}

/**
 * Does an IAM action pattern (with * and ? wildcards, case-insensitive as IAM is) match `action`?
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html
 */
export function actionMatches(pattern: string, action: string): boolean {
    const regex =
        "^" +
        pattern
            .split("")
            .map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.+^${}()|[\]\\]/g, "\\$&")))
            .join("") +
        "$";
    return new RegExp(regex, "i").test(action);
}

/** Reads a property of a stack resource, or `undefined` when it is unknown during preview. */
function readKnown(props: Record<string, any>, key: string): unknown {
    try {
        return props[key];
    } catch (e) {
        // The policy server's proxy throws UnknownValueError for preview unknowns; @pulumi/policy
        // exports the class at run time but not in its typings.
        const unknownValueError = (policySdk as unknown as { UnknownValueError?: new (...args: any[]) => Error })
            .UnknownValueError;
        if (
            (unknownValueError && e instanceof unknownValueError) ||
            (e instanceof Error && e.constructor.name === "UnknownValueError")
        ) {
            return undefined;
        }
        throw e;
    }
}

/** The known string values of these properties of a resource (e.g. a bucket's id and name). */
function knownValues(resource: PolicyResource, keys: ReadonlyArray<string>): string[] {
    return keys.map((k) => readKnown(resource.props, k)).filter((v): v is string => typeof v === "string" && v !== "");
}

/**
 * Does `dependent.props[property]` refer to `target`? The engine's property dependencies say so
 * even while values are unknown (preview); otherwise compare the value with the target's ids.
 */
function refersTo(
    dependent: PolicyResource,
    property: string,
    target: PolicyResource,
    targetValues: ReadonlyArray<string>,
): boolean {
    const deps = dependent.propertyDependencies?.[property] ?? [];
    if (deps.some((d) => d.urn === target.urn)) {
        return true;
    }
    const value = readKnown(dependent.props, property);
    return typeof value === "string" && targetValues.indexOf(value) >= 0;
}
