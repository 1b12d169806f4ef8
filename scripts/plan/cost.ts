/**
 * The plan's monthly cost estimate, item by item, from what the program registers and the price
 * table (prices.ts). A resource type or instance type with no price is listed as "not priced"
 * and left out of the total, never counted as $0; a type that AWS does not charge for is named
 * as free.
 */
import type { PlanResource } from "./document";
import {
    ASSUMPTIONS,
    EC2_HOURLY,
    LEFT_OUT,
    Price,
    PRICES,
    RDS_MYSQL_HOURLY,
    REGION,
    TARGET_TRACKING_ALARMS_PER_POLICY,
} from "./prices";

export interface CostLine {
    /** What is charged, e.g. "EC2 instances (t4g.micro)"; the key a comparison matches lines by. */
    readonly item: string;
    /** Priced: quantity × unit price; not priced: why. */
    readonly quantity?: number;
    readonly unit?: string;
    readonly unitUsd?: number;
    readonly monthlyUsd?: number;
    readonly notPriced?: string;
    readonly source?: string;
}

export interface CostReport {
    readonly region: string;
    readonly lines: CostLine[];
    /** The sum of the priced lines. */
    readonly totalUsd: number;
    readonly assumptions: string[];
    readonly leftOut: string[];
    readonly warnings: string[];
    /** The resource types of the stack AWS charges nothing for (their cost, if any, is another line's). */
    readonly free: string[];
}

/** Resource types AWS charges nothing for (their cost, if any, is another line's). */
export const FREE_TYPES = new Set([
    "aws:ec2/vpc:Vpc",
    "aws:ec2/subnet:Subnet",
    "aws:ec2/routeTable:RouteTable",
    "aws:ec2/routeTableAssociation:RouteTableAssociation",
    "aws:ec2/internetGateway:InternetGateway",
    "aws:ec2/securityGroup:SecurityGroup",
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
    "aws:ec2/launchTemplate:LaunchTemplate",
    "aws:ec2/flowLog:FlowLog",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
    "aws:lb/targetGroup:TargetGroup",
    "aws:lb/listener:Listener",
    "aws:iam/role:Role",
    "aws:iam/rolePolicy:RolePolicy",
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    "aws:iam/instanceProfile:InstanceProfile",
    "aws:sns/topic:Topic",
    "aws:sns/topicPolicy:TopicPolicy",
    "aws:sns/topicSubscription:TopicSubscription",
    "aws:cloudwatch/eventRule:EventRule",
    "aws:cloudwatch/eventTarget:EventTarget",
    "aws:lambda/permission:Permission",
    // The request is the function's, below.
    "aws:lambda/invocation:Invocation",
    "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig",
    "aws:rds/subnetGroup:SubnetGroup",
    "aws:rds/parameterGroup:ParameterGroup",
    "aws:secretsmanager/secretVersion:SecretVersion",
    "aws:acm/certificate:Certificate",
    "aws:acm/certificateValidation:CertificateValidation",
    "aws:route53/record:Record",
    "aws:s3/bucketPolicy:BucketPolicy",
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2",
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
    "aws:s3/bucketVersioning:BucketVersioning",
    "aws:s3/bucketVersioningV2:BucketVersioningV2",
    "aws:wafv2/webAclAssociation:WebAclAssociation",
    "random:index/randomPassword:RandomPassword",
    "random:index/randomId:RandomId",
    "tls:index/privateKey:PrivateKey",
    "tls:index/selfSignedCert:SelfSignedCert",
]);

const HOURS = ASSUMPTIONS.hoursPerMonth;
const MINUTES = HOURS * 60;

class Estimate {
    private readonly lines = new Map<string, CostLine>();
    private readonly notPriced = new Map<string, CostLine>();

    /** Adds to the line for `item` (lines of one item and price add up). */
    add(item: string, quantity: number, price: Price): void {
        const line = this.lines.get(item);
        const total = (line?.quantity ?? 0) + quantity;
        this.lines.set(item, {
            item,
            quantity: total,
            unit: price.unit,
            unitUsd: price.usd,
            monthlyUsd: total * price.usd,
            source: price.source,
        });
    }

    /** Resource types seen that AWS does not charge for. */
    readonly freeTypes = new Set<string>();

    free(type: string): void {
        this.freeTypes.add(type);
    }

