/**
 * The CrossGuard policies (policy/policies.ts), run without the engine: each policy against
 * deliberately bad and good resources shaped as the stack registers them (plain objects of the
 * resource's inputs), the shared helpers, and `runPolicies` over whole resource lists.
 */
import {
    actionMatches,
    ALLOWED_SSL_POLICIES,
    coversPort,
    isFullWildcardAction,
    isTrue,
    isWorldCidr,
    normalizeProtocol,
    parsePolicyDocument,
    policies,
    portRange,
    resourcePolicies,
    securityGroupRules,
    stackPolicies,
} from "../policy/policies";
import { PolicyNotApplicable, PolicyResourceRecord, resourceArgs, runPolicies, unwrapSecrets } from "../policy/testing";

const T = {
    sg: "aws:ec2/securityGroup:SecurityGroup",
    sgRule: "aws:ec2/securityGroupRule:SecurityGroupRule",
    ingressRule: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    egressRule: "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
    defaultSg: "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
    vpc: "aws:ec2/vpc:Vpc",
    lbListener: "aws:lb/listener:Listener",
    albListener: "aws:alb/listener:Listener",
    lb: "aws:lb/loadBalancer:LoadBalancer",
    alb: "aws:alb/loadBalancer:LoadBalancer",
    rds: "aws:rds/instance:Instance",
    launchTemplate: "aws:ec2/launchTemplate:LaunchTemplate",
    instance: "aws:ec2/instance:Instance",
    volume: "aws:ebs/volume:Volume",
    bucket: "aws:s3/bucket:Bucket",
    bucketV2: "aws:s3/bucketV2:BucketV2",
    publicAccessBlock: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    sse: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    sseV2: "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
    bucketPolicy: "aws:s3/bucketPolicy:BucketPolicy",
    webAcl: "aws:wafv2/webAcl:WebAcl",
    webAclAssociation: "aws:wafv2/webAclAssociation:WebAclAssociation",
    iamPolicy: "aws:iam/policy:Policy",
    rolePolicy: "aws:iam/rolePolicy:RolePolicy",
    role: "aws:iam/role:Role",
    rolePolicyAttachment: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
} as const;

let counter = 0;
/** A resource record with a unique URN and its own copy of the props (tests may mutate them). */
function res(
    type: string,
    props: Record<string, any>,
    extra: Partial<PolicyResourceRecord> = {},
): PolicyResourceRecord {
    const name = extra.name ?? `r${++counter}`;
    return {
        type,
        name,
        urn: `urn:pulumi:test::ha-webstack::${type}::${name}`,
        props: structuredClone(props),
        ...extra,
    };
}

/** The messages one policy reports for one resource. */
function messages(policyName: string, type: string, props: Record<string, any>): string[] {
    return runPolicies([res(type, props)], [policyNamed(policyName)]).map((v) => v.message);
}

function policyNamed(name: string) {
    const policy = policies.find((p) => p.name === name);
    if (!policy) {
        throw new Error(`no policy named ${name}`);
    }
    return policy;
}

// ---- Resources as the stack registers them (good) ----------------------------------------------

const goodLaunchTemplate = {
    imageId: "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64",
    instanceType: "t4g.micro",
    metadataOptions: { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1 },
    blockDeviceMappings: [
        {
            deviceName: "/dev/xvda",
            ebs: { volumeSize: 8, volumeType: "gp3", encrypted: "true", deleteOnTermination: "true" },
        },
    ],
    vpcSecurityGroupIds: ["sg-servers"],
};

const goodPrimary = {
    engine: "mysql",
    engineVersion: "8.0",
    instanceClass: "db.t4g.micro",
    allocatedStorage: 20,
    storageEncrypted: true,
    publiclyAccessible: false,
    backupRetentionPeriod: 7,
    skipFinalSnapshot: false,
    finalSnapshotIdentifier: "ha-webstack-db-final",
    multiAz: true,
    username: "app",
    password: "from-random",
};

const goodReplica = {
    replicateSourceDb: "ha-webstack-db",
    instanceClass: "db.t4g.micro",
    publiclyAccessible: false,
    skipFinalSnapshot: true,
};

const goodHttpsListener = {
    loadBalancerArn: "arn:alb",
    port: 443,
    protocol: "HTTPS",
    sslPolicy: "ELBSecurityPolicy-TLS13-1-2-2021-06",
    certificateArn: "arn:cert",
    defaultActions: [
        {
            type: "forward",
            forward: {
                targetGroups: [
                    { arn: "arn:tg-a", weight: 100 },
                    { arn: "arn:tg-b", weight: 0 },
                ],
            },
        },
    ],
};

const goodHttpListener = {
    loadBalancerArn: "arn:alb",
    port: 80,
    protocol: "HTTP",
    defaultActions: [{ type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } }],
};

const document = (statement: object | object[]) => ({ Version: "2012-10-17", Statement: statement });

/** The statement every bucket policy needs: no request without TLS. */
const denyInsecureTransport = {
    Sid: "DenyInsecureTransport",
    Effect: "Deny",
    Principal: "*",
    Action: "s3:*",
    Resource: ["arn:aws:s3:::alb-logs-123", "arn:aws:s3:::alb-logs-123/*"],
    Condition: { Bool: { "aws:SecureTransport": "false" } },
};
const logDelivery = {
    Effect: "Allow",
    Principal: { Service: "logdelivery.elasticloadbalancing.amazonaws.com" },
    Action: "s3:PutObject",
    Resource: "arn:aws:s3:::alb-logs-123/alb/AWSLogs/1/*",
};

// ---- 1. Security groups ---------------------------------------------------------------------------

describe("security-group-no-internet-ingress-except-http-https", () => {
    const name = "security-group-no-internet-ingress-except-http-https";

    test("reports world ingress on any other port, in each of the four rule shapes", () => {
        expect(
            messages(name, T.sg, {
                ingress: [{ protocol: "tcp", fromPort: 3306, toPort: 3306, cidrBlocks: ["10.0.0.0/16", "0.0.0.0/0"] }],
            }),
        ).toEqual([
            expect.stringContaining(
                `ingress[0].cidrBlocks[1] "0.0.0.0/0" opens ingress[0].protocol "tcp" (ingress[0].fromPort 3306 to ingress[0].toPort 3306)`,
            ),
        ]);
        expect(
            messages(name, T.sgRule, {
                type: "ingress",
                protocol: "tcp",
                fromPort: 8080,
                toPort: 8080,
                cidrBlocks: [],
                ipv6CidrBlocks: ["::/0"],
                securityGroupId: "sg-1",
            }),
        ).toEqual([
            expect.stringContaining(`ipv6CidrBlocks[0] "::/0" opens protocol "tcp" (fromPort 8080 to toPort 8080)`),
        ]);
        expect(
            messages(name, T.ingressRule, {
                securityGroupId: "sg-1",
                ipProtocol: "udp",
                fromPort: 443,
                toPort: 443,
                cidrIpv4: "0.0.0.0/0",
            }),
        ).toEqual([expect.stringContaining(`cidrIpv4 "0.0.0.0/0" opens ipProtocol "udp"`)]);
        expect(
            messages(name, T.ingressRule, {
                securityGroupId: "sg-1",
                ipProtocol: "tcp",
                fromPort: 80,
                toPort: 443,
                cidrIpv6: "::/0",
            }),
        ).toEqual([expect.stringContaining(`cidrIpv6 "::/0" opens ipProtocol "tcp" (fromPort 80 to toPort 443)`)]);
    });

    test("allows TCP 80 and 443 from the internet and anything from private CIDRs or security groups", () => {
        expect(
            messages(name, T.sg, {
                ingress: [
                    { protocol: "tcp", fromPort: 80, toPort: 80, cidrBlocks: ["0.0.0.0/0"], ipv6CidrBlocks: ["::/0"] },
                    { protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: ["0.0.0.0/0"] },
                    { protocol: "tcp", fromPort: 8080, toPort: 8080, securityGroups: ["sg-alb"] },
                    { protocol: "tcp", fromPort: 3306, toPort: 3306, cidrBlocks: ["10.0.0.0/16"] },
                ],
            }),
        ).toEqual([]);
        expect(
            messages(name, T.ingressRule, {
                securityGroupId: "sg-1",
                ipProtocol: "tcp",
                fromPort: 443,
                toPort: 443,
                cidrIpv4: "0.0.0.0/0",
            }),
        ).toEqual([]);
        expect(
            messages(name, T.ingressRule, {
                securityGroupId: "sg-db",
                ipProtocol: "tcp",
                fromPort: 3306,
                toPort: 3306,
                referencedSecurityGroupId: "sg-servers",
            }),
        ).toEqual([]);
        // Egress to the world is the egress policy's business, not this one's.
        expect(
            messages(name, T.sgRule, {
                type: "egress",
                protocol: "tcp",
                fromPort: 3306,
                toPort: 3306,
                cidrBlocks: ["0.0.0.0/0"],
                securityGroupId: "sg-1",
            }),
        ).toEqual([]);
    });
});

