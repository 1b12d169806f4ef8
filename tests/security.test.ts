/**
 * The security baseline of the LoadBalancer and Network components, evaluated offline: the three
 * certificate modes, the WAF switch, the access log bucket and its policy, VPC flow logs, the
 * egress of each tier, arguments rejected before anything is created, and the policy pack over
 * the result.
 */
import { LoadBalancer, LoadBalancerArgs } from "../components/loadBalancer";
import {
    accessLogBucketPolicy,
    ELB_LOG_DELIVERY_ACCOUNTS,
    ELB_LOG_DELIVERY_SERVICE,
} from "../components/loadBalancer/logBucket";
import { Network, NetworkArgs } from "../components/network";
import { ServerPool } from "../components/serverPool";
import { WAF_MANAGED_RULE_GROUPS } from "../components/loadBalancer/webAcl";
import { runPolicies } from "../policy/testing";
import { ACCOUNT_ID, evaluate, RegisteredResource } from "../scripts/offline";
import { expectRejectedBeforeCreate, T, ofType, only, policyView, resolveRef } from "./helpers";

const S = {
    acmValidation: "aws:acm/certificateValidation:CertificateValidation",
    record: "aws:route53/record:Record",
    webAcl: "aws:wafv2/webAcl:WebAcl",
    webAclAssociation: "aws:wafv2/webAclAssociation:WebAclAssociation",
    bucket: "aws:s3/bucket:Bucket",
    bucketPolicy: "aws:s3/bucketPolicy:BucketPolicy",
    publicAccessBlock: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    ownership: "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
    sse: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    lifecycle: "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    logGroup: "aws:cloudwatch/logGroup:LogGroup",
    flowLog: "aws:ec2/flowLog:FlowLog",
    selfSigned: "tls:index/selfSignedCert:SelfSignedCert",
} as const;

const CERT = "arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-4333-8444-555555555555";
const DOMAIN = "shop.example.com";
const ZONE = "Z0123456789ABCDEFGHIJ";

const base: LoadBalancerArgs = { vpcId: "vpc-1", subnetIds: ["subnet-a", "subnet-b"] };
/** A LoadBalancer alone; the program's result is its url (resolved into `outputs.url`). */
const buildLb = (args: Partial<LoadBalancerArgs> = {}, region?: string) =>
    evaluate(
        () => {
            const lb = new LoadBalancer("web", { ...base, ...args });
            return { url: lb.url };
        },
        { stack: "test", config: region ? { "aws:region": region } : {} },
    );
const buildNet = (args: NetworkArgs = {}) => evaluate(() => new Network("net", args), { stack: "test" });

/** What the engine would hand the policy pack: inputs plus the outputs the mocks computed. */
const parse = (r: RegisteredResource, key: string) => JSON.parse(r.inputs[key]);
const dependsOn = (dependent: RegisteredResource, dependency: RegisteredResource) =>
    dependent.options.dependencies.includes(dependency.urn);

