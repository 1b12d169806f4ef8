import { CONFIG_KEYS } from "../components/webStack/configKeys";
import { evaluate } from "../scripts/offline";
import { expectRejectedBeforeCreate, stackConfig } from "./helpers";

import program = require("../index");
const run = (overrides: Record<string, string | undefined>) =>
    evaluate(program, { stack: "dev", config: stackConfig("dev", overrides) });

describe("stack configuration", () => {
    const BAD_VALUES: Array<[key: string, value: string, message: string]> = [
        [
            "mode",
            "active-pasive",
            "ha-webstack:mode=active-pasive is not valid: expected one of active-passive, active-active",
        ],
        [
            "algorithm",
            "least_connections",
            "ha-webstack:algorithm=least_connections is not valid: expected one of round_robin, least_outstanding_requests, weighted_random",
        ],
        ["azCount", "1", "ha-webstack:azCount=1 is not valid: expected an integer from 2 to 6"],
        ["azCount", "two", "ha-webstack:azCount=two is not valid: expected an integer from 2 to 6"],
        ["natGateways", "per-az", "ha-webstack:natGateways=per-az is not valid: expected one of single, perAz"],
        [
            "natGateways",
            "none",
            "ha-webstack:natGateways=none is not valid: expected one of single, perAz: the servers need egress",
        ],
        [
            "vpcCidr",
            "10.0.0.0/23",
            "ha-webstack:vpcCidr=10.0.0.0/23 is not valid: expected an IPv4 CIDR block with a prefix from /16 to /22",
        ],
        [
            "appPort",
            "8000",
            "ha-webstack:appPort=8000 is not valid: expected a port from 1 to 65535 other than 22 and 8000",
        ],
        [
            "appPort",
            "22",
            "ha-webstack:appPort=22 is not valid: expected a port from 1 to 65535 other than 22 and 8000 (22: SSH stays closed",
        ],
        [
            "allowedCidrs",
            "10.0.0.0/8,10.0.0.0/8",
            'ha-webstack:allowedCidrs=["10.0.0.0/8","10.0.0.0/8"] is not valid: expected distinct CIDR blocks (10.0.0.0/8 is listed twice)',
        ],
        [
            "dbAllocatedStorage",
            "60000",
            "ha-webstack:dbAllocatedStorage=60000 is not valid: expected an integer number of GiB from 20 to 59578",
        ],
        [
            "certificateArn",
            "arn:aws:acm:eu-west-1:123456789012:certificate/abc",
            "ha-webstack:certificateArn=arn:aws:acm:eu-west-1:123456789012:certificate/abc is not valid: expected an ACM certificate in the stack's region us-east-1",
        ],
        ["vpcCidr", "10.0.0.0/8", "ha-webstack:vpcCidr=10.0.0.0/8 is not valid"],
        [
            "instanceType",
            "db.t4g.micro",
            "ha-webstack:instanceType=db.t4g.micro is not valid: expected an EC2 instance type",
        ],
        ["serversPerPool", "0", "ha-webstack:serversPerPool=0 is not valid: expected an integer from 1 to 100"],
        ["serversPerPool", "1.5", "ha-webstack:serversPerPool=1.5 is not valid"],
        ["maxServersPerPool", "0", "ha-webstack:maxServersPerPool=0 is not valid"],
        [
            "scaleOnRequestsPerTarget",
            "0",
            "ha-webstack:scaleOnRequestsPerTarget=0 is not valid: expected an integer from 1 to 100000, or off",
        ],
        [
            "scaleOnRequestsPerTarget",
            "lots",
            "ha-webstack:scaleOnRequestsPerTarget=lots is not valid: expected an integer from 1 to 100000, or off",
        ],
        [
            "scaleOnCpuPercent",
            "95",
            "ha-webstack:scaleOnCpuPercent=95 is not valid: expected an integer from 10 to 90, or off",
        ],
        [
            "scaleOnCpuPercent",
            "60%",
            "ha-webstack:scaleOnCpuPercent=60% is not valid: expected an integer from 10 to 90, or off",
        ],
        ["appPort", "http", "ha-webstack:appPort=http is not valid: expected an integer from 1 to 65535"],
        ["allowedCidrs", "0.0.0.0/0,10.1.2.3/16", "ha-webstack:allowedCidrs[1]=10.1.2.3/16 is not valid"],
        ["allowedCidrs", '["not-a-cidr"]', "ha-webstack:allowedCidrs[0]=not-a-cidr is not valid"],
        ["allowedCidrs", "", 'ha-webstack:allowedCidrs="" is not valid: expected a list of 1 to 20 IPv4 CIDR blocks'],
        [
            "certificateArn",
            "arn:aws:iam::123456789012:server-certificate/web",
            "ha-webstack:certificateArn=arn:aws:iam::123456789012:server-certificate/web is not valid: expected an ACM certificate ARN",
        ],
        [
            "sslPolicy",
            "ELBSecurityPolicy-2016-08",
            "ha-webstack:sslPolicy=ELBSecurityPolicy-2016-08 is not valid: expected one of ELBSecurityPolicy-TLS13-1-2-2021-06",
        ],
        ["deletionProtection", "yes", "ha-webstack:deletionProtection=yes is not valid: expected true or false"],
        ["replicaCount", "16", "ha-webstack:replicaCount=16 is not valid: expected an integer from 0 to 15"],
        ["replicaCount", "-1", "ha-webstack:replicaCount=-1 is not valid: expected an integer from 0 to 15"],
        ["replicaCount", "two", "ha-webstack:replicaCount=two is not valid: expected an integer from 0 to 15"],
        [
            "dbInstanceClass",
            "t4g.micro",
            "ha-webstack:dbInstanceClass=t4g.micro is not valid: expected an RDS instance class with the db. prefix",
        ],
        [
            "dbAllocatedStorage",
            "10",
            "ha-webstack:dbAllocatedStorage=10 is not valid: expected an integer number of GiB from 20 to 59578",
        ],
        [
            "dbEngineVersion",
            "5.7",
            "ha-webstack:dbEngineVersion=5.7 is not valid: expected MySQL 8.4 (the default, LTS) or 8.0",
        ],
        ["dbMultiAz", "maybe", "ha-webstack:dbMultiAz=maybe is not valid: expected true or false"],
        [
            "dbBackupRetentionDays",
            "0",
            "ha-webstack:dbBackupRetentionDays=0 is not valid: expected an integer from 1 to 35 days (0 turns automated backups off, and read replicas and point-in-time recovery need them)",
        ],
        ["dbDeletionProtection", "on", "ha-webstack:dbDeletionProtection=on is not valid: expected true or false"],
        ["failback", "auto", "ha-webstack:failback=auto is not valid: expected one of automatic, manual"],
        [
            "failbackAfterSeconds",
            "-5",
            "ha-webstack:failbackAfterSeconds=-5 is not valid: expected an integer from 0 to 86400",
        ],
        [
            "failoverReservedConcurrency",
            "1",
            "ha-webstack:failoverReservedConcurrency=1 is not valid: expected an integer from 3 to 1000",
        ],
        ["holdListenerWeights", "1", "ha-webstack:holdListenerWeights=1 is not valid: expected true or false"],
        [
            "domainName",
            "Shop.Example.com.",
            "ha-webstack:domainName=Shop.Example.com. is not valid: expected a DNS name",
        ],
        ["hostedZoneId", "zone-1", "ha-webstack:hostedZoneId=zone-1 is not valid: expected a Route 53 hosted zone id"],
        ["wafRateLimit", "50", "ha-webstack:wafRateLimit=50 is not valid: expected an integer from 100 to 2000000000"],
        ["logRetentionDays", "0", "ha-webstack:logRetentionDays=0 is not valid: expected an integer from 1 to 3650"],
        [
            "flowLogRetentionDays",
            "10",
            "ha-webstack:flowLogRetentionDays=10 is not valid: expected a CloudWatch Logs retention in days",
        ],
        ["flowLogs", "off", "ha-webstack:flowLogs=off is not valid: expected true or false"],
        ["waf", "yes", "ha-webstack:waf=yes is not valid: expected true or false"],
        ["accessLogs", "no", "ha-webstack:accessLogs=no is not valid: expected true or false"],
        ["alertEmail", "ops@", "ha-webstack:alertEmail=ops@ is not valid: expected an email address"],
        ["alertEmail", "not an email", "ha-webstack:alertEmail=not an email is not valid: expected an email address"],
        [
            "serverLogRetentionDays",
            "31",
            "ha-webstack:serverLogRetentionDays=31 is not valid: expected a CloudWatch Logs retention in days",
        ],
        [
            "availabilityZones",
            "us-east-1a",
            'ha-webstack:availabilityZones=["us-east-1a"] is not valid: expected a list of 2 to 6 distinct AZ names',
        ],
    ];

    it("should have a bad value of every key in the table below", () => {
        expect(new Set(BAD_VALUES.map(([key]) => key))).toEqual(new Set(CONFIG_KEYS.map((k) => k.key)));
    });

    it.each(BAD_VALUES)("should reject %s=%j before creating anything", async (key, value, message) => {
        await expectRejectedBeforeCreate(run({ [key]: value }), message);
    });

    it("should catch a mistyped key and suggest the right one", async () => {
        await expectRejectedBeforeCreate(
            run({ serverPerPool: "2" }),
            "ha-webstack:serverPerPool is not a known key (did you mean ha-webstack:serversPerPool?)",
        );
    });

    it("should report every bad value at once", async () => {
        const error = await run({ mode: "x", azCount: "9" }).catch((e: Error) => e);
        expect(String(error)).toMatch(/ha-webstack:mode=x is not valid[\s\S]*ha-webstack:azCount=9 is not valid/);
    });

    it.each([
        [{ domainName: "shop.example.com" }, "ha-webstack:domainName is set but ha-webstack:hostedZoneId is not"],
        [
            { hostedZoneId: "Z0123456789ABCDEFGHIJ" },
            "ha-webstack:hostedZoneId is set but ha-webstack:domainName is not",
        ],
        [
            {
                domainName: "shop.example.com",
                hostedZoneId: "Z0123456789ABCDEFGHIJ",
                certificateArn: "arn:aws:acm:us-east-1:123456789012:certificate/abc",
            },
            "ha-webstack:certificateArn and ha-webstack:domainName are both set",
        ],
        [
            { wafRateLimit: "500" },
            "ha-webstack:wafRateLimit=500 is not valid: expected to be set only with ha-webstack:waf true",
        ],
        [
            { mode: "active-active", failback: "manual" },
            "ha-webstack:failback=manual is not valid: expected to be set only in active-passive mode",
        ],
    ])("should reject the combination %j", async (overrides, message) => {
        await expectRejectedBeforeCreate(run({ certificateArn: undefined, ...overrides }), message);
    });

    it("should reject a maximum below the pool size", async () => {
        await expectRejectedBeforeCreate(
            run({ serversPerPool: "3", maxServersPerPool: "2" }),
            "ha-webstack:maxServersPerPool=2 is not valid: expected at least serversPerPool (3)",
        );
    });

    it("should accept YAML lists and comma-separated lists alike", async () => {
        const fromJson = await run({
            allowedCidrs: '["203.0.113.0/24","198.51.100.0/24"]',
            availabilityZones: '["us-east-1d","us-east-1f"]',
        });
        const fromCsv = await run({
            allowedCidrs: "203.0.113.0/24, 198.51.100.0/24",
            availabilityZones: "us-east-1d,us-east-1f",
        });
        const cidrs = (ev: typeof fromJson) =>
            ev.resources
                .filter(
                    (r) => r.type === "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule" && r.inputs.cidrIpv4,
                )
                .map((r) => r.inputs.cidrIpv4)
                .sort();
        expect(cidrs(fromJson)).toEqual(["198.51.100.0/24", "198.51.100.0/24", "203.0.113.0/24", "203.0.113.0/24"]);
        expect(cidrs(fromCsv)).toEqual(cidrs(fromJson));
        expect(fromCsv.outputs.availabilityZones).toEqual(["us-east-1d", "us-east-1f"]);
    });
});