describe("security-group-no-ssh", () => {
    const name = "security-group-no-ssh";

    test("reports any ingress rule covering port 22, whatever the source", () => {
        expect(
            messages(name, T.sg, {
                ingress: [{ protocol: "tcp", fromPort: 22, toPort: 22, cidrBlocks: ["10.0.0.0/8"] }],
            }),
        ).toEqual([
            expect.stringContaining(
                `ingress[0].protocol "tcp" (ingress[0].fromPort 22 to ingress[0].toPort 22) covers port 22 (SSH)`,
            ),
        ]);
        expect(
            messages(name, T.sgRule, {
                type: "ingress",
                protocol: "6",
                fromPort: 0,
                toPort: 65535,
                sourceSecurityGroupId: "sg-x",
                securityGroupId: "sg-1",
            }),
        ).toEqual([expect.stringContaining(`protocol "6" (fromPort 0 to toPort 65535) covers port 22`)]);
        expect(
            messages(name, T.ingressRule, {
                securityGroupId: "sg-1",
                ipProtocol: "-1",
                referencedSecurityGroupId: "sg-x",
            }),
        ).toEqual([expect.stringContaining(`ipProtocol "-1" (all ports) covers port 22`)]);
    });

    test("allows ranges that miss 22, UDP and ICMP, and SSH-looking egress", () => {
        expect(
            messages(name, T.sg, {
                ingress: [
                    { protocol: "tcp", fromPort: 23, toPort: 1024, cidrBlocks: ["10.0.0.0/8"] },
                    { protocol: "udp", fromPort: 0, toPort: 65535, cidrBlocks: ["10.0.0.0/8"] },
                    { protocol: "icmp", fromPort: 8, toPort: 0, cidrBlocks: ["10.0.0.0/8"] },
                ],
                egress: [{ protocol: "tcp", fromPort: 22, toPort: 22, cidrBlocks: ["10.0.0.0/8"] }],
            }),
        ).toEqual([]);
    });
});

describe("security-group-no-all-protocol-ingress", () => {
    const name = "security-group-no-all-protocol-ingress";

    test("reports protocol -1 / all ingress even from a security group", () => {
        expect(messages(name, T.sg, { ingress: [{ protocol: "-1", fromPort: 0, toPort: 0, self: true }] })).toEqual([
            expect.stringContaining(`ingress[0].protocol "-1" admits every protocol and port`),
        ]);
        expect(
            messages(name, T.sgRule, {
                type: "ingress",
                protocol: "all",
                fromPort: 0,
                toPort: 0,
                sourceSecurityGroupId: "sg-x",
                securityGroupId: "sg-1",
            }),
        ).toEqual([expect.stringContaining(`protocol "all" admits every protocol and port`)]);
        expect(
            messages(name, T.ingressRule, {
                securityGroupId: "sg-1",
                ipProtocol: "-1",
                referencedSecurityGroupId: "sg-x",
            }),
        ).toEqual([expect.stringContaining(`ipProtocol "-1"`)]);
    });

    test("allows named protocols, and all-protocol egress within the VPC", () => {
        expect(
            messages(name, T.sg, {
                ingress: [{ protocol: "tcp", fromPort: 8080, toPort: 8080, securityGroups: ["sg-alb"] }],
                egress: [{ protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["10.0.0.0/16"] }],
            }),
        ).toEqual([]);
    });
});