describe("certificates: three modes", () => {
    it("should use an existing certificate ARN as it is: no ACM, Route 53 or TLS resources", async () => {
        const ev = await buildLb({ certificateArn: CERT });
        for (const type of [T.certificate, S.acmValidation, S.record, S.selfSigned]) {
            expect(ofType(ev, type)).toEqual([]);
        }
        const https = only(ev, T.listener, "-https");
        expect(https.inputs.certificateArn).toBe(CERT);
        expect(https.inputs.routingHttpResponseStrictTransportSecurityHeaderValue).toBe("max-age=31536000");
        expect(ev.outputs.url).toBe(`https://${only(ev, T.alb).state.dnsName}`);
    });

    it("should request a DNS-validated certificate for a domain, validate it in the zone and serve the domain", async () => {
        const ev = await buildLb({ domainName: DOMAIN, hostedZoneId: ZONE });
        const cert = only(ev, T.certificate);
        expect(cert.inputs).toMatchObject({ domainName: DOMAIN, validationMethod: "DNS" });
        expect(cert.inputs.privateKey).toBeUndefined();
        expect(ofType(ev, S.selfSigned)).toEqual([]);

        // The validation record is the CNAME ACM asked for, in the given zone.
        const [option] = cert.state.domainValidationOptions;
        const validationRecord = only(ev, S.record, "-cert-dns");
        expect(validationRecord.inputs).toMatchObject({
            zoneId: ZONE,
            name: option.resourceRecordName,
            type: option.resourceRecordType,
            records: [option.resourceRecordValue],
            allowOverwrite: true,
        });
        const validation = only(ev, S.acmValidation);
        expect(validation.inputs.certificateArn).toBe(cert.state.arn);
        expect(validation.inputs.validationRecordFqdns).toEqual([validationRecord.state.fqdn]);

        // The listener uses the validated certificate: its ARN comes from the CertificateValidation.
        const https = only(ev, T.listener, "-https");
        expect(https.inputs.certificateArn).toBe(cert.state.arn);
        expect(dependsOn(https, validation)).toBe(true);
        expect(https.inputs.routingHttpResponseStrictTransportSecurityHeaderValue).toBe("max-age=31536000");

        // An alias A record (the ALB is IPv4 only: no AAAA) for the domain to the ALB.
        const alb = only(ev, T.alb);
        const aliases = ofType(ev, S.record).filter((r) => r !== validationRecord);
        expect(aliases.map((r) => r.inputs)).toEqual([
            {
                zoneId: ZONE,
                name: DOMAIN,
                type: "A",
                aliases: [{ name: alb.state.dnsName, zoneId: alb.state.zoneId, evaluateTargetHealth: true }],
            },
        ]);
        expect(ev.outputs.url).toBe(`https://${DOMAIN}`);
    });

    it("should generate a self-signed certificate when neither is given, without HSTS", async () => {
        const ev = await buildLb();
        const imported = only(ev, T.certificate);
        expect(imported.inputs.certificateBody).toContain("BEGIN CERTIFICATE");
        expect(imported.inputs.validationMethod).toBeUndefined();
        expect(ofType(ev, S.record)).toEqual([]);
        expect(ofType(ev, S.acmValidation)).toEqual([]);
        const https = only(ev, T.listener, "-https");
        expect(https.inputs.certificateArn).toBe(imported.state.arn);
        expect(https.inputs.routingHttpResponseStrictTransportSecurityHeaderValue).toBeUndefined();
    });
});

