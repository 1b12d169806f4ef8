/**
 * The change review's security-relevant changes (scripts/plan/security.ts), rule by rule on small
 * lists of described resources shaped like the dev plan's: each weakening a reviewer found missed
 * or misreported must be named, and each tightening or equivalent spelling must not be.
 */
import type { PlanResource } from "../scripts/plan/document";
import { patternCovers } from "../scripts/plan/policyDocuments";
import { securityChanges, tlsWeakening } from "../scripts/plan/security";

const ACCOUNT = "123456789012";

function res(type: string, name: string, inputs: Record<string, unknown>, refs?: string[]): PlanResource {
    const kind = type.split(":")[2].toLowerCase();
    return {
        urn: `urn:pulumi:dev::ha-webstack::${type}::${name}`,
        type,
        name,
        custom: true,
        refs: refs ?? [name, `arn:aws:test:us-east-1:${ACCOUNT}:${kind}/${name}-1a2b3c4`, `${name}-1a2b3c4`],
        inputs,
    };
}
const words = (base: PlanResource[], head: PlanResource[]) => securityChanges(base, head).map((f) => f.change);
const named = (base: PlanResource[], head: PlanResource[]) =>
    securityChanges(base, head).map((f) => `${f.resource}: ${f.change}`);

const doc = (...statements: Array<Record<string, unknown>>) => ({ Version: "2012-10-17", Statement: statements });

// ---- resource and trust policies ----