describe("security-group-no-all-protocol-egress-to-internet", () => {
    const name = "security-group-no-all-protocol-egress-to-internet";

    test("reports all-protocol egress to 0.0.0.0/0 or ::/0 in every egress shape", () => {
        expect(
            messages(name, T.sg, { egress: [{ protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"] }] }),
        ).toEqual([
            expect.stringContaining(
                `egress[0].protocol "-1" with egress[0].cidrBlocks[0] "0.0.0.0/0" allows all traffic out`,
            ),
        ]);
        expect(
            messages(name, T.sgRule, {
                type: "egress",
                protocol: "-1",
                fromPort: 0,
                toPort: 0,
                cidrBlocks: ["0.0.0.0/0"],
                securityGroupId: "sg-1",
            }),
        ).toEqual([expect.stringContaining(`protocol "-1" with cidrBlocks[0] "0.0.0.0/0"`)]);
        expect(messages(name, T.egressRule, { securityGroupId: "sg-1", ipProtocol: "-1", cidrIpv6: "::/0" })).toEqual([
            expect.stringContaining(`ipProtocol "-1" with cidrIpv6 "::/0"`),
        ]);
    });

    test("allows port-limited egress to the internet and all-protocol egress to a security group", () => {
        expect(
            messages(name, T.egressRule, {
                securityGroupId: "sg-1",
                ipProtocol: "tcp",
                fromPort: 443,
                toPort: 443,
                cidrIpv4: "0.0.0.0/0",
            }),
        ).toEqual([]);
        expect(
            messages(name, T.egressRule, {
                securityGroupId: "sg-1",
                ipProtocol: "-1",
                referencedSecurityGroupId: "sg-db",
            }),
        ).toEqual([]);
        // An all-protocol *ingress* rule is another policy's business.
        expect(
            messages(name, T.sgRule, {
                type: "ingress",
                protocol: "-1",
                fromPort: 0,
                toPort: 0,
                cidrBlocks: ["0.0.0.0/0"],
                securityGroupId: "sg-1",
            }),
        ).toEqual([]);
    });
});

// ---- 2. The default security group ---------------------------------------------------------------

describe("default-security-group-no-rules", () => {
    const name = "default-security-group-no-rules";

    test("reports any ingress or egress rule on the default security group", () => {
        expect(
            messages(name, T.defaultSg, {
                vpcId: "vpc-1",
                ingress: [{ protocol: "-1", fromPort: 0, toPort: 0, self: true }],
                egress: [{ protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"] }],
            }),
        ).toEqual([
            expect.stringContaining(
                `ingress has 1 rule(s); the default security group must stay empty ({"protocol":"-1"`,
            ),
            expect.stringContaining("egress has 1 rule(s)"),
        ]);
    });

    test("allows an adopted default group with no rules", () => {
        expect(messages(name, T.defaultSg, { vpcId: "vpc-1" })).toEqual([]);
        expect(messages(name, T.defaultSg, { vpcId: "vpc-1", ingress: [], egress: [] })).toEqual([]);
    });
});

describe("vpc-default-security-group-adopted (stack)", () => {
    const policy = [policyNamed("vpc-default-security-group-adopted")];

    test("reports a VPC whose default security group is not adopted", () => {
        const vpc = res(T.vpc, { cidrBlock: "10.0.0.0/16" }, { name: "main", id: "vpc-123" });
        const other = res(T.defaultSg, { vpcId: "vpc-other" });
        expect(runPolicies([vpc, other], policy)).toEqual([
            {
                policy: "vpc-default-security-group-adopted",
                urn: vpc.urn,
                message: expect.stringContaining(
                    `VPC "main" has no aws.ec2.DefaultSecurityGroup whose vpcId is this VPC`,
                ),
            },
        ]);
    });

    test("matches the default group to its VPC by id or by property dependency", () => {
        const vpc = res(T.vpc, { cidrBlock: "10.0.0.0/16" }, { id: "vpc-123" });
        expect(runPolicies([vpc, res(T.defaultSg, { vpcId: "vpc-123" })], policy)).toEqual([]);
        const previewVpc = res(T.vpc, { cidrBlock: "10.0.0.0/16" }); // id unknown during preview
        expect(
            runPolicies(
                [
                    previewVpc,
                    res(T.defaultSg, { vpcId: "unknown" }, { propertyDependencies: { vpcId: [previewVpc.urn] } }),
                ],
                policy,
            ),
        ).toEqual([]);
    });
});

// ---- 3. Load balancer ------------------------------------------------------------------------------

describe("lb-listener-https-modern-tls", () => {
    const name = "lb-listener-https-modern-tls";

    test("reports HTTPS listeners without an allow-listed TLS policy (aws.lb and aws.alb)", () => {
        expect(messages(name, T.lbListener, { ...goodHttpsListener, sslPolicy: "ELBSecurityPolicy-2016-08" })).toEqual([
            expect.stringContaining(`sslPolicy "ELBSecurityPolicy-2016-08" is not an allowed TLS 1.2/1.3 policy`),
        ]);
        expect(
            messages(name, T.albListener, { ...goodHttpsListener, sslPolicy: "ELBSecurityPolicy-TLS13-1-0-2021-06" }),
        ).toEqual([expect.stringContaining(`sslPolicy "ELBSecurityPolicy-TLS13-1-0-2021-06"`)]);
        expect(
            messages(name, T.lbListener, {
                ...goodHttpsListener,
                sslPolicy: "ELBSecurityPolicy-TLS13-1-2-Ext2-2021-06",
            }),
        ).toEqual([expect.stringContaining("Ext2")]);
        expect(messages(name, T.lbListener, { ...goodHttpsListener, sslPolicy: undefined })).toEqual([
            expect.stringContaining(
                "sslPolicy is not set on a HTTPS listener: AWS then applies ELBSecurityPolicy-2016-08",
            ),
        ]);
    });

    test("reports plaintext listeners that do anything but redirect to HTTPS", () => {
        expect(
            messages(name, T.lbListener, {
                ...goodHttpListener,
                defaultActions: [{ type: "forward", targetGroupArn: "arn:tg" }],
            }),
        ).toEqual([
            expect.stringContaining(
                `protocol "HTTP" serves plaintext: every defaultActions entry must redirect to protocol "HTTPS" (found type "forward")`,
            ),
        ]);
        expect(
            messages(name, T.albListener, {
                ...goodHttpListener,
                protocol: undefined,
                defaultActions: [{ type: "redirect", redirect: { protocol: "HTTP", statusCode: "HTTP_301" } }],
            }),
        ).toEqual([expect.stringContaining(`(found type "redirect" to protocol "HTTP")`)]);
        expect(
            messages(name, T.lbListener, {
                ...goodHttpListener,
                protocol: "TCP",
                defaultActions: [{ type: "forward", targetGroupArn: "arn:tg" }],
            }),
        ).toEqual([expect.stringContaining(`protocol "TCP" serves plaintext`)]);
    });

    test("allows the stack's HTTPS listener and its HTTP → HTTPS redirect, and every allow-listed policy", () => {
        expect(messages(name, T.lbListener, goodHttpsListener)).toEqual([]);
        expect(messages(name, T.lbListener, goodHttpListener)).toEqual([]);
        expect(messages(name, T.albListener, { ...goodHttpListener, protocol: "http" })).toEqual([]);
        for (const sslPolicy of ALLOWED_SSL_POLICIES) {
            expect(messages(name, T.albListener, { ...goodHttpsListener, sslPolicy })).toEqual([]);
        }
    });
});

describe("alb-drop-invalid-header-fields", () => {
    const name = "alb-drop-invalid-header-fields";

    test("reports an application load balancer that keeps invalid headers", () => {
        expect(messages(name, T.lb, { loadBalancerType: "application", subnets: ["a", "b"] })).toEqual([
            expect.stringContaining(
                "dropInvalidHeaderFields is undefined on an application load balancer; set it to true",
            ),
        ]);
        expect(messages(name, T.alb, { dropInvalidHeaderFields: false })).toEqual([
            expect.stringContaining("dropInvalidHeaderFields is false"),
        ]);
    });

    test("allows an ALB that drops them, and ignores network load balancers", () => {
        expect(messages(name, T.lb, { loadBalancerType: "application", dropInvalidHeaderFields: true })).toEqual([]);
        expect(messages(name, T.lb, { loadBalancerType: "network" })).toEqual([]);
    });
});

// ---- 4. RDS ----------------------------------------------------------------------------------------

describe("resilience advice (advisory)", () => {
    it("rds-multi-az: a single-AZ source instance is named with its AZ; Multi-AZ and replicas pass", () => {
        expect(
            messages("rds-multi-az", T.rds, { ...goodPrimary, multiAz: false, availabilityZone: "us-east-1a" }),
        ).toEqual([
            "multiAz is false: an outage of us-east-1a stops writes until RDS recovers the instance; set dbMultiAz: true for a standby that takes over in 60–120 s.",
        ]);
        expect(messages("rds-multi-az", T.rds, { ...goodPrimary, multiAz: undefined })).toHaveLength(1);
        expect(messages("rds-multi-az", T.rds, goodPrimary)).toEqual([]);
        expect(messages("rds-multi-az", T.rds, { replicateSourceDb: "db-1", instanceClass: "db.t4g.micro" })).toEqual(
            [],
        );
    });

    it("alb-deletion-protection: a load balancer without it is named; with it, it passes", () => {
        expect(messages("alb-deletion-protection", T.lb, { enableDeletionProtection: false })).toEqual([
            "enableDeletionProtection is false: the load balancer, and the DNS name clients use, can be deleted by accident; set deletionProtection: true for production.",
        ]);
        expect(messages("alb-deletion-protection", T.lb, { enableDeletionProtection: true })).toEqual([]);
    });
});

describe("RDS policies", () => {
    test("rds-storage-encrypted reports an unencrypted source, not a replica", () => {
        expect(messages("rds-storage-encrypted", T.rds, { ...goodPrimary, storageEncrypted: false })).toEqual([
            expect.stringContaining("storageEncrypted is false; set it to true"),
        ]);
        expect(messages("rds-storage-encrypted", T.rds, { ...goodPrimary, storageEncrypted: undefined })).toEqual([
            expect.stringContaining("storageEncrypted is undefined"),
        ]);
        expect(messages("rds-storage-encrypted", T.rds, goodPrimary)).toEqual([]);
        expect(messages("rds-storage-encrypted", T.rds, goodReplica)).toEqual([]);
    });

    test("rds-not-publicly-accessible reports a public primary or replica", () => {
        expect(messages("rds-not-publicly-accessible", T.rds, { ...goodPrimary, publiclyAccessible: true })).toEqual([
            expect.stringContaining("publiclyAccessible is true"),
        ]);
        expect(
            messages("rds-not-publicly-accessible", T.rds, { ...goodReplica, publiclyAccessible: true }),
        ).toHaveLength(1);
        expect(messages("rds-not-publicly-accessible", T.rds, goodPrimary)).toEqual([]);
        expect(messages("rds-not-publicly-accessible", T.rds, goodReplica)).toEqual([]);
    });

    test("rds-backup-retention requires >= 1 day on a source only", () => {
        expect(messages("rds-backup-retention", T.rds, { ...goodPrimary, backupRetentionPeriod: 0 })).toEqual([
            expect.stringContaining("backupRetentionPeriod is 0; set it to at least 1 day"),
        ]);
        expect(messages("rds-backup-retention", T.rds, { ...goodPrimary, backupRetentionPeriod: undefined })).toEqual([
            expect.stringContaining("backupRetentionPeriod is undefined"),
        ]);
        expect(messages("rds-backup-retention", T.rds, { ...goodPrimary, backupRetentionPeriod: 1 })).toEqual([]);
        expect(messages("rds-backup-retention", T.rds, goodReplica)).toEqual([]);
    });

    test("rds-final-snapshot requires a named final snapshot on a source only", () => {
        expect(
            messages("rds-final-snapshot", T.rds, {
                ...goodPrimary,
                skipFinalSnapshot: true,
                finalSnapshotIdentifier: undefined,
            }),
        ).toEqual([
            expect.stringContaining("skipFinalSnapshot is true on a source instance"),
            expect.stringContaining("finalSnapshotIdentifier is undefined"),
        ]);
        expect(messages("rds-final-snapshot", T.rds, { ...goodPrimary, finalSnapshotIdentifier: "" })).toEqual([
            expect.stringContaining(`finalSnapshotIdentifier is ""`),
        ]);
        expect(messages("rds-final-snapshot", T.rds, goodPrimary)).toEqual([]);
        expect(messages("rds-final-snapshot", T.rds, goodReplica)).toEqual([]);
    });
});

// ---- 5. EC2 ----------------------------------------------------------------------------------------

describe("ec2-imdsv2-required", () => {
    const name = "ec2-imdsv2-required";

    test("reports launch templates and instances without httpTokens required", () => {
        expect(
            messages(name, T.launchTemplate, { ...goodLaunchTemplate, metadataOptions: { httpTokens: "optional" } }),
        ).toEqual([expect.stringContaining(`metadataOptions.httpTokens is "optional"; set it to "required"`)]);
        expect(messages(name, T.launchTemplate, { ...goodLaunchTemplate, metadataOptions: undefined })).toEqual([
            expect.stringContaining("metadataOptions.httpTokens is undefined"),
        ]);
        expect(messages(name, T.instance, { ami: "ami-1", instanceType: "t4g.micro" })).toEqual([
            expect.stringContaining("metadataOptions.httpTokens is undefined"),
        ]);
    });

    test("allows IMDSv2, and an instance that takes its options from a launch template", () => {
        expect(messages(name, T.launchTemplate, goodLaunchTemplate)).toEqual([]);
        expect(messages(name, T.instance, { ami: "ami-1", metadataOptions: { httpTokens: "required" } })).toEqual([]);
        expect(messages(name, T.instance, { launchTemplate: { id: "lt-1", version: "$Latest" } })).toEqual([]);
    });
});

describe("ec2-ebs-encrypted", () => {
    const name = "ec2-ebs-encrypted";

    test("reports unencrypted or missing EBS mappings on a launch template", () => {
        expect(
            messages(name, T.launchTemplate, {
                ...goodLaunchTemplate,
                blockDeviceMappings: [{ deviceName: "/dev/xvda", ebs: { volumeSize: 8, encrypted: "false" } }],
            }),
        ).toEqual([
            expect.stringContaining(
                `blockDeviceMappings[0].ebs.encrypted is "false" (device /dev/xvda); set it to "true"`,
            ),
        ]);
        expect(messages(name, T.launchTemplate, { ...goodLaunchTemplate, blockDeviceMappings: undefined })).toEqual([
            expect.stringContaining(
                "blockDeviceMappings has no EBS mapping, so the root volume keeps the AMI's (unencrypted) settings",
            ),
        ]);
    });

    test("reports unencrypted instance devices and volumes", () => {
        expect(
            messages(name, T.instance, {
                rootBlockDevice: { encrypted: false },
                ebsBlockDevices: [{ deviceName: "/dev/sdf", encrypted: false }],
            }),
        ).toEqual([
            expect.stringContaining("rootBlockDevice.encrypted is false; set it to true"),
            expect.stringContaining("ebsBlockDevices[0].encrypted is false (device /dev/sdf)"),
        ]);
        expect(messages(name, T.instance, { ami: "ami-1" })).toEqual([
            expect.stringContaining("rootBlockDevice.encrypted is undefined"),
        ]);
        expect(messages(name, T.volume, { availabilityZone: "us-east-1a", size: 8 })).toEqual([
            expect.stringContaining("encrypted is undefined; set it to true"),
        ]);
    });

    test("allows encrypted devices (string or boolean), instance-store mappings, and launch-template instances", () => {
        expect(messages(name, T.launchTemplate, goodLaunchTemplate)).toEqual([]);
        expect(
            messages(name, T.launchTemplate, {
                ...goodLaunchTemplate,
                blockDeviceMappings: [
                    { deviceName: "/dev/xvda", ebs: { encrypted: true } },
                    { deviceName: "/dev/sdb", virtualName: "ephemeral0" },
                ],
            }),
        ).toEqual([]);
        expect(
            messages(name, T.instance, {
                rootBlockDevice: { encrypted: true },
                ebsBlockDevices: [{ deviceName: "/dev/sdf", encrypted: true }],
            }),
        ).toEqual([]);
        expect(messages(name, T.instance, { launchTemplate: { id: "lt-1" } })).toEqual([]);
        expect(messages(name, T.volume, { availabilityZone: "us-east-1a", size: 8, encrypted: true })).toEqual([]);
    });
});

describe("ec2-no-key-pair", () => {
    const name = "ec2-no-key-pair";

    test("reports a key pair on a launch template or an instance", () => {
        expect(messages(name, T.launchTemplate, { ...goodLaunchTemplate, keyName: "ops" })).toEqual([
            expect.stringContaining(`keyName is "ops"; servers get no SSH key pair`),
        ]);
        expect(messages(name, T.instance, { ami: "ami-1", keyName: "ops" })).toHaveLength(1);
    });

    test("allows no key pair", () => {
        expect(messages(name, T.launchTemplate, goodLaunchTemplate)).toEqual([]);
        expect(messages(name, T.instance, { ami: "ami-1" })).toEqual([]);
    });
});

describe("ec2-no-public-ip", () => {
    const name = "ec2-no-public-ip";

    test("reports a public IP on a launch template interface or an instance", () => {
        expect(
            messages(name, T.launchTemplate, {
                ...goodLaunchTemplate,
                networkInterfaces: [{ associatePublicIpAddress: "true" }],
            }),
        ).toEqual([expect.stringContaining(`networkInterfaces[0].associatePublicIpAddress is "true"`)]);
        expect(messages(name, T.instance, { ami: "ami-1", associatePublicIpAddress: true })).toEqual([
            expect.stringContaining("associatePublicIpAddress is true"),
        ]);
    });

    test("allows private servers", () => {
        expect(
            messages(name, T.launchTemplate, {
                ...goodLaunchTemplate,
                networkInterfaces: [{ associatePublicIpAddress: "false" }],
            }),
        ).toEqual([]);
        expect(messages(name, T.instance, { ami: "ami-1", associatePublicIpAddress: false })).toEqual([]);
    });
});

// ---- 6. S3 -----------------------------------------------------------------------------------------

describe("s3-public-access-block-all-true", () => {
    const name = "s3-public-access-block-all-true";

    test("reports every flag that is not true", () => {
        expect(
            messages(name, T.publicAccessBlock, {
                bucket: "logs",
                blockPublicAcls: true,
                blockPublicPolicy: false,
                ignorePublicAcls: true,
            }),
        ).toEqual([
            expect.stringContaining("blockPublicPolicy is false"),
            expect.stringContaining("restrictPublicBuckets is undefined"),
        ]);
    });

    test("allows all four flags true", () => {
        expect(
            messages(name, T.publicAccessBlock, {
                bucket: "logs",
                blockPublicAcls: true,
                blockPublicPolicy: true,
                ignorePublicAcls: true,
                restrictPublicBuckets: true,
            }),
        ).toEqual([]);
    });
});

describe("s3-bucket-public-access-block-and-encryption (stack)", () => {
    const policy = [policyNamed("s3-bucket-public-access-block-and-encryption")];
    const block = (bucket: string, extra: Partial<PolicyResourceRecord> = {}) =>
        res(
            T.publicAccessBlock,
            {
                bucket,
                blockPublicAcls: true,
                blockPublicPolicy: true,
                ignorePublicAcls: true,
                restrictPublicBuckets: true,
            },
            extra,
        );
    const sse = (bucket: string, type: string = T.sse, extra: Partial<PolicyResourceRecord> = {}) =>
        res(type, { bucket, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }] }, extra);

    test("reports a bucket (Bucket or BucketV2) with no public access block or no encryption configuration", () => {
        const lonely = res(T.bucket, { bucket: "lonely-logs" }, { name: "lonely" });
        const v2 = res(T.bucketV2, {}, { name: "legacy", id: "legacy-1234" });
        const found = runPolicies([lonely, v2, block("legacy-1234")], policy);
        expect(found).toEqual([
            {
                policy: "s3-bucket-public-access-block-and-encryption",
                urn: lonely.urn,
                message: expect.stringContaining(`bucket "lonely" (lonely-logs) has no aws.s3.BucketPublicAccessBlock`),
            },
            {
                policy: "s3-bucket-public-access-block-and-encryption",
                urn: lonely.urn,
                message: expect.stringContaining("has no aws.s3.BucketServerSideEncryptionConfiguration"),
            },
            {
                policy: "s3-bucket-public-access-block-and-encryption",
                urn: v2.urn,
                message: expect.stringContaining(
                    `bucket "legacy" (legacy-1234) has no aws.s3.BucketServerSideEncryptionConfiguration`,
                ),
            },
        ]);
        // The deprecated inline configuration does not count (as an output it mirrors AWS's default).
        const inline = res(T.bucket, {
            bucket: "inline",
            serverSideEncryptionConfiguration: {
                rule: { applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } },
            },
        });
        expect(runPolicies([inline, block("inline")], policy)).toEqual([expect.objectContaining({ urn: inline.urn })]);
    });

    test("matches by bucket name, by id, or by property dependency while values are unknown", () => {
        const byName = res(T.bucket, { bucket: "alb-logs" });
        const byId = res(T.bucket, {}, { id: "logs-abc123" });
        const byDependency = res(T.bucket, {});
        expect(
            runPolicies(
                [
                    byName,
                    block("alb-logs"),
                    sse("alb-logs"),
                    byId,
                    block("logs-abc123"),
                    sse("logs-abc123", T.sseV2),
                    byDependency,
                    block("04da6b54-80e4-46f7-96ec-b56ff0331ba9", {
                        propertyDependencies: { bucket: [byDependency.urn] },
                    }),
                    sse("04da6b54-80e4-46f7-96ec-b56ff0331ba9", T.sse, {
                        propertyDependencies: { bucket: [byDependency.urn] },
                    }),
                ],
                policy,
            ),
        ).toEqual([]);
    });
});

describe("s3-bucket-deny-insecure-transport (stack)", () => {
    const policy = [policyNamed("s3-bucket-deny-insecure-transport")];
    const bucketPolicy = (bucket: string, doc: unknown, extra: Partial<PolicyResourceRecord> = {}) =>
        res(T.bucketPolicy, { bucket, policy: doc }, extra);

    test("reports a bucket with no bucket policy, or one that does not deny requests without TLS", () => {
        const lonely = res(T.bucket, { bucket: "lonely-logs" }, { name: "lonely" });
        const allowOnly = res(T.bucket, {}, { name: "allow-only", id: "allow-only-1" });
        const wrongCondition = res(T.bucketV2, {}, { name: "wrong", id: "wrong-1" });
        const found = runPolicies(
            [
                lonely,
                allowOnly,
                bucketPolicy("allow-only-1", JSON.stringify(document([logDelivery]))),
                // Denies only PutObject, and "true" instead of "false": neither closes plain HTTP.
                wrongCondition,
                bucketPolicy(
                    "wrong-1",
                    document([
                        { ...denyInsecureTransport, Action: "s3:PutObject" },
                        { ...denyInsecureTransport, Condition: { Bool: { "aws:SecureTransport": "true" } } },
                    ]),
                ),
            ],
            policy,
        );
        expect(found).toEqual([
            {
                policy: "s3-bucket-deny-insecure-transport",
                urn: lonely.urn,
                message: expect.stringContaining(`bucket "lonely" (lonely-logs) has no aws.s3.BucketPolicy`),
            },
            {
                policy: "s3-bucket-deny-insecure-transport",
                urn: allowOnly.urn,
                message: expect.stringContaining(
                    `bucket "allow-only" (allow-only-1): its bucket policy has no statement denying s3:*`,
                ),
            },
            {
                policy: "s3-bucket-deny-insecure-transport",
                urn: wrongCondition.urn,
                message: expect.stringContaining("requests without TLS are accepted"),
            },
        ]);
    });

    test("allows a TLS-only policy as JSON or object, with the condition as string, boolean or list; waits for an unknown policy", () => {
        const asJson = res(T.bucket, { bucket: "json" });
        const asObject = res(T.bucket, {}, { id: "object-1" });
        const asList = res(T.bucket, { bucket: "list" });
        const unknown = res(T.bucket, {});
        expect(
            runPolicies(
                [
                    asJson,
                    bucketPolicy("json", JSON.stringify(document([logDelivery, denyInsecureTransport]))),
                    asObject,
                    bucketPolicy(
                        "object-1",
                        document({
                            ...denyInsecureTransport,
                            Principal: { AWS: "*" },
                            Condition: { Bool: { "aws:SecureTransport": false } },
                        }),
                    ),
                    asList,
                    bucketPolicy(
                        "list",
                        document({
                            ...denyInsecureTransport,
                            Action: ["s3:*"],
                            Condition: { Bool: { "aws:SecureTransport": ["false"] } },
                        }),
                    ),
                    // During a preview the policy text can be unknown: matched by dependency, checked later.
                    unknown,
                    res(T.bucketPolicy, { bucket: "unknown-id" }, { propertyDependencies: { bucket: [unknown.urn] } }),
                ],
                policy,
            ),
        ).toEqual([]);
    });
});

describe("wafv2-web-acl-associated (stack)", () => {
    const policy = [policyNamed("wafv2-web-acl-associated")];
    const acl = (extra: Partial<PolicyResourceRecord> = {}, props: Record<string, any> = {}) =>
        res(
            T.webAcl,
            {
                scope: "REGIONAL",
                defaultAction: { allow: {} },
                arn: `arn:aws:wafv2:us-east-1:1:regional/webacl/${extra.name ?? "acl"}/1`,
                ...props,
            },
            extra,
        );

    test("reports a regional web ACL that no association uses", () => {
        const lonely = acl({ name: "lonely" });
        const other = acl({ name: "other" });
        const found = runPolicies(
            [lonely, other, res(T.webAclAssociation, { resourceArn: "arn:alb", webAclArn: other.props.arn })],
            policy,
        );
        expect(found).toEqual([
            {
                policy: "wafv2-web-acl-associated",
                urn: lonely.urn,
                message: expect.stringContaining(`web ACL "lonely" has no aws.wafv2.WebAclAssociation`),
            },
        ]);
    });

    test("allows an associated ACL (by ARN or by dependency) and ignores CloudFront ACLs", () => {
        const byArn = acl({ name: "by-arn" });
        const byDependency = acl({ name: "by-dependency" }, { arn: undefined });
        expect(
            runPolicies(
                [
                    byArn,
                    res(T.webAclAssociation, { resourceArn: "arn:alb-1", webAclArn: byArn.props.arn }),
                    byDependency,
                    res(
                        T.webAclAssociation,
                        { resourceArn: "arn:alb-2", webAclArn: "unknown" },
                        { propertyDependencies: { webAclArn: [byDependency.urn] } },
                    ),
                    acl({ name: "cloudfront" }, { scope: "CLOUDFRONT" }),
                ],
                policy,
            ),
        ).toEqual([]);
    });
});

// ---- 7. IAM ----------------------------------------------------------------------------------------

describe("iam-no-admin-statements", () => {
    const name = "iam-no-admin-statements";

    test("reports Allow * on * in policies, role policies and inline role policies, as JSON or object", () => {
        expect(
            messages(name, T.iamPolicy, {
                policy: JSON.stringify(document({ Effect: "Allow", Action: "*", Resource: "*" })),
            }),
        ).toEqual([
            expect.stringContaining(
                `policy Statement[0] allows Action "*" on Resource "*" (full administrator rights)`,
            ),
        ]);
        expect(
            messages(name, T.rolePolicy, {
                role: "r",
                policy: document([
                    { Sid: "Ok", Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::b/*" },
                    { Sid: "God", Effect: "Allow", Action: ["s3:*", "*:*"], Resource: ["arn:x", "*"] },
                ]),
            }),
        ).toEqual([expect.stringContaining(`policy Statement[1] (Sid "God") allows Action "*:*" on Resource "*"`)]);
        expect(
            messages(name, T.role, {
                assumeRolePolicy: "{}",
                inlinePolicies: [
                    {
                        name: "fine",
                        policy: JSON.stringify(
                            document({ Effect: "Allow", Action: "ssm:GetParameter", Resource: "*" }),
                        ),
                    },
                    {
                        name: "admin",
                        policy: JSON.stringify(document({ Effect: "Allow", Action: "*", Resource: "*" })),
                    },
                ],
            }),
        ).toEqual([expect.stringContaining(`inlinePolicies[1].policy Statement[0] allows Action "*"`)]);
    });

    test("reports a policy document it cannot parse", () => {
        expect(messages(name, T.iamPolicy, { policy: "{not json" })).toEqual([
            expect.stringContaining("policy cannot be checked: not valid JSON"),
        ]);
    });

    test("allows scoped statements, Deny *, and * actions on named resources", () => {
        expect(
            messages(name, T.iamPolicy, {
                policy: document([
                    {
                        Effect: "Allow",
                        Action: ["secretsmanager:GetSecretValue"],
                        Resource: "arn:aws:secretsmanager:us-east-1:1:secret:db",
                    },
                    { Effect: "Deny", Action: "*", Resource: "*" },
                    { Effect: "Allow", Action: "*", Resource: "arn:aws:s3:::bucket/*" },
                    { Effect: "Allow", Action: "cloudwatch:PutMetricData", Resource: "*" },
                ]),
            }),
        ).toEqual([]);
        expect(messages(name, T.role, { assumeRolePolicy: "{}" })).toEqual([]);
    });
});

describe("iam-no-passrole-on-any-role", () => {
    const name = "iam-no-passrole-on-any-role";

    test("reports iam:PassRole, directly or by wildcard, on *", () => {
        expect(
            messages(name, T.iamPolicy, {
                policy: document({ Effect: "Allow", Action: "iam:PassRole", Resource: "*" }),
            }),
        ).toEqual([
            expect.stringContaining(`policy Statement[0] allows Action "iam:PassRole" (iam:PassRole) on Resource "*"`),
        ]);
        expect(
            messages(name, T.rolePolicy, {
                role: "r",
                policy: JSON.stringify(
                    document({ Effect: "Allow", Action: ["ec2:RunInstances", "IAM:Pass*"], Resource: ["*"] }),
                ),
            }),
        ).toEqual([expect.stringContaining(`allows Action "IAM:Pass*"`)]);
        expect(
            messages(name, T.iamPolicy, { policy: document({ Effect: "Allow", Action: "iam:*", Resource: "*" }) }),
        ).toHaveLength(1);
    });

    test("allows PassRole on a named role, and leaves Action * to the admin policy", () => {
        expect(
            messages(name, T.iamPolicy, {
                policy: document({ Effect: "Allow", Action: "iam:PassRole", Resource: "arn:aws:iam::1:role/app" }),
            }),
        ).toEqual([]);
        expect(
            messages(name, T.iamPolicy, { policy: document({ Effect: "Allow", Action: "*", Resource: "*" }) }),
        ).toEqual([]);
    });
});

describe("iam-no-admin-managed-policies", () => {
    const name = "iam-no-admin-managed-policies";

    test("reports AdministratorAccess and friends, attached or in managedPolicyArns", () => {
        expect(
            messages(name, T.rolePolicyAttachment, {
                role: "r",
                policyArn: "arn:aws:iam::aws:policy/AdministratorAccess",
            }),
        ).toEqual([expect.stringContaining(`policyArn attaches "arn:aws:iam::aws:policy/AdministratorAccess"`)]);
        expect(
            messages(name, T.role, {
                assumeRolePolicy: "{}",
                managedPolicyArns: ["arn:aws-us-gov:iam::aws:policy/PowerUserAccess"],
            }),
        ).toEqual([
            expect.stringContaining(`managedPolicyArns attaches "arn:aws-us-gov:iam::aws:policy/PowerUserAccess"`),
        ]);
    });

    test("allows the servers' managed policies", () => {
        expect(
            messages(name, T.rolePolicyAttachment, {
                role: "r",
                policyArn: "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
            }),
        ).toEqual([]);
        expect(
            messages(name, T.role, {
                assumeRolePolicy: "{}",
                managedPolicyArns: ["arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy"],
            }),
        ).toEqual([]);
    });
});

// ---- Every policy can fail ------------------------------------------------------------------------

describe("the pack", () => {
    /** One bad resource list per policy: a policy none of them trips cannot fail, which is a defect. */
    const BAD: Record<string, PolicyResourceRecord[]> = {
        "security-group-no-internet-ingress-except-http-https": [
            res(T.sg, { ingress: [{ protocol: "tcp", fromPort: 3306, toPort: 3306, cidrBlocks: ["0.0.0.0/0"] }] }),
        ],
        "security-group-no-ssh": [
            res(T.ingressRule, { ipProtocol: "tcp", fromPort: 22, toPort: 22, cidrIpv4: "10.0.0.0/8" }),
        ],
        "security-group-no-all-protocol-ingress": [
            res(T.sgRule, { type: "ingress", protocol: "-1", fromPort: 0, toPort: 0, self: true }),
        ],
        "security-group-no-all-protocol-egress-to-internet": [
            res(T.egressRule, { ipProtocol: "-1", cidrIpv4: "0.0.0.0/0" }),
        ],
        "default-security-group-no-rules": [
            res(T.defaultSg, { egress: [{ protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"] }] }),
        ],
        "vpc-default-security-group-adopted": [res(T.vpc, { cidrBlock: "10.0.0.0/16" })],
        "lb-listener-https-modern-tls": [
            res(T.lbListener, { ...goodHttpsListener, sslPolicy: "ELBSecurityPolicy-2016-08" }),
        ],
        "alb-drop-invalid-header-fields": [res(T.lb, {})],
        "rds-storage-encrypted": [res(T.rds, { ...goodPrimary, storageEncrypted: false })],
        "rds-not-publicly-accessible": [res(T.rds, { ...goodPrimary, publiclyAccessible: true })],
        "rds-backup-retention": [res(T.rds, { ...goodPrimary, backupRetentionPeriod: 0 })],
        "rds-final-snapshot": [res(T.rds, { ...goodPrimary, skipFinalSnapshot: true })],
        "ec2-imdsv2-required": [
            res(T.launchTemplate, { ...goodLaunchTemplate, metadataOptions: { httpTokens: "optional" } }),
        ],
        "ec2-ebs-encrypted": [res(T.volume, { size: 8 })],
        "ec2-no-key-pair": [res(T.launchTemplate, { ...goodLaunchTemplate, keyName: "k" })],
        "ec2-no-public-ip": [res(T.instance, { associatePublicIpAddress: true })],
        "s3-public-access-block-all-true": [res(T.publicAccessBlock, { bucket: "b" })],
        "s3-bucket-public-access-block-and-encryption": [res(T.bucket, { bucket: "b" })],
        "s3-bucket-deny-insecure-transport": [
            res(T.bucket, { bucket: "b" }),
            res(T.bucketPolicy, { bucket: "b", policy: JSON.stringify(document([logDelivery])) }),
        ],
        "wafv2-web-acl-associated": [res(T.webAcl, { scope: "REGIONAL", defaultAction: { allow: {} } })],
        "iam-no-admin-statements": [
            res(T.iamPolicy, { policy: document({ Effect: "Allow", Action: "*", Resource: "*" }) }),
        ],
        "iam-no-passrole-on-any-role": [
            res(T.iamPolicy, { policy: document({ Effect: "Allow", Action: "iam:PassRole", Resource: "*" }) }),
        ],
        "iam-no-admin-managed-policies": [
            res(T.rolePolicyAttachment, { role: "r", policyArn: "arn:aws:iam::aws:policy/IAMFullAccess" }),
        ],
        "rds-multi-az": [res(T.rds, { ...goodPrimary, multiAz: false })],
        "alb-deletion-protection": [res(T.lb, { dropInvalidHeaderFields: true })],
    };
    /** Resilience advice a development stack may ignore; everything else is the security baseline. */
    const ADVISORY = ["rds-multi-az", "alb-deletion-protection"];

    test.each(policies.map((p) => [p.name, p] as const))(
        "%s has its enforcement level, is described, and can fail",
        (policyName, policy) => {
            expect(policy.enforcementLevel).toBe(ADVISORY.includes(policyName) ? "advisory" : "mandatory");
            expect(policy.description.length).toBeGreaterThan(20);
            expect(BAD[policyName]).toBeDefined();
            const found = runPolicies(BAD[policyName], [policy]);
            expect(found.length).toBeGreaterThan(0);
            expect(found.every((v) => v.policy === policyName && v.message.length > 0)).toBe(true);
        },
    );

    test("policy names are unique, and resource and stack policies add up to the pack", () => {
        const names = policies.map((p) => p.name);
        expect(new Set(names).size).toBe(names.length);
        expect(resourcePolicies.length + stackPolicies.length).toBe(policies.length);
        expect(Object.keys(BAD).sort()).toEqual([...names].sort());
    });

    test("a resource policy called directly on another type is not applicable, as under the policy server", () => {
        const imds = resourcePolicies.find((p) => p.name === "ec2-imdsv2-required")!;
        const [forLaunchTemplates] = [imds.validateResource].flat();
        const report = jest.fn();
        expect(() => forLaunchTemplates!(resourceArgs({ type: T.rds, props: {} }), report)).toThrow(
            PolicyNotApplicable,
        );
        void forLaunchTemplates!(
            resourceArgs({ type: T.launchTemplate, props: { metadataOptions: { httpTokens: "optional" } } }),
            report,
        );
        expect(report).toHaveBeenCalledWith(expect.stringContaining(`"optional"`));
    });
});

// ---- runPolicies over whole stacks ----------------------------------------------------------------

describe("runPolicies", () => {
    /** The resources a well-configured ha-webstack registers (the security-relevant ones). */
    function goodStack(): PolicyResourceRecord[] {
        const vpc = res(T.vpc, { cidrBlock: "10.0.0.0/16" }, { name: "vpc", id: "vpc-1" });
        const bucket = res(T.bucket, { bucketPrefix: "alb-logs-" }, { name: "alb-logs", id: "alb-logs-123" });
        return [
            vpc,
            res(T.defaultSg, { vpcId: "vpc-1" }),
            res(T.sg, {
                vpcId: "vpc-1",
                ingress: [
                    { protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: ["0.0.0.0/0"] },
                    { protocol: "tcp", fromPort: 80, toPort: 80, cidrBlocks: ["0.0.0.0/0"] },
                ],
            }),
            res(T.sg, { vpcId: "vpc-1" }),
            res(T.ingressRule, {
                securityGroupId: "sg-servers",
                ipProtocol: "tcp",
                fromPort: 8080,
                toPort: 8080,
                referencedSecurityGroupId: "sg-alb",
            }),
            res(T.ingressRule, {
                securityGroupId: "sg-db",
                ipProtocol: "tcp",
                fromPort: 3306,
                toPort: 3306,
                referencedSecurityGroupId: "sg-servers",
            }),
            res(T.egressRule, {
                securityGroupId: "sg-servers",
                ipProtocol: "tcp",
                fromPort: 443,
                toPort: 443,
                cidrIpv4: "0.0.0.0/0",
            }),
            res(T.lb, {
                loadBalancerType: "application",
                dropInvalidHeaderFields: true,
                enableDeletionProtection: true,
                subnets: ["a", "b"],
            }),
            res(T.lbListener, goodHttpsListener),
            res(T.lbListener, goodHttpListener),
            res(T.launchTemplate, goodLaunchTemplate),
            res(T.rds, goodPrimary),
            res(T.rds, goodReplica),
            bucket,
            res(T.publicAccessBlock, {
                bucket: "alb-logs-123",
                blockPublicAcls: true,
                blockPublicPolicy: true,
                ignorePublicAcls: true,
                restrictPublicBuckets: true,
            }),
            res(T.sse, {
                bucket: "alb-logs-123",
                rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }],
            }),
            res(T.bucketPolicy, {
                bucket: "alb-logs-123",
                policy: JSON.stringify(document([logDelivery, denyInsecureTransport])),
            }),
            res(T.role, {
                assumeRolePolicy: JSON.stringify(
                    document({
                        Effect: "Allow",
                        Principal: { Service: "ec2.amazonaws.com" },
                        Action: "sts:AssumeRole",
                    }),
                ),
                managedPolicyArns: ["arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"],
            }),
            res(T.rolePolicy, {
                role: "servers",
                policy: JSON.stringify(
                    document({
                        Effect: "Allow",
                        Action: "secretsmanager:GetSecretValue",
                        Resource: "arn:aws:secretsmanager:us-east-1:1:secret:db",
                    }),
                ),
            }),
        ];
    }

    test("finds nothing in a well-configured stack", () => {
        expect(runPolicies(goodStack())).toEqual([]);
    });

    test("reports each violation with its policy and the offending resource's URN", () => {
        const stack = goodStack();
        const db = stack.find((r) => r.type === T.rds && !r.props.replicateSourceDb)!;
        db.props.publiclyAccessible = true;
        const ssh = res(T.sgRule, {
            type: "ingress",
            protocol: "tcp",
            fromPort: 22,
            toPort: 22,
            cidrBlocks: ["0.0.0.0/0"],
            securityGroupId: "sg-servers",
        });
        const found = runPolicies([...stack, ssh]);
        expect(found).toEqual(
            expect.arrayContaining([
                {
                    policy: "rds-not-publicly-accessible",
                    urn: db.urn,
                    message: expect.stringContaining("publiclyAccessible is true"),
                },
                { policy: "security-group-no-ssh", urn: ssh.urn, message: expect.stringContaining("covers port 22") },
                {
                    policy: "security-group-no-internet-ingress-except-http-https",
                    urn: ssh.urn,
                    message: expect.stringContaining(`cidrBlocks[0] "0.0.0.0/0"`),
                },
            ]),
        );
        expect(found).toHaveLength(3);
    });

    test("sees through secret-wrapped inputs, as mocks register them", () => {
        const secret = (value: unknown) => ({
            "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
            value,
        });
        const found = runPolicies([
            res(T.rds, { ...goodPrimary, password: secret("pw"), storageEncrypted: secret(false) }),
        ]);
        expect(found).toEqual([
            expect.objectContaining({
                policy: "rds-storage-encrypted",
                message: expect.stringContaining("storageEncrypted is false"),
            }),
        ]);
    });
});

// ---- Helpers ---------------------------------------------------------------------------------------

describe("helpers", () => {
    test("isWorldCidr: any /0, IPv4 or IPv6", () => {
        expect(["0.0.0.0/0", "::/0", " 0.0.0.0/0 ", "10.0.0.0/0", "0::0/0"].every(isWorldCidr)).toBe(true);
        expect(["10.0.0.0/16", "0.0.0.0/1", "::/1", "0.0.0.0", "0.0.0.0/", "sg-123"].some(isWorldCidr)).toBe(false);
    });

    test("normalizeProtocol: names, numbers and 'all'", () => {
        expect(["-1", "all", "ALL", undefined, ""].map(normalizeProtocol)).toEqual(["-1", "-1", "-1", "-1", "-1"]);
        expect(["tcp", "6", "TCP", "17", "1", "58", "50"].map(normalizeProtocol)).toEqual([
            "tcp",
            "tcp",
            "tcp",
            "udp",
            "icmp",
            "icmpv6",
            "50",
        ]);
    });

    test("coversPort and portRange: ranges, all-protocol rules and open bounds", () => {
        expect(coversPort("tcp", 0, 65535, 22)).toBe(true);
        expect(coversPort("tcp", 22, 22, 22)).toBe(true);
        expect(coversPort("tcp", 20, 21, 22)).toBe(false);
        expect(coversPort("tcp", 23, 1024, 22)).toBe(false);
        expect(coversPort("-1", 0, 0, 22)).toBe(true); // -1 ignores its (0, 0) range: every port
        expect(coversPort("tcp", undefined, undefined, 22)).toBe(true);
        expect(coversPort("tcp", -1, -1, 22)).toBe(true);
        expect(portRange("tcp", 80, 443)).toEqual([80, 443]);
        expect(portRange("-1", 0, 0)).toEqual([0, 65535]);
        expect(portRange("tcp", "8080", "8081")).toEqual([8080, 8081]);
    });

    test("securityGroupRules flattens the four rule shapes", () => {
        expect(
            securityGroupRules(T.sg, {
                ingress: [{ protocol: "tcp", fromPort: 80, toPort: 80, cidrBlocks: ["0.0.0.0/0"] }],
                egress: [{ protocol: "-1", fromPort: 0, toPort: 0 }],
            }),
        ).toEqual([
            expect.objectContaining({
                direction: "ingress",
                protocol: "tcp",
                fromPort: 80,
                toPort: 80,
                sources: [{ property: "ingress[0].cidrBlocks[0]", cidr: "0.0.0.0/0" }],
            }),
            expect.objectContaining({ direction: "egress", protocol: "-1", fromPort: 0, toPort: 65535, sources: [] }),
        ]);
        expect(
            securityGroupRules(T.sgRule, {
                type: "egress",
                protocol: "udp",
                fromPort: 53,
                toPort: 53,
                cidrBlocks: ["10.0.0.2/32"],
            }),
        ).toEqual([
            expect.objectContaining({
                direction: "egress",
                protocol: "udp",
                sources: [{ property: "cidrBlocks[0]", cidr: "10.0.0.2/32" }],
            }),
        ]);
        expect(
            securityGroupRules(T.ingressRule, { ipProtocol: "tcp", fromPort: 443, toPort: 443, cidrIpv6: "::/0" }),
        ).toEqual([
            expect.objectContaining({
                direction: "ingress",
                protocolProperty: "ipProtocol",
                sources: [{ property: "cidrIpv6", cidr: "::/0" }],
            }),
        ]);
        expect(securityGroupRules(T.egressRule, { ipProtocol: "-1" })).toEqual([
            expect.objectContaining({ direction: "egress", protocol: "-1" }),
        ]);
        expect(securityGroupRules(T.rds, {})).toEqual([]);
    });

    test("parsePolicyDocument: JSON string or object, one statement or many, strings or arrays", () => {
        const statement = { Sid: "A", Effect: "Allow", Action: "s3:GetObject", Resource: ["arn:a", "arn:b"] };
        const expected = {
            statements: [{ sid: "A", effect: "Allow", actions: ["s3:GetObject"], resources: ["arn:a", "arn:b"] }],
        };
        expect(parsePolicyDocument(JSON.stringify(document(statement)))).toEqual(expected);
        expect(parsePolicyDocument(document([statement]))).toEqual(expected);
        expect(parsePolicyDocument(document({ Effect: "Deny", NotAction: "iam:*" }))).toEqual({
            statements: [{ sid: undefined, effect: "Deny", actions: [], resources: [] }],
        });
        expect(parsePolicyDocument({ Version: "2012-10-17" })).toEqual({ statements: [] });
        expect(parsePolicyDocument("{")).toEqual({ error: expect.stringContaining("not valid JSON") });
        expect(parsePolicyDocument(42)).toEqual({ error: "expected a policy document, got 42" });
    });

    test("actionMatches and isFullWildcardAction follow IAM's wildcards, case-insensitively", () => {
        expect(actionMatches("iam:PassRole", "iam:PassRole")).toBe(true);
        expect(actionMatches("iam:passrole", "iam:PassRole")).toBe(true);
        expect(actionMatches("iam:*", "iam:PassRole")).toBe(true);
        expect(actionMatches("iam:Pass?ole", "iam:PassRole")).toBe(true);
        expect(actionMatches("*", "iam:PassRole")).toBe(true);
        expect(actionMatches("iam:Get*", "iam:PassRole")).toBe(false);
        expect(actionMatches("s3:*", "iam:PassRole")).toBe(false);
        expect(actionMatches("iam:PassRole.", "iam:PassRoleX")).toBe(false); // "." is literal
        expect(["*", "*:*"].every(isFullWildcardAction)).toBe(true);
        expect(["s3:*", "iam:*", "*:Get*"].some(isFullWildcardAction)).toBe(false);
    });

    test("isTrue accepts pulumi-aws's string booleans", () => {
        expect([true, "true", "TRUE", " true "].every(isTrue)).toBe(true);
        expect([false, "false", undefined, 1, "yes"].some(isTrue)).toBe(false);
    });

    test("unwrapSecrets replaces secret wrappers deeply and leaves the rest alone", () => {
        const secret = (value: unknown) => ({
            "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
            value,
        });
        expect(unwrapSecrets({ a: secret("x"), b: [secret({ c: secret(1) })], d: null, e: "plain" })).toEqual({
            a: "x",
            b: [{ c: 1 }],
            d: null,
            e: "plain",
        });
    });
});