describe("bad security arguments are rejected before anything is created", () => {
    it.each([
        [{ domainName: DOMAIN }, "LoadBalancer args.domainName is set but LoadBalancer args.hostedZoneId is not"],
        [{ hostedZoneId: ZONE }, "LoadBalancer args.hostedZoneId is set but LoadBalancer args.domainName is not"],
        [
            { certificateArn: CERT, domainName: DOMAIN, hostedZoneId: ZONE },
            "LoadBalancer args.certificateArn and LoadBalancer args.domainName are both set: set only one of them",
        ],
        [
            { certificateArn: "arn:aws:iam::123456789012:server-certificate/x" },
            "LoadBalancer args.certificateArn=arn:aws:iam::123456789012:server-certificate/x is not valid: expected an ACM certificate ARN",
        ],
        [
            { allowedCidrs: ["203.0.113.0"] },
            "LoadBalancer args.allowedCidrs[0]=203.0.113.0 is not valid: expected an IPv4 CIDR block",
        ],
        [
            { allowedCidrs: ["203.0.113.7/24"] },
            "LoadBalancer args.allowedCidrs[0]=203.0.113.7/24 is not valid: expected an IPv4 CIDR block with a prefix from /0 to /32, host bits zero (e.g. 10.0.0.0/16); did you mean 203.0.113.0/24?",
        ],
        [
            { domainName: "Shop.Example.com", hostedZoneId: ZONE },
            "LoadBalancer args.domainName=Shop.Example.com is not valid: expected a DNS name such as shop.example.com",
        ],
        [
            { domainName: "shop.example.com.", hostedZoneId: ZONE },
            "LoadBalancer args.domainName=shop.example.com. is not valid: expected a DNS name",
        ],
        [
            { domainName: "localhost", hostedZoneId: ZONE },
            "LoadBalancer args.domainName=localhost is not valid: expected a DNS name",
        ],
        [
            { domainName: "-shop.example.com", hostedZoneId: ZONE },
            "LoadBalancer args.domainName=-shop.example.com is not valid",
        ],
        [
            { domainName: "shop_1.example.com", hostedZoneId: ZONE },
            "LoadBalancer args.domainName=shop_1.example.com is not valid",
        ],
        [
            { domainName: `${"a".repeat(60)}.example.com`, hostedZoneId: ZONE },
            "is not valid: expected at most 64 characters: ACM puts the domain in the certificate's common name",
        ],
        [
            { domainName: DOMAIN, hostedZoneId: "/hostedzone/Z0123456789ABCDEFGHIJ" },
            "LoadBalancer args.hostedZoneId=/hostedzone/Z0123456789ABCDEFGHIJ is not valid: expected a Route 53 hosted zone id such as Z0123456789ABCDEFGHIJ",
        ],
        [{ domainName: DOMAIN, hostedZoneId: "z123abc" }, "LoadBalancer args.hostedZoneId=z123abc is not valid"],
        [
            { waf: { rateLimitPerFiveMinutes: 99 } },
            "LoadBalancer args.waf.rateLimitPerFiveMinutes=99 is not valid: expected an integer from 100 to 2000000000",
        ],
        [
            { waf: { rateLimitPerFiveMinutes: 2_000_000_001 } },
            "LoadBalancer args.waf.rateLimitPerFiveMinutes=2000000001 is not valid",
        ],
        [
            { waf: { rateLimit: 500 } },
            `LoadBalancer args.waf={"rateLimit":500} is not valid: expected { enabled, rateLimitPerFiveMinutes }, true or false (unknown field rateLimit)`,
        ],
        [
            { waf: "on" },
            "LoadBalancer args.waf=on is not valid: expected { enabled, rateLimitPerFiveMinutes }, true or false",
        ],
        [
            { accessLogs: { enabled: "no" } },
            "LoadBalancer args.accessLogs.enabled=no is not valid: expected true or false",
        ],
        [
            { accessLogs: { retentionDays: 0 } },
            "LoadBalancer args.accessLogs.retentionDays=0 is not valid: expected an integer from 1 to 3650",
        ],
        [{ accessLogs: { retentionDays: 3651 } }, "LoadBalancer args.accessLogs.retentionDays=3651 is not valid"],
    ])("should reject LoadBalancer %j", async (args, message) => {
        await expectRejectedBeforeCreate(buildLb(args as any), message);
    });

    it.each([
        [
            { flowLogs: { retentionDays: 31 } },
            "Network args.flowLogs.retentionDays=31 is not valid: expected a CloudWatch Logs retention in days: one of 1, 3, 5, 7, 14, 30, 60, 90",
        ],
        [{ flowLogs: { retentionDays: 0 } }, "Network args.flowLogs.retentionDays=0 is not valid"],
        [
            { flowLogs: "yes" },
            "Network args.flowLogs=yes is not valid: expected { enabled, retentionDays }, true or false",
        ],
    ])("should reject Network %j", async (args, message) => {
        await expectRejectedBeforeCreate(buildNet(args as any), message);
    });
});