describe("trust and resource policies", () => {
    const ROLE = "aws:iam/role:Role";
    const trust = (statement: Record<string, unknown>) =>
        res(ROLE, "dev-controller-role", {
            assumeRolePolicy: doc({ Effect: "Allow", Action: "sts:AssumeRole", ...statement }),
        });
    const lambda = { Principal: { Service: "lambda.amazonaws.com" } };
    const sourceAccount = { Condition: { StringEquals: { "aws:SourceAccount": ACCOUNT } } };

    it("names a role another account (or anyone) may now assume", () => {
        const base = [trust({ ...lambda, ...sourceAccount })];
        expect(words(base, [trust({ Principal: { AWS: "arn:aws:iam::111122223333:root" } })])).toEqual([
            "trust policy widened: trust policy of role dev-controller-role now lets account 111122223333 sts:AssumeRole",
        ]);
        expect(words(base, [trust({ Principal: { AWS: "*" } })])).toEqual([
            "trust policy widened: trust policy of role dev-controller-role now lets anyone (*) sts:AssumeRole",
        ]);
    });

    it("names a trust condition removed or loosened, not one kept or tightened", () => {
        const confused = {
            Condition: {
                StringEquals: { "aws:SourceAccount": ACCOUNT },
                ArnLike: { "aws:SourceArn": `arn:aws:ec2:us-east-1:${ACCOUNT}:vpc-flow-log/*` },
            },
        };
        const flow = { Principal: { Service: "vpc-flow-logs.amazonaws.com" } };
        const base = [trust({ ...flow, ...confused })];
        expect(words(base, [trust({ ...flow, ...sourceAccount })])).toEqual([
            "trust policy condition removed: trust policy of role dev-controller-role lets service vpc-flow-logs.amazonaws.com sts:AssumeRole " +
                `without aws:sourcearn ArnLike arn:aws:ec2:us-east-1:${ACCOUNT}:vpc-flow-log/*`,
        ]);
        expect(
            words(base, [
                trust({ ...flow, Condition: { ...confused.Condition, ArnLike: { "aws:SourceArn": "arn:aws:ec2:*" } } }),
            ]),
        ).toEqual([
            "trust policy condition loosened: trust policy of role dev-controller-role lets service vpc-flow-logs.amazonaws.com sts:AssumeRole " +
                `with aws:sourcearn ArnLike arn:aws:ec2:* (was aws:sourcearn ArnLike arn:aws:ec2:us-east-1:${ACCOUNT}:vpc-flow-log/*)`,
        ]);
        // The same, with keys in another case and an extra condition: at least as strict.
        const stricter = trust({
            Principal: { Service: "VPC-Flow-Logs.amazonaws.com" },
            Condition: {
                StringEquals: { "AWS:SourceAccount": [ACCOUNT], "aws:SourceOrgID": "o-abc" },
                ArnLike: { "aws:sourcearn": `arn:aws:ec2:us-east-1:${ACCOUNT}:vpc-flow-log/fl-1` },
            },
        });
        expect(words(base, [stricter])).toEqual([]);
    });

    const BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy";
    const bucket = res("aws:s3/bucket:Bucket", "dev-alb-logs", { bucketPrefix: "dev-alb-logs-" }, [
        "dev-alb-logs",
        "arn:aws:s3:::dev-alb-logs-2e021df",
        "dev-alb-logs-2e021df",
    ]);
    const logs = "arn:aws:s3:::dev-alb-logs-2e021df";
    const delivery = {
        Sid: "ElbLogDelivery",
        Effect: "Allow",
        Principal: { Service: "logdelivery.elasticloadbalancing.amazonaws.com" },
        Action: "s3:PutObject",
        Resource: `${logs}/alb/AWSLogs/${ACCOUNT}/*`,
    };
    const denyInsecure = {
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: [logs, `${logs}/*`],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
    };
    const policy = (...statements: Array<Record<string, unknown>>) =>
        res(BUCKET_POLICY, "dev-alb-logs", { bucket: "dev-alb-logs-2e021df", policy: doc(...statements) });

    it("names a bucket opened to anyone, with the bucket's name", () => {
        const read = { Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: `${logs}/*` };
        expect(named([bucket, policy(delivery, denyInsecure)], [bucket, policy(delivery, denyInsecure, read)])).toEqual(
            [
                "dev-alb-logs: resource policy widened: bucket policy of dev-alb-logs now lets anyone (*) s3:GetObject on dev-alb-logs/*",
            ],
        );
    });

    it("names a Deny statement removed, and one weakened by a new condition", () => {
        expect(words([bucket, policy(delivery, denyInsecure)], [bucket, policy(delivery)])).toEqual([
            "resource policy Deny removed: bucket policy of dev-alb-logs no longer denies anyone (*) s3:* on dev-alb-logs, dev-alb-logs/* " +
                "when aws:securetransport Bool false (statement DenyInsecureTransport)",
        ]);
        const onlyFromVpc = {
            ...denyInsecure,
            Condition: { ...denyInsecure.Condition, StringEquals: { "aws:SourceVpc": "vpc-1" } },
        };
        expect(words([bucket, policy(delivery, denyInsecure)], [bucket, policy(delivery, onlyFromVpc)])).toEqual([
            "resource policy Deny narrowed: bucket policy of dev-alb-logs no longer denies anyone (*) s3:* on dev-alb-logs, dev-alb-logs/* " +
                "when aws:securetransport Bool false (the Deny now applies under stricter conditions) (statement DenyInsecureTransport)",
        ]);
        // A Deny made wider (every request, every action of every service) takes nothing away.
        const wider = { ...denyInsecure, Action: "*", Resource: "*" };
        expect(words([bucket, policy(delivery, denyInsecure)], [bucket, policy(delivery, wider)])).toEqual([]);
    });

    it("names an SNS topic policy opened to anyone", () => {
        const topic = "arn:aws:sns:us-east-1:123456789012:dev-monitoring-alerts-0b14881";
        const topicPolicy = (principal: unknown, condition?: unknown) =>
            res("aws:sns/topicPolicy:TopicPolicy", "dev-monitoring-alerts-policy", {
                arn: topic,
                policy: doc({
                    Sid: "CloudWatchAlarmsPublish",
                    Effect: "Allow",
                    Principal: principal,
                    Action: "sns:Publish",
                    Resource: topic,
                    ...(condition ? { Condition: condition } : {}),
                }),
            });
        const alerts = res("aws:sns/topic:Topic", "dev-monitoring-alerts", {}, [topic, topic, "dev-monitoring-alerts"]);
        const cloudwatch = { Service: "cloudwatch.amazonaws.com" };
        const account = { StringEquals: { "aws:SourceAccount": ACCOUNT } };
        expect(words([alerts, topicPolicy(cloudwatch, account)], [alerts, topicPolicy("*")])).toEqual([
            "resource policy widened: topic policy of dev-monitoring-alerts now lets anyone (*) sns:Publish on dev-monitoring-alerts",
        ]);
        expect(words([alerts, topicPolicy(cloudwatch, account)], [alerts, topicPolicy(cloudwatch, account)])).toEqual(
            [],
        );
    });

    it("names a Lambda permission for principal * and one that lost its source ARN", () => {
        const PERMISSION = "aws:lambda/permission:Permission";
        const fn = res("aws:lambda/function:Function", "dev-controller-fn", {}, [
            "dev-controller-fn",
            `arn:aws:lambda:us-east-1:${ACCOUNT}:function:dev-controller-fn-b3ca342`,
            "dev-controller-fn-b3ca342",
        ]);
        const rule = `arn:aws:events:us-east-1:${ACCOUNT}:rule/dev-controller-schedule`;
        const permission = (name: string, inputs: Record<string, unknown>) =>
            res(PERMISSION, name, {
                action: "lambda:InvokeFunction",
                function: "dev-controller-fn-b3ca342",
                ...inputs,
            });
        const schedule = permission("dev-controller-allow-schedule", {
            principal: "events.amazonaws.com",
            sourceArn: rule,
        });
        expect(
            words([fn, schedule], [fn, schedule, permission("dev-controller-allow-anyone", { principal: "*" })]),
        ).toEqual([
            "resource policy widened: function dev-controller-fn now lets anyone (*) lambda:InvokeFunction on dev-controller-fn",
        ]);
        expect(
            words(
                [fn, schedule],
                [fn, permission("dev-controller-allow-schedule", { principal: "events.amazonaws.com" })],
            ),
        ).toEqual([
            "resource policy condition removed: function dev-controller-fn lets service events.amazonaws.com lambda:InvokeFunction " +
                `on dev-controller-fn without aws:sourcearn ArnLike ${rule}`,
        ]);
    });
});