    /** An item without a price: named with why, and with its quantity where known (a change of it shows). */
    missing(item: string, reason: string, quantity?: number, unit?: string): void {
        const line = this.notPriced.get(item);
        const total = quantity === undefined ? line?.quantity : (line?.quantity ?? 0) + quantity;
        this.notPriced.set(item, {
            item,
            notPriced: reason,
            ...(total === undefined ? {} : { quantity: total, unit }),
        });
    }

    /** The priced lines, most expensive first, then the ones not priced. */
    all(): CostLine[] {
        const priced = [...this.lines.values()].sort(
            (a, b) => (b.monthlyUsd ?? 0) - (a.monthlyUsd ?? 0) || a.item.localeCompare(b.item),
        );
        return [...priced, ...[...this.notPriced.values()].sort((a, b) => a.item.localeCompare(b.item))];
    }
}

const num = (v: unknown, fallback = 0) =>
    typeof v === "number" ? v : typeof v === "string" && v !== "" && !Number.isNaN(Number(v)) ? Number(v) : fallback;

/** Whether a resource is the failover controller's (whose traffic bench:failover measured). */
function underController(r: PlanResource): boolean {
    return /ha-webstack:index:FailoverController::[^:]+$/.test(r.parent ?? "");
}

/** Whether a resource is a server pool's rollout starter's (rolloutStarter.ts): run once a deployment. */
function underRolloutStarter(r: PlanResource): boolean {
    return /ha-webstack:index:ServerPool::[^:]+$/.test(r.parent ?? "") && /-rollout(-logs)?$/.test(r.name);
}