describe("WAF", () => {
    it("should create no WAF resources by default", async () => {
        const ev = await buildLb();
        expect(ev.resources.filter((r) => r.type.startsWith("aws:wafv2/"))).toEqual([]);
    });

    it("should put a regional web ACL with a per-IP rate limit and the AWS managed rules in front of the ALB", async () => {
        const ev = await buildLb({ waf: {} });
        const acl = only(ev, S.webAcl);
        expect(acl.inputs).toMatchObject({
            scope: "REGIONAL",
            defaultAction: { allow: {} },
            visibilityConfig: { cloudwatchMetricsEnabled: true, sampledRequestsEnabled: true },
        });
        const rules = acl.inputs.rules;
        expect(rules.map((r: any) => [r.priority, r.name])).toEqual([
            [0, "rate-limit-per-ip"],
            [1, "AWSManagedRulesCommonRuleSet"],
            [2, "AWSManagedRulesKnownBadInputsRuleSet"],
        ]);
        expect(rules[0]).toMatchObject({
            action: { block: {} },
            statement: { rateBasedStatement: { limit: 2000, aggregateKeyType: "IP", evaluationWindowSec: 300 } },
        });
        for (const [i, group] of WAF_MANAGED_RULE_GROUPS.entries()) {
            expect(rules[i + 1]).toMatchObject({
                overrideAction: { none: {} },
                statement: { managedRuleGroupStatement: { vendorName: "AWS", name: group } },
            });
            expect(rules[i + 1].action).toBeUndefined();
        }
        // Metric names: 1-128 characters, no whitespace, distinct.
        const metrics = [acl.inputs.visibilityConfig, ...rules.map((r: any) => r.visibilityConfig)];
        for (const v of metrics) {
            expect(v).toMatchObject({ cloudwatchMetricsEnabled: true, sampledRequestsEnabled: true });
            expect(v.metricName).toMatch(/^[\w#:./-]{1,128}$/);
        }
        expect(new Set(metrics.map((v: any) => v.metricName)).size).toBe(metrics.length);

        const association = only(ev, S.webAclAssociation);
        expect(association.inputs).toEqual({ resourceArn: only(ev, T.alb).state.arn, webAclArn: acl.state.arn });
    });

    it("should take a custom rate limit", async () => {
        const ev = await buildLb({ waf: { rateLimitPerFiveMinutes: 500 } });
        expect(only(ev, S.webAcl).inputs.rules[0].statement.rateBasedStatement.limit).toBe(500);
    });
});

describe("ALB access logs", () => {
    it("should write to a private, SSE-S3, expiring bucket and wait for its policy", async () => {
        const ev = await buildLb();
        const bucket = only(ev, S.bucket);
        expect(bucket.inputs.bucketPrefix).toBe("web-alb-logs-");
        expect(bucket.inputs.forceDestroy).toBe(true);
        const ofBucket = (type: string) => {
            const found = only(ev, type);
            expect(found.inputs.bucket).toBe(bucket.id); // the bucket's id: its name
            return found.inputs;
        };
        expect(ofBucket(S.publicAccessBlock)).toMatchObject({
            blockPublicAcls: true,
            blockPublicPolicy: true,
            ignorePublicAcls: true,
            restrictPublicBuckets: true,
        });
        expect(ofBucket(S.ownership).rule).toEqual({ objectOwnership: "BucketOwnerEnforced" });
        expect(ofBucket(S.sse).rules).toEqual([{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }]);
        expect(ofBucket(S.lifecycle).rules).toEqual([
            expect.objectContaining({ status: "Enabled", filter: { prefix: "alb/" }, expiration: { days: 90 } }),
        ]);

        const alb = only(ev, T.alb);
        expect(alb.inputs.accessLogs).toEqual({ bucket: bucket.id, enabled: true, prefix: "alb" });
        expect(resolveRef(ev, alb.inputs.accessLogs.bucket)).toBe(bucket);
        expect(dependsOn(alb, only(ev, S.bucketPolicy))).toBe(true);
    });

    it("should let only ELB log delivery write under the prefix, and deny requests without TLS", async () => {
        const ev = await buildLb();
        const bucket = only(ev, S.bucket);
        const policy = only(ev, S.bucketPolicy);
        expect(policy.inputs.bucket).toBe(bucket.id);
        const statements = parse(policy, "policy").Statement;
        const logs = `${bucket.state.arn}/alb/AWSLogs/${ACCOUNT_ID}/*`;
        const allows = statements.filter((s: any) => s.Effect === "Allow");
        // us-east-1 is older than August 2022: the regional ELB account, and the service principal.
        expect(allows).toEqual([
            {
                Sid: "ElbLogDelivery",
                Effect: "Allow",
                Principal: { Service: ELB_LOG_DELIVERY_SERVICE },
                Action: "s3:PutObject",
                Resource: logs,
            },
            {
                Sid: "ElbRegionalAccountLogDelivery",
                Effect: "Allow",
                Principal: { AWS: "arn:aws:iam::127311923021:root" },
                Action: "s3:PutObject",
                Resource: logs,
            },
        ]);
        const denies = statements.filter((s: any) => s.Effect === "Deny");
        expect(denies).toEqual([
            {
                Sid: "DenyInsecureTransport",
                Effect: "Deny",
                Principal: "*",
                Action: "s3:*",
                Resource: [bucket.state.arn, `${bucket.state.arn}/*`],
                Condition: { Bool: { "aws:SecureTransport": "false" } },
            },
        ]);
        expect(statements).toHaveLength(allows.length + denies.length);
    });

    it("should grant only the log delivery service in a region opened after August 2022", async () => {
        const ev = await buildLb({}, "ap-south-2");
        const allows = parse(only(ev, S.bucketPolicy), "policy").Statement.filter((s: any) => s.Effect === "Allow");
        expect(allows.map((s: any) => s.Principal)).toEqual([{ Service: ELB_LOG_DELIVERY_SERVICE }]);
        expect(ELB_LOG_DELIVERY_ACCOUNTS["ap-south-2"]).toBeUndefined();
    });

    it("should name the partition of the regional ELB account", () => {
        const doc: any = accessLogBucketPolicy({
            bucketArn: "arn:aws-us-gov:s3:::logs",
            prefix: "alb",
            accountId: "1",
            region: "us-gov-west-1",
            partition: "aws-us-gov",
        });
        expect(doc.Statement[1].Principal).toEqual({ AWS: "arn:aws-us-gov:iam::048591011584:root" });
    });

    it("should follow retentionDays and forceDestroy (kept by default under deletion protection)", async () => {
        const custom = await buildLb({ accessLogs: { retentionDays: 7, forceDestroy: false } });
        expect(only(custom, S.lifecycle).inputs.rules[0].expiration).toEqual({ days: 7 });
        expect(only(custom, S.bucket).inputs.forceDestroy).toBe(false);
        expect(only(await buildLb({ deletionProtection: true }), S.bucket).inputs.forceDestroy).toBe(false);
    });

    it("should create no bucket when turned off", async () => {
        const ev = await buildLb({ accessLogs: { enabled: false } });
        expect(ev.resources.filter((r) => r.type.startsWith("aws:s3/"))).toEqual([]);
        expect(only(ev, T.alb).inputs.accessLogs).toBeUndefined();
    });
});

describe("VPC flow logs", () => {
    it("should log ALL traffic of the VPC to a log group with a retention, through a role scoped to it", async () => {
        const ev = await buildNet();
        const vpc = only(ev, T.vpc);
        const group = only(ev, S.logGroup);
        expect(group.inputs.retentionInDays).toBe(30);
        const role = only(ev, T.role);
        const rolePolicy = only(ev, T.rolePolicy);
        const flowLog = only(ev, S.flowLog);
        expect(flowLog.inputs).toMatchObject({
            vpcId: vpc.name,
            trafficType: "ALL",
            logDestinationType: "cloud-watch-logs",
            logDestination: group.state.arn,
            iamRoleArn: role.state.arn,
        });
        expect(dependsOn(flowLog, rolePolicy)).toBe(true);

        // Only the flow logs service, and only for this account's flow logs in this region.
        expect(parse(role, "assumeRolePolicy").Statement).toEqual([
            {
                Effect: "Allow",
                Principal: { Service: "vpc-flow-logs.amazonaws.com" },
                Action: "sts:AssumeRole",
                Condition: {
                    StringEquals: { "aws:SourceAccount": ACCOUNT_ID },
                    ArnLike: { "aws:SourceArn": `arn:aws:ec2:us-east-1:${ACCOUNT_ID}:vpc-flow-log/*` },
                },
            },
        ]);
        // Write to that log group only.
        expect(rolePolicy.inputs.role).toBe(role.name);
        expect(parse(rolePolicy, "policy").Statement).toEqual([
            {
                Sid: "WriteFlowLogs",
                Effect: "Allow",
                Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                Resource: [group.state.arn, `${group.state.arn}:*`],
            },
        ]);
    });

    it("should follow retentionDays, and create nothing when turned off", async () => {
        expect(only(await buildNet({ flowLogs: { retentionDays: 90 } }), S.logGroup).inputs.retentionInDays).toBe(90);
        const off = await buildNet({ flowLogs: { enabled: false } });
        expect([S.flowLog, S.logGroup, T.role, T.rolePolicy].flatMap((type) => ofType(off, type))).toEqual([]);
    });
});

describe("egress per tier", () => {
    /** Network, load balancer and one server pool on app port 8080, wired as WebStack does. */
    const buildTiers = () =>
        evaluate(
            () => {
                const net = new Network("net", { flowLogs: { enabled: false } });
                const lb = new LoadBalancer("web", {
                    vpcId: net.vpcId,
                    subnetIds: net.publicSubnetIds,
                    mode: "active-active",
                    targetPort: 8080,
                    accessLogs: { enabled: false },
                });
                new ServerPool("web-pool", {
                    vpcId: net.vpcId,
                    subnetIds: net.privateSubnetIds,
                    targetGroupArn: lb.activeTargetGroup.arn,
                    loadBalancerSecurityGroupId: lb.securityGroup.id,
                    appPort: 8080,
                });
            },
            { stack: "test" },
        );

    it("should let the ALB send only to the servers on the app port, and the servers only HTTPS out", async () => {
        const ev = await buildTiers();
        const albSg = only(ev, T.sg, "web-alb-sg").name;
        const serverSg = only(ev, T.sg, "web-pool-sg").name;
        const rule = (r: RegisteredResource) => [
            r.inputs.securityGroupId,
            r.inputs.ipProtocol,
            r.inputs.fromPort,
            r.inputs.toPort,
            r.inputs.cidrIpv4 ?? r.inputs.referencedSecurityGroupId,
        ];
        expect(ofType(ev, T.egress).map(rule).sort()).toEqual(
            [
                [albSg, "tcp", 8080, 8080, serverSg],
                [serverSg, "tcp", 443, 443, "0.0.0.0/0"],
            ].sort(),
        );
        expect(ofType(ev, T.ingress).map(rule).sort()).toEqual(
            [
                [albSg, "tcp", 443, 443, "0.0.0.0/0"],
                [albSg, "tcp", 80, 80, "0.0.0.0/0"],
                [serverSg, "tcp", 8080, 8080, albSg],
            ].sort(),
        );
        // No inline rules anywhere (the provider then removes AWS's allow-all egress), the default group empty.
        expect(ofType(ev, T.sg).every((g) => g.inputs.ingress === undefined && g.inputs.egress === undefined)).toBe(
            true,
        );
        expect(only(ev, T.defaultSg).inputs.egress ?? []).toEqual([]);
    });
});

describe("the policy pack", () => {
    it("should find nothing wrong with every security feature on", async () => {
        const ev = await evaluate(
            () => {
                const net = new Network("net", { natGateways: "perAz" });
                new LoadBalancer("web", {
                    vpcId: net.vpcId,
                    subnetIds: net.publicSubnetIds,
                    domainName: DOMAIN,
                    hostedZoneId: ZONE,
                    waf: {},
                    deletionProtection: true,
                });
            },
            { stack: "test" },
        );
        expect(runPolicies(policyView(ev))).toEqual([]);
    });

    it("should report a web ACL left unassociated and a log bucket without its policy", async () => {
        const ev = await buildLb({ waf: {}, deletionProtection: true });
        const records = policyView(ev).filter((r) => r.type !== S.webAclAssociation && r.type !== S.bucketPolicy);
        expect(
            runPolicies(records)
                .map((v) => v.policy)
                .sort(),
        ).toEqual(["s3-bucket-deny-insecure-transport", "wafv2-web-acl-associated"]);
    });
});