// ---- IAM: coverage, not spelling ----

describe("IAM widening, by what the statements allow", () => {
    const ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy";
    const role = res("aws:iam/role:Role", "app-role", {}, ["app-role-1", `arn:aws:iam::${ACCOUNT}:role/app-role-1`]);
    const policy = (...statements: Array<Record<string, unknown>>) =>
        res(ROLE_POLICY, "app-policy", { role: "app-role-1", policy: JSON.stringify(doc(...statements)) });
    const allow = (Action: unknown, Resource: unknown, extra: Record<string, unknown> = {}) => ({
        Effect: "Allow",
        Action,
        Resource,
        ...extra,
    });

    it("does not report narrowing as widening: s3:* on * narrowed to s3:GetObject on one bucket", () => {
        expect(
            words([role, policy(allow("s3:*", "*"))], [role, policy(allow("s3:GetObject", "arn:aws:s3:::b/*"))]),
        ).toEqual([]);
        expect(
            words(
                [role, policy(allow("s3:Get*", "arn:aws:s3:::b/*"))],
                [role, policy(allow("s3:GetObject", "arn:aws:s3:::b/logs/*"))],
            ),
        ).toEqual([]);
    });

    it("matches actions without regard to case, resources with it", () => {
        expect(
            words(
                [role, policy(allow("s3:GetObject", "arn:aws:s3:::b/*"))],
                [role, policy(allow("S3:getobject", "arn:aws:s3:::b/*"))],
            ),
        ).toEqual([]);
        expect(
            words(
                [role, policy(allow("s3:GetObject", "arn:aws:s3:::b/*"))],
                [role, policy(allow("s3:GetObject", "arn:aws:s3:::B/*"))],
            ),
        ).toEqual(["IAM widened: role app-role may now s3:GetObject on arn:aws:s3:::B/*"]);
    });

    it("names a wildcard that covers more than before", () => {
        expect(
            words(
                [role, policy(allow("s3:GetObject", "arn:aws:s3:::b/*"))],
                [role, policy(allow("s3:Get*", "arn:aws:s3:::b/*"))],
            ),
        ).toEqual(["IAM widened: role app-role may now s3:Get* on arn:aws:s3:::b/*"]);
    });

    it("names a condition dropped from an identity policy", () => {
        const tls = { Condition: { Bool: { "aws:SecureTransport": "true" } } };
        expect(
            words(
                [role, policy(allow("s3:GetObject", "arn:aws:s3:::b/*", tls))],
                [role, policy(allow("s3:GetObject", "arn:aws:s3:::b/*"))],
            ),
        ).toEqual([
            "IAM condition removed: role app-role may s3:GetObject on arn:aws:s3:::b/* without aws:securetransport Bool true",
        ]);
    });

    it("names a Deny removed from an identity policy that stays", () => {
        const deny = { Sid: "NoDelete", Effect: "Deny", Action: "s3:DeleteObject", Resource: "*" };
        expect(words([role, policy(allow("s3:*", "*"), deny)], [role, policy(allow("s3:*", "*"))])).toEqual([
            "IAM Deny removed: role app-role no longer denies s3:DeleteObject on * (any resource) (statement NoDelete)",
        ]);
    });

    it("reads the pattern rules IAM documents", () => {
        expect(patternCovers("s3:*", "s3:GetObject", true)).toBe(true);
        expect(patternCovers("s3:*", "S3:GETOBJECT", true)).toBe(true);
        expect(patternCovers("s3:Get*", "s3:*", true)).toBe(false);
        expect(patternCovers("s3:*Object", "s3:Get*", true)).toBe(false);
        expect(patternCovers("s3:Get?bject", "s3:GetObject", true)).toBe(true);
        expect(patternCovers("s3:Get?bject", "s3:Get*bject", true)).toBe(false);
        expect(patternCovers("arn:aws:s3:::b/*", "arn:aws:s3:::B/x", false)).toBe(false);
    });
});

// ---- guards ----