/** The monthly estimate of the resources a plan registers. */
export function estimateCost(resources: readonly PlanResource[], region: string): CostReport {
    const e = new Estimate();
    const byRef = new Map<string, PlanResource>();
    for (const r of resources) for (const ref of r.refs) if (!byRef.has(ref)) byRef.set(ref, r);

    for (const r of resources.filter((x) => x.custom)) {
        const i = r.inputs as Record<string, any>;
        switch (r.type) {
            case "aws:lb/loadBalancer:LoadBalancer": {
                const kind = String(i.loadBalancerType ?? "application");
                if (kind !== "application") {
                    e.missing(
                        `Load balancer ${r.name} (${kind})`,
                        `${kind} load balancers are not in the price table`,
                        HOURS,
                        "hour",
                    );
                    break;
                }
                e.add("Application Load Balancer", HOURS, PRICES.albHour);
                e.add(
                    `ALB capacity (${ASSUMPTIONS.albLcus} LCU assumed)`,
                    HOURS * ASSUMPTIONS.albLcus,
                    PRICES.albLcuHour,
                );
                // An internet-facing ALB has a public IPv4 address per AZ (subnet); an internal one none.
                if (i.internal !== true) {
                    e.add("Public IPv4 addresses", HOURS * (i.subnets?.length ?? 0), PRICES.publicIpv4Hour);
                }
                break;
            }
            case "aws:ec2/natGateway:NatGateway":
                e.add("NAT gateways", HOURS, PRICES.natHour);
                break;
            case "aws:ec2/eip:Eip":
                e.add("Public IPv4 addresses", HOURS, PRICES.publicIpv4Hour);
                break;
            case "aws:ec2/vpcEndpoint:VpcEndpoint":
                // Gateway endpoints (S3, DynamoDB) are free; interface endpoints are charged by the hour.
                if (i.vpcEndpointType === "Gateway") e.free(`${r.type} (Gateway)`);
                else e.missing(`VPC interface endpoint ${r.name}`, "interface endpoints are not in the price table");
                break;
            case "aws:autoscaling/group:Group": {
                const lt = byRef.get(i.launchTemplate?.id);
                const type = lt?.inputs.instanceType as string | undefined;
                const servers = num(i.desiredCapacity, num(i.minSize));
                const price = type ? EC2_HOURLY[type] : undefined;
                if (price) e.add(`EC2 instances (${type})`, servers * HOURS, price);
                else
                    e.missing(
                        `EC2 instances (${type ?? "unknown type"})`,
                        `no price for instance type ${type ?? "(unknown)"} in scripts/plan/prices.ts`,
                        servers * HOURS,
                        "instance-hour",
                    );
                const volumes =
                    (lt?.inputs.blockDeviceMappings as Array<{ ebs?: { volumeSize?: number; volumeType?: string } }>) ??
                    [];
                for (const v of volumes) {
                    if (!v.ebs?.volumeSize) continue;
                    const gb = servers * num(v.ebs.volumeSize);
                    if ((v.ebs.volumeType ?? "gp3") === "gp3") e.add("EBS gp3 volumes", gb, PRICES.ebsGp3GbMonth);
                    else
                        e.missing(
                            `EBS ${v.ebs.volumeType} volumes`,
                            `EBS ${v.ebs.volumeType} is not in the price table`,
                            gb,
                            "GB-month",
                        );
                }
                break;
            }
            case "aws:rds/instance:Instance": {
                const source = i.replicateSourceDb ? byRef.get(i.replicateSourceDb) : undefined;
                const cls = i.instanceClass as string;
                const multiAz = i.multiAz === true;
                const price = RDS_MYSQL_HOURLY[cls];
                const label = `RDS MySQL (${cls}${multiAz ? ", Multi-AZ" : ""})`;
                if (price) e.add(label, HOURS * (multiAz ? 2 : 1), price);
                else e.missing(label, `no price for DB instance class ${cls} in scripts/plan/prices.ts`);
                // A replica has the storage (size and type) of its source unless it says otherwise.
                const storage = num(i.allocatedStorage, num(source?.inputs.allocatedStorage));
                const storageType = String(i.storageType ?? source?.inputs.storageType ?? "gp2");
                if (storageType === "gp3" && i.iops === undefined) {
                    e.add(
                        multiAz ? "RDS gp3 storage (Multi-AZ)" : "RDS gp3 storage",
                        storage,
                        multiAz ? PRICES.rdsGp3MultiAzGbMonth : PRICES.rdsGp3GbMonth,
                    );
                } else {
                    e.missing(
                        `RDS ${storageType} storage${i.iops !== undefined ? " with provisioned IOPS" : ""}`,
                        `RDS ${storageType} storage${i.iops !== undefined ? " and provisioned IOPS are" : " is"} not in the price table`,
                        storage,
                        "GB-month",
                    );
                }
                break;
            }
            case "aws:secretsmanager/secret:Secret":
                e.add("Secrets Manager secrets", 1, PRICES.secretMonth);
                break;
            case "aws:cloudwatch/metricAlarm:MetricAlarm": {
                // A metric-math alarm is charged per metric it reads.
                const queries = (i.metricQueries as Array<{ metric?: unknown }> | undefined) ?? [];
                const metrics = queries.length > 0 ? queries.filter((q) => q.metric).length : 1;
                e.add("CloudWatch alarm metrics", metrics, PRICES.alarmMetricMonth);
                break;
            }
            case "aws:autoscaling/policy:Policy":
                // Auto Scaling creates and owns the alarms of a target tracking policy: they never
                // appear in the program, but they are billed like the stack's own.
                if (i.policyType === "TargetTrackingScaling")
                    e.add(
                        "CloudWatch alarms (target tracking, created by Auto Scaling)",
                        TARGET_TRACKING_ALARMS_PER_POLICY,
                        PRICES.alarmMetricMonth,
                    );
                else e.free(`${r.type} (${String(i.policyType ?? "SimpleScaling")})`);
                break;
            case "aws:cloudwatch/dashboard:Dashboard":
                e.add("CloudWatch dashboards", 1, PRICES.dashboardMonth);
                break;
            case "aws:cloudwatch/logMetricFilter:LogMetricFilter":
                // Only the heartbeat publishes all the time; the others only when their event happens.
                if (String(i.pattern ?? "").includes("heartbeat"))
                    e.add("Custom metrics (controller heartbeat)", 1, PRICES.customMetricMonth);
                break;
            case "aws:cloudwatch/logGroup:LogGroup": {
                const name = String(i.name ?? i.namePrefix ?? "");
                if (underRolloutStarter(r)) {
                    e.free(`${r.type} (rollout starter: a line or two a deployment)`);
                    break;
                }
                const gb = name.includes("flow-logs")
                    ? ASSUMPTIONS.flowLogsGb
                    : name.includes("failover-controller")
                      ? ASSUMPTIONS.controllerLogsGb
                      : ASSUMPTIONS.serverLogGroupGb;
                e.add("CloudWatch Logs ingestion (assumed volume)", gb, PRICES.logsIngestGb);
                e.add("CloudWatch Logs storage (assumed volume)", gb, PRICES.logsStoredGbMonth);
                break;
            }
            case "aws:lambda/function:Function": {
                // A pool's rollout starter runs once a deployment: within Lambda's free tier.
                if (underRolloutStarter(r)) {
                    e.free(`${r.type} (rollout starter: one invocation a deployment)`);
                    break;
                }
                // Only the failover controller's traffic is known (measured by bench:failover).
                if (!underController(r)) {
                    e.missing(`Lambda function ${r.name}`, "its invocations are not known to the estimate");
                    break;
                }
                const gbSeconds =
                    MINUTES * ASSUMPTIONS.controllerBilledSecondsPerMinute * (num(i.memorySize, 128) / 1024);
                e.add("Lambda compute (failover controller)", gbSeconds, PRICES.lambdaArmGbSecond);
                e.add(
                    "Lambda requests",
                    (MINUTES * ASSUMPTIONS.controllerInvocationsPerMinute) / 1e6,
                    PRICES.lambdaRequestMillion,
                );
                break;
            }
            case "aws:dynamodb/table:Table":
                if (!underController(r)) {
                    e.missing(`DynamoDB table ${r.name}`, "its requests are not known to the estimate");
                    break;
                }
                e.add(
                    "DynamoDB writes (on demand)",
                    (ASSUMPTIONS.controllerWritesPerMinute * MINUTES) / 1e6,
                    PRICES.dynamoWriteMillion,
                );
                e.add(
                    "DynamoDB reads (on demand)",
                    (ASSUMPTIONS.controllerReadUnitsPerMinute * MINUTES) / 1e6,
                    PRICES.dynamoReadMillion,
                );
                break;
            case "aws:scheduler/schedule:Schedule": {
                // rate(1 minute): one invocation a minute.
                const perMinute = /^rate\(1 minutes?\)$/.test(String(i.scheduleExpression)) ? 1 : undefined;
                if (perMinute)
                    e.add(
                        "EventBridge Scheduler invocations",
                        (perMinute * MINUTES) / 1e6,
                        PRICES.schedulerInvocationMillion,
                    );
                else
                    e.missing(
                        `EventBridge Scheduler (${String(i.scheduleExpression)})`,
                        "only rate(1 minute) schedules are estimated",
                    );
                break;
            }
            case "aws:wafv2/webAcl:WebAcl":
                e.add("WAF web ACLs", 1, PRICES.wafAclMonth);
                e.add("WAF rules", (i.rules as unknown[] | undefined)?.length ?? 0, PRICES.wafRuleMonth);
                break;
            case "aws:s3/bucket:Bucket":
            case "aws:s3/bucketV2:BucketV2":
                // A server pool's bundle bucket: its storage is its object's, priced below.
                if (r.name.endsWith("-bundle"))
                    e.add("S3 bucket (server bundle; its object is priced below)", 0, PRICES.s3GbMonth);
                else
                    e.add("S3 storage (access logs, assumed volume)", ASSUMPTIONS.accessLogsStoredGb, PRICES.s3GbMonth);
                break;
            case "aws:s3/bucketObjectv2:BucketObjectv2":
                // Its size as uploaded (earlier versions kept for rollbacks are not counted).
                e.add(
                    "S3 storage (server bundles)",
                    Buffer.from(String(i.contentBase64 ?? ""), "base64").length / 1e9,
                    PRICES.s3GbMonth,
                );
                break;
            default:
                if (FREE_TYPES.has(r.type)) e.free(r.type);
                else e.missing(r.type, `resource type ${r.type} is not in the price table`);
        }
    }
    const lines = e.all();
    const warnings =
        region === REGION ? [] : [`prices are us-east-1's: ${region} was estimated at them, and its prices differ`];
    return {
        region,
        lines,
        totalUsd: lines.reduce((sum, l) => sum + (l.monthlyUsd ?? 0), 0),
        assumptions: [
            `${HOURS} hours a month, on demand, prices of ${REGION}`,
            `${ASSUMPTIONS.albLcus} load balancer capacity unit (LCU) in use on average`,
            `logs ingested a month: ${ASSUMPTIONS.flowLogsGb} GB of flow logs, ${ASSUMPTIONS.serverLogGroupGb} GB per server log group, ${ASSUMPTIONS.controllerLogsGb} GB of controller logs`,
            `${ASSUMPTIONS.accessLogsStoredGb} GB of ALB access logs kept in S3`,
            `RDS storage as allocated (autoscaling may add to it)`,
            `the failover controller as bench:failover measured it: ${ASSUMPTIONS.controllerInvocationsPerMinute} invocations and ${ASSUMPTIONS.controllerBilledSecondsPerMinute} billed seconds a minute, ${ASSUMPTIONS.controllerWritesPerMinute} DynamoDB writes and ${ASSUMPTIONS.controllerReadUnitsPerMinute} read units a minute`,
        ],
        leftOut: [...LEFT_OUT],
        warnings,
        free: [...e.freeTypes].sort(),
    };
}