describe("guards that were missing", () => {
    it("names require_secure_transport turned off or removed, and a database moved off the TLS group", () => {
        const PARAMS = "aws:rds/parameterGroup:ParameterGroup";
        const group = (name: string, value?: string) =>
            res(PARAMS, name, {
                family: "mysql8.4",
                parameters: [
                    { applyMethod: "immediate", name: "character_set_server", value: "utf8mb4" },
                    ...(value === undefined
                        ? []
                        : [{ applyMethod: "immediate", name: "require_secure_transport", value }]),
                ],
            });
        expect(words([group("dev-db-params", "1")], [group("dev-db-params", "0")])).toEqual([
            'the database no longer requires TLS: clients may connect in plain text (parameters.require_secure_transport: "1" → "0")',
        ]);
        expect(words([group("dev-db-params", "1")], [group("dev-db-params")])).toEqual([
            'the database no longer requires TLS: clients may connect in plain text (parameters.require_secure_transport: "1" → unset)',
        ]);
        expect(words([group("dev-db-params", "1")], [group("dev-db-params", "ON")])).toEqual([]);
        const db = (parameterGroupName: string) =>
            res("aws:rds/instance:Instance", "dev-db-primary", { storageEncrypted: true, parameterGroupName });
        const base = [group("dev-db-params", "1"), db("dev-db-params-1a2b3c4")];
        expect(words(base, [group("dev-db-params", "1"), db("default.mysql8.4")])).toEqual([
            'the database moved to parameter group "default.mysql8.4", which this plan does not define: whether it requires TLS is unknown, review ' +
                "(parameterGroupName: dev-db-params → default.mysql8.4)",
        ]);
    });

    const ROUTE_TABLE = "aws:ec2/routeTable:RouteTable";
    const igw = res("aws:ec2/internetGateway:InternetGateway", "dev-igw", { vpcId: "dev-vpc" });
    const nat = { cidrBlock: "0.0.0.0/0", natGatewayId: "dev-nat-0" };
    const toIgw = { cidrBlock: "0.0.0.0/0", gatewayId: "dev-igw" };
    const table = (name: string, routes: unknown[]) => res(ROUTE_TABLE, name, { vpcId: "dev-vpc", routes });

    it("names a route to the internet gateway added to a private route table, not the public one", () => {
        const base = [igw, table("dev-public-rt", [toIgw]), table("dev-private-rt-0", [nat])];
        expect(
            named(base, [
                igw,
                table("dev-public-rt", [toIgw]),
                table("dev-private-rt-0", [{ ipv6CidrBlock: "::/0", gatewayId: "dev-igw" }]),
            ]),
        ).toEqual([
            "dev-private-rt-0: internet route added to private route table dev-private-rt-0: ::/0 → internet gateway dev-igw (its subnets become public)",
        ]);
        const route = res("aws:ec2/route:Route", "dev-private-default", {
            routeTableId: "dev-private-rt-0",
            destinationCidrBlock: "0.0.0.0/0",
            gatewayId: "dev-igw",
        });
        expect(named(base, [...base, route])).toEqual([
            "dev-private-default: internet route added to private route table dev-private-rt-0: 0.0.0.0/0 → internet gateway dev-igw (its subnets become public)",
        ]);
        // The public table keeps its route; a NAT route is no internet route.
        expect(
            words(base, [
                igw,
                table("dev-public-rt", [toIgw]),
                table("dev-private-rt-0", [nat, { ...nat, cidrBlock: "192.0.2.0/24" }]),
            ]),
        ).toEqual([]);
        const association = (routeTableId: string) =>
            res("aws:ec2/routeTableAssociation:RouteTableAssociation", "dev-private-rta-0", {
                subnetId: "dev-private-0",
                routeTableId,
            });
        expect(named([...base, association("dev-private-rt-0")], [...base, association("dev-public-rt")])).toEqual([
            "dev-private-rta-0: private subnet dev-private-0 made public: moved to route table dev-public-rt (0.0.0.0/0 → internet gateway dev-igw)",
        ]);
    });

    it("names mapPublicIpOnLaunch turned on", () => {
        const subnet = (on: boolean) =>
            res("aws:ec2/subnet:Subnet", "dev-private-0", {
                cidrBlock: "10.0.64.0/21",
                mapPublicIpOnLaunch: on,
                vpcId: "dev-vpc",
            });
        expect(words([subnet(false)], [subnet(true)])).toEqual([
            "subnet now gives every instance launched in it a public IP address (mapPublicIpOnLaunch: false → true)",
        ]);
        expect(words([subnet(true)], [subnet(false)])).toEqual([]);
    });

    it("names a security group newly attached to the database and to the launch template", () => {
        const db = (groups: string[]) =>
            res("aws:rds/instance:Instance", "dev-db-primary", { storageEncrypted: true, vpcSecurityGroupIds: groups });
        const lt = (groups: string[]) =>
            res("aws:ec2/launchTemplate:LaunchTemplate", "dev-active-lt", {
                metadataOptions: { httpTokens: "required" },
                vpcSecurityGroupIds: groups,
            });
        expect(
            words(
                [db(["dev-db-sg"]), lt(["dev-active-sg"])],
                [db(["dev-db-sg", "dev-admin-sg"]), lt(["dev-active-sg", "dev-admin-sg"])],
            ),
        ).toEqual([
            "security group dev-admin-sg newly attached to the database dev-db-primary: its rules now apply there",
            "security group dev-admin-sg newly attached to the servers of launch template dev-active-lt: its rules now apply there",
        ]);
        expect(words([db(["dev-db-sg", "dev-admin-sg"])], [db(["dev-db-sg"])])).toEqual([]);
    });

    it("names ALB access logs turned off and desync mitigation weakened, not strengthened", () => {
        const alb = (extra: Record<string, unknown>) =>
            res("aws:lb/loadBalancer:LoadBalancer", "dev-alb", {
                accessLogs: { bucket: "dev-alb-logs-2e021df", enabled: true, prefix: "alb" },
                desyncMitigationMode: "defensive",
                dropInvalidHeaderFields: true,
                internal: false,
                ...extra,
            });
        expect(words([alb({})], [alb({ accessLogs: undefined, desyncMitigationMode: "monitor" })])).toEqual([
            "load balancer access logs turned off (accessLogs.enabled: true → false)",
            'the load balancer\'s HTTP desync mitigation weakened from defensive to monitor (request smuggling) (desyncMitigationMode: "defensive" → "monitor")',
        ]);
        expect(words([alb({})], [alb({ accessLogs: { bucket: "dev-alb-logs-2e021df", enabled: false } })])).toEqual([
            "load balancer access logs turned off (accessLogs.enabled: true → false)",
        ]);
        expect(words([alb({})], [alb({ desyncMitigationMode: "strictest" })])).toEqual([]);
        // Unset is AWS's default, defensive.
        expect(words([alb({})], [alb({ desyncMitigationMode: undefined })])).toEqual([]);
        expect(words([alb({})], [alb({ desyncMitigationMode: "lenient" })])).toEqual([
            'the load balancer\'s desync mitigation changed to a value this review does not know, review: desyncMitigationMode: "defensive" → "lenient"',
        ]);
    });

    it("names access logs turned off once, not each protection of the log bucket removed with it", () => {
        const bucket = res("aws:s3/bucket:Bucket", "dev-alb-logs", {}, [
            "dev-alb-logs",
            "arn:aws:s3:::dev-alb-logs-2e021df",
            "dev-alb-logs-2e021df",
        ]);
        const onBucket = (type: string, inputs: Record<string, unknown>) =>
            res(type, "dev-alb-logs", { bucket: "dev-alb-logs-2e021df", ...inputs }, [`${type}-dev-alb-logs`]);
        const protections = [
            onBucket("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", { blockPublicAcls: true }),
            onBucket("aws:s3/bucketOwnershipControls:BucketOwnershipControls", {
                rule: { objectOwnership: "BucketOwnerEnforced" },
            }),
            onBucket("aws:s3/bucketPolicy:BucketPolicy", { policy: { Statement: [] } }),
        ];
        const alb = (accessLogs?: unknown) =>
            res("aws:lb/loadBalancer:LoadBalancer", "dev-alb", { dropInvalidHeaderFields: true, accessLogs });
        const logged = alb({ bucket: "dev-alb-logs-2e021df", enabled: true, prefix: "alb" });
        expect(words([logged, bucket, ...protections], [alb()])).toEqual([
            "load balancer access logs turned off (accessLogs.enabled: true → false)",
        ]);
        // The bucket kept, its protections removed: each is named.
        expect(words([logged, bucket, ...protections], [logged, bucket])).toEqual([
            "public access block removed from bucket dev-alb-logs",
            "object ownership controls removed from bucket dev-alb-logs (ACLs are no longer disabled by them)",
            "bucket policy removed from dev-alb-logs (its TLS-only and access rules go with it)",
        ]);
    });

    it("names bucket ownership controls loosened or removed", () => {
        const ownership = (objectOwnership: string) =>
            res("aws:s3/bucketOwnershipControls:BucketOwnershipControls", "dev-alb-logs", {
                bucket: "dev-alb-logs-2e021df",
                rule: { objectOwnership },
            });
        const bucket = res("aws:s3/bucket:Bucket", "dev-alb-logs", {}, [
            "dev-alb-logs",
            "arn:aws:s3:::dev-alb-logs-2e021df",
            "dev-alb-logs-2e021df",
        ]);
        expect(words([bucket, ownership("BucketOwnerEnforced")], [bucket, ownership("ObjectWriter")])).toEqual([
            'bucket ACLs back in force: object ownership BucketOwnerEnforced → ObjectWriter (ACLs can grant access again) (rule.objectOwnership: "BucketOwnerEnforced" → "ObjectWriter")',
        ]);
        expect(words([bucket, ownership("BucketOwnerPreferred")], [bucket, ownership("BucketOwnerEnforced")])).toEqual(
            [],
        );
        expect(words([bucket, ownership("BucketOwnerEnforced")], [bucket])).toEqual([
            "object ownership controls removed from bucket dev-alb-logs (ACLs are no longer disabled by them)",
        ]);
    });

    const lt = (extra: Record<string, unknown>) =>
        res("aws:ec2/launchTemplate:LaunchTemplate", "dev-active-lt", {
            metadataOptions: { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1 },
            blockDeviceMappings: [{ deviceName: "/dev/xvda", ebs: { encrypted: "true", volumeType: "gp3" } }],
            ...extra,
        });

    it("names any unencrypted EBS mapping, not only the first", () => {
        const data = (encrypted: string) => ({ deviceName: "/dev/xvdb", ebs: { encrypted, volumeSize: 100 } });
        const root = { deviceName: "/dev/xvda", ebs: { encrypted: "true", volumeType: "gp3" } };
        expect(words([lt({})], [lt({ blockDeviceMappings: [root, data("false")] })])).toEqual([
            'new server volume /dev/xvdb not encrypted (blockDeviceMappings.1.ebs.encrypted: "false")',
        ]);
        expect(
            words(
                [lt({ blockDeviceMappings: [root, data("true")] })],
                [lt({ blockDeviceMappings: [root, data("false")] })],
            ),
        ).toEqual([
            'server volume /dev/xvdb no longer encrypted (blockDeviceMappings.1.ebs.encrypted: "true" → "false")',
        ]);
        // Matched by device, not position: reordering encrypted volumes is no finding.
        expect(
            words(
                [lt({ blockDeviceMappings: [root, data("true")] })],
                [lt({ blockDeviceMappings: [root, data("true")].reverse() })],
            ),
        ).toEqual([]);
    });

    it("names the IMDS hop limit raised and httpTokens optional", () => {
        expect(
            words(
                [lt({})],
                [
                    lt({
                        metadataOptions: {
                            httpEndpoint: "enabled",
                            httpTokens: "optional",
                            httpPutResponseHopLimit: 2,
                        },
                    }),
                ],
            ),
        ).toEqual([
            'IMDSv1 allowed on the servers (httpTokens no longer required) (metadataOptions.httpTokens: "required" → "optional")',
            "IMDS hop limit raised: containers on the servers can reach the instance credentials (metadataOptions.httpPutResponseHopLimit: 1 → 2)",
        ]);
        expect(words([lt({})], [lt({ metadataOptions: { httpEndpoint: "enabled", httpTokens: "required" } })])).toEqual(
            [
                "IMDS hop limit no longer set: the AMI's default applies (2 for AMIs that require IMDSv2), review (metadataOptions.httpPutResponseHopLimit: 1 → unset)",
            ],
        );
        expect(
            words([lt({ metadataOptions: { httpTokens: "required", httpPutResponseHopLimit: 2 } })], [lt({})]),
        ).toEqual([]);
    });

    it("names a flow log narrowed from ALL", () => {
        const flow = (trafficType: string) =>
            res("aws:ec2/flowLog:FlowLog", "dev-flow-logs", { trafficType, vpcId: "dev-vpc" });
        expect(words([flow("ALL")], [flow("REJECT")])).toEqual([
            'VPC flow logs narrowed: they record REJECT traffic only (was ALL) (trafficType: "ALL" → "REJECT")',
        ]);
        expect(words([flow("ACCEPT")], [flow("ALL")])).toEqual([]);
    });
});

// ---- replacements ----

describe("a guarded resource replaced under a new name", () => {
    const SG = "aws:ec2/securityGroup:SecurityGroup";
    const INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule";
    const vpc = res("aws:ec2/vpc:Vpc", "dev-vpc", { cidrBlock: "10.0.0.0/16" });
    const group = (name: string) =>
        res(SG, name, { description: "Servers: app port from the ALB only", vpcId: "dev-vpc" });
    const rule = (name: string, groupId: string, cidr: string) =>
        res(INGRESS, name, { securityGroupId: groupId, ipProtocol: "tcp", fromPort: 22, toPort: 22, cidrIpv4: cidr });

    it("compares a renamed security group's rules with the old group's: a widened ingress is named", () => {
        const base = [vpc, group("dev-active-sg"), rule("dev-active-in-ssh", "dev-active-sg", "10.0.0.0/16")];
        const head = [vpc, group("dev-app-sg"), rule("dev-app-in-ssh", "dev-app-sg", "0.0.0.0/0")];
        expect(named(base, head)).toEqual([
            "dev-app-in-ssh: ingress opened to the internet: dev-app-sg now accepts tcp 22 from 0.0.0.0/0 (the whole internet) (was 10.0.0.0/16)",
        ]);
        // Renamed and otherwise unchanged: nothing to name.
        expect(named(base, [vpc, group("dev-app-sg"), rule("dev-app-in-ssh", "dev-app-sg", "10.0.0.0/16")])).toEqual(
            [],
        );
    });

    it("compares a renamed database with the one it replaces, primary with primary", () => {
        const db = (name: string, extra: Record<string, unknown>) =>
            res("aws:rds/instance:Instance", name, {
                storageEncrypted: true,
                deletionProtection: true,
                backupRetentionPeriod: 7,
                ...extra,
            });
        const replica = db("dev-db-replica-0", {
            replicateSourceDb: "dev-db-primary-1a2b3c4",
            deletionProtection: false,
        });
        expect(
            named(
                [db("dev-db-primary", {}), replica],
                [db("dev-database-primary", { deletionProtection: false, backupRetentionPeriod: 0 }), replica],
            ),
        ).toEqual([
            "dev-database-primary: deletion protection turned off on the database (deletionProtection: true → false) (replaces dev-db-primary)",
            "dev-database-primary: automated backups turned off (backupRetentionPeriod 0) (backupRetentionPeriod: 7 → 0) (replaces dev-db-primary)",
        ]);
    });

    it("compares a renamed flow log of the same VPC rather than calling the old one removed", () => {
        const flow = (name: string, trafficType: string) =>
            res("aws:ec2/flowLog:FlowLog", name, { trafficType, vpcId: "dev-vpc" });
        expect(words([vpc, flow("dev-flow-logs", "ALL")], [vpc, flow("dev-vpc-flow", "ALL")])).toEqual([]);
        expect(words([vpc, flow("dev-flow-logs", "ALL")], [vpc, flow("dev-vpc-flow", "ACCEPT")])).toEqual([
            'VPC flow logs narrowed: they record ACCEPT traffic only (was ALL) (trafficType: "ALL" → "ACCEPT") (replaces dev-flow-logs)',
        ]);
    });

    it("compares a renamed listener's TLS policy", () => {
        const listener = (name: string, sslPolicy: string) =>
            res("aws:lb/listener:Listener", name, {
                protocol: "HTTPS",
                port: 443,
                sslPolicy,
                defaultActions: [{ type: "forward" }],
            });
        expect(
            words(
                [listener("dev-https", "ELBSecurityPolicy-TLS13-1-2-Res-2021-06")],
                [listener("dev-tls", "ELBSecurityPolicy-TLS13-1-2-2021-06")],
            ),
        ).toEqual([
            "TLS policy weakened: ELBSecurityPolicy-TLS13-1-2-Res-2021-06 → ELBSecurityPolicy-TLS13-1-2-2021-06 (no longer the restricted cipher list (CBC ciphers)) (replaces dev-https)",
        ]);
    });
});

// ---- false positives ----

describe("false positives that are gone", () => {
    const SG = "aws:ec2/securityGroup:SecurityGroup";
    const INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule";
    const vpc = res("aws:ec2/vpc:Vpc", "dev-vpc", { cidrBlock: "10.0.0.0/16" });
    const groups = [vpc, res(SG, "dev-alb-sg", { vpcId: "dev-vpc" }), res(SG, "dev-active-sg", { vpcId: "dev-vpc" })];
    const rule = (name: string, inputs: Record<string, unknown>) =>
        res(INGRESS, name, {
            securityGroupId: "dev-active-sg",
            ipProtocol: "tcp",
            fromPort: 80,
            toPort: 80,
            ...inputs,
        });

    it("a CIDR ingress replaced by a security group reference is narrower", () => {
        const base = [...groups, rule("dev-active-in", { cidrIpv4: "10.0.0.0/16" })];
        expect(words(base, [...groups, rule("dev-active-in", { referencedSecurityGroupId: "dev-alb-sg" })])).toEqual(
            [],
        );
        const internet = [...groups, rule("dev-active-in", { cidrIpv4: "0.0.0.0/0" })];
        expect(
            words(internet, [...groups, rule("dev-active-in", { referencedSecurityGroupId: "dev-alb-sg" })]),
        ).toEqual([]);
        // A CIDR that does not hold the group's VPC does not cover the group.
        const office = [...groups, rule("dev-active-in", { cidrIpv4: "10.0.1.0/24" })];
        expect(words(office, [...groups, rule("dev-active-in", { referencedSecurityGroupId: "dev-alb-sg" })])).toEqual([
            "ingress opened to another source: dev-active-sg now accepts tcp 80 from security group dev-alb-sg (was 10.0.1.0/24)",
        ]);
    });

    it('protocol "6" is "tcp" and "-1" is "all"', () => {
        const base = [...groups, rule("dev-active-in", { cidrIpv4: "10.0.0.0/16" })];
        expect(words(base, [...groups, rule("dev-active-in", { cidrIpv4: "10.0.0.0/16", ipProtocol: "6" })])).toEqual(
            [],
        );
        const all = (p: string) =>
            rule("dev-active-all", { cidrIpv4: "10.0.0.0/16", ipProtocol: p, fromPort: -1, toPort: -1 });
        expect(words([...groups, all("-1")], [...groups, all("all")])).toEqual([]);
        expect(words([...groups, all("-1")], [...groups, all("ALL")])).toEqual([]);
    });

    it("names a prefix-list ingress with a readable label", () => {
        const list = res("aws:ec2/managedPrefixList:ManagedPrefixList", "dev-office", { name: "office-networks" }, [
            "pl-0123456789abcdef0",
            `arn:aws:ec2:us-east-1:${ACCOUNT}:prefix-list/pl-0123456789abcdef0`,
        ]);
        const base = [...groups, list];
        expect(
            words(base, [
                ...base,
                rule("dev-active-in-office", { prefixListId: "pl-0123456789abcdef0", fromPort: 22, toPort: 22 }),
            ]),
        ).toEqual(["new port: dev-active-sg now accepts tcp 22 from prefix list office-networks (dev-office)"]);
        // An AWS-managed list the plan does not define: its id, called a prefix list, not a security group.
        expect(words(groups, [...groups, rule("dev-active-in-cf", { prefixListId: "pl-3b927c52" })])).toEqual([
            "new port: dev-active-sg now accepts tcp 80 from prefix list pl-3b927c52",
        ]);
    });

    describe("TLS policies by AWS's tables, not by their names", () => {
        const listener = (sslPolicy: string) =>
            res("aws:lb/listener:Listener", "dev-https", {
                protocol: "HTTPS",
                port: 443,
                sslPolicy,
                defaultActions: [{ type: "forward" }],
            });
        const change = (a: string, b: string) => words([listener(a)], [listener(b)]);

        it("TLS 1.2 restricted → TLS 1.3 only is stronger", () => {
            expect(change("ELBSecurityPolicy-TLS13-1-2-Res-2021-06", "ELBSecurityPolicy-TLS13-1-3-2021-06")).toEqual(
                [],
            );
            expect(change("ELBSecurityPolicy-TLS13-1-2-2021-06", "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09")).toEqual(
                [],
            );
        });

        it("names the ways a known policy is weaker", () => {
            expect(
                change("ELBSecurityPolicy-TLS13-1-2-Res-FIPS-2023-04", "ELBSecurityPolicy-TLS13-1-3-2021-06"),
            ).toEqual([
                "TLS policy weakened: ELBSecurityPolicy-TLS13-1-2-Res-FIPS-2023-04 → ELBSecurityPolicy-TLS13-1-3-2021-06 (no longer FIPS)",
            ]);
            expect(
                tlsWeakening(
                    "ELBSecurityPolicy-TLS13-1-2-Res-FIPS-2023-04",
                    "ELBSecurityPolicy-TLS13-1-2-Ext0-FIPS-2023-04",
                ),
            ).toEqual(["no longer the restricted cipher list (CBC ciphers)", "SHA-1 ciphers"]);
            expect(
                tlsWeakening("ELBSecurityPolicy-TLS13-1-3-2021-06", "ELBSecurityPolicy-TLS13-1-2-Ext2-2021-06"),
            ).toEqual(["allows TLS below 1.2 or ciphers without forward secrecy"]);
            expect(
                tlsWeakening("ELBSecurityPolicy-TLS13-1-2-PQ-2025-09", "ELBSecurityPolicy-TLS13-1-2-2021-06"),
            ).toEqual(["no longer post-quantum key exchange"]);
        });

        it("calls a policy it does not know changed, for review", () => {
            expect(change("ELBSecurityPolicy-TLS13-1-2-2021-06", "ELBSecurityPolicy-TLS13-1-2-Future-2030-01")).toEqual(
                [
                    "TLS policy changed to one this review does not know, review: ELBSecurityPolicy-TLS13-1-2-2021-06 → ELBSecurityPolicy-TLS13-1-2-Future-2030-01",
                ],
            );
        });
    });
});
