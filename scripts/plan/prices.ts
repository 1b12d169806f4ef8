/**
 * The prices the plan's monthly estimate uses: us-east-1, on demand, in USD. Each with where it
 * comes from and when it was recorded here. Another region is estimated at these prices, with a
 * warning. A price missing here is never taken as $0: the estimate shows "not priced".
 */

export interface Price {
    readonly usd: number;
    readonly unit: string;
    /** The AWS pricing page the figure belongs to, where a reader can check it. */
    readonly source: string;
    /**
     * When it was recorded here and where it was taken from. None was read from the AWS page on
     * the machine that wrote this table (it has no network): each names its actual source.
     */
    readonly read: string;
}

/** The project's price list (../shared/brief/ARCHITECTURE.md), taken from the AWS pricing pages. */
const BRIEF = "2026-12-02, from the project's price list (shared/brief/ARCHITECTURE.md)";
/** Figures an earlier version of this README quoted from the AWS pages. */
const README_QUOTE = "2026-12-02, as this project's README quoted the AWS page";

export const REGION = "us-east-1";

export const PRICES = {
    albHour: {
        usd: 0.0225,
        unit: "ALB-hour",
        source: "https://aws.amazon.com/elasticloadbalancing/pricing/",
        read: BRIEF,
    },
    albLcuHour: {
        usd: 0.008,
        unit: "LCU-hour",
        source: "https://aws.amazon.com/elasticloadbalancing/pricing/",
        read: BRIEF,
    },
    natHour: { usd: 0.045, unit: "NAT gateway-hour", source: "https://aws.amazon.com/vpc/pricing/", read: BRIEF },
    publicIpv4Hour: {
        usd: 0.005,
        unit: "public IPv4 address-hour",
        source: "https://aws.amazon.com/vpc/pricing/",
        read: BRIEF,
    },
    ebsGp3GbMonth: {
        usd: 0.08,
        unit: "GB-month (EBS gp3)",
        source: "https://aws.amazon.com/ebs/pricing/",
        read: BRIEF,
    },
    rdsGp3GbMonth: {
        usd: 0.115,
        unit: "GB-month (RDS gp3, single-AZ)",
        source: "https://aws.amazon.com/rds/mysql/pricing/",
        read: BRIEF,
    },
    rdsGp3MultiAzGbMonth: {
        usd: 0.23,
        unit: "GB-month (RDS gp3, Multi-AZ)",
        source: "https://aws.amazon.com/rds/mysql/pricing/",
        read: BRIEF,
    },
    secretMonth: {
        usd: 0.4,
        unit: "secret-month",
        source: "https://aws.amazon.com/secrets-manager/pricing/",
        read: BRIEF,
    },
    alarmMetricMonth: {
        usd: 0.1,
        unit: "alarm metric-month",
        source: "https://aws.amazon.com/cloudwatch/pricing/",
        read: BRIEF,
    },
    dashboardMonth: {
        usd: 3,
        unit: "dashboard-month",
        source: "https://aws.amazon.com/cloudwatch/pricing/",
        read: README_QUOTE,
    },
    customMetricMonth: {
        usd: 0.3,
        unit: "metric-month",
        source: "https://aws.amazon.com/cloudwatch/pricing/",
        read: README_QUOTE,
    },
    logsIngestGb: {
        usd: 0.5,
        unit: "GB ingested",
        source: "https://aws.amazon.com/cloudwatch/pricing/",
        read: README_QUOTE,
    },
    logsStoredGbMonth: {
        usd: 0.03,
        unit: "GB-month stored",
        source: "https://aws.amazon.com/cloudwatch/pricing/",
        read: README_QUOTE,
    },
    lambdaArmGbSecond: {
        usd: 0.0000133334,
        unit: "GB-second (arm64)",
        source: "https://aws.amazon.com/lambda/pricing/",
        read: README_QUOTE,
    },
    lambdaRequestMillion: {
        usd: 0.2,
        unit: "million requests",
        source: "https://aws.amazon.com/lambda/pricing/",
        read: README_QUOTE,
    },
    dynamoWriteMillion: {
        usd: 0.625,
        unit: "million write request units",
        source: "https://aws.amazon.com/dynamodb/pricing/on-demand/",
        read: "2026-12-02, after the November 2024 on-demand price cut (airbyte.com/data-engineering-resources/dynamodb-pricing)",
    },
    dynamoReadMillion: {
        usd: 0.125,
        unit: "million read request units",
        source: "https://aws.amazon.com/dynamodb/pricing/on-demand/",
        read: "2026-12-02, after the November 2024 on-demand price cut (airbyte.com/data-engineering-resources/dynamodb-pricing)",
    },
    wafAclMonth: {
        usd: 5,
        unit: "web ACL-month",
        source: "https://aws.amazon.com/waf/pricing/",
        read: README_QUOTE,
    },
    wafRuleMonth: {
        usd: 1,
        unit: "rule-month",
        source: "https://aws.amazon.com/waf/pricing/",
        read: README_QUOTE,
    },
    schedulerInvocationMillion: {
        usd: 1,
        unit: "million scheduled invocations",
        source: "https://aws.amazon.com/eventbridge/pricing/",
        read: "2026-12-02, EventBridge Scheduler after its free 14 million a month (not counted here, like the other free tiers)",
    },
    s3GbMonth: {
        usd: 0.023,
        unit: "GB-month (S3 Standard)",
        source: "https://aws.amazon.com/s3/pricing/",
        read: "2026-12-02, S3 Standard's first 50 TB",
    },
} as const satisfies Record<string, Price>;

export type PriceKey = keyof typeof PRICES;

/** EC2 Linux instance-hours by type. */
export const EC2_HOURLY: Readonly<Record<string, Price>> = {
    "t4g.micro": {
        usd: 0.0084,
        unit: "instance-hour",
        source: "https://aws.amazon.com/ec2/pricing/on-demand/",
        read: BRIEF,
    },
    "m7g.large": {
        usd: 0.0816,
        unit: "instance-hour",
        source: "https://aws.amazon.com/ec2/pricing/on-demand/",
        read: "2026-12-02, from factualminds.com/blog/amazon-ec2-on-demand-pricing-instance-families-2026 (us-east-1, June 2026)",
    },
};

/** RDS for MySQL instance-hours by class, single-AZ (Multi-AZ: twice, a standby in another AZ). */
export const RDS_MYSQL_HOURLY: Readonly<Record<string, Price>> = {
    "db.t4g.micro": {
        usd: 0.016,
        unit: "instance-hour (single-AZ)",
        source: "https://aws.amazon.com/rds/mysql/pricing/",
        read: BRIEF,
    },
    "db.m7g.large": {
        usd: 0.168,
        unit: "instance-hour (single-AZ)",
        source: "https://aws.amazon.com/rds/mysql/pricing/",
        // Not the AWS page itself: a price list kept in a widely read codebase, whose db.t4g.micro
        // ($0.016) matches the us-east-1 price above.
        read: "2026-12-02, from hashicorp/terraform-provider-aws (the RDS tests' instance classes, MySQL on demand as of 2024-02-02, us-west-2 'representative of relative prices in other regions')",
    },
};

/** The volumes a traffic-dependent price is estimated at: stated with the estimate, never hidden. */
export const ASSUMPTIONS = {
    hoursPerMonth: 730,
    /** Load balancer capacity units in use on average (1 LCU: 25 new connections/s, 3,000 active, 1 GB/h). */
    albLcus: 1,
    /** Logs ingested a month, per log group. */
    flowLogsGb: 1,
    serverLogGroupGb: 0.5,
    controllerLogsGb: 0.1,
    /** ALB access logs kept in the bucket. */
    accessLogsStoredGb: 1,
    /**
     * The failover controller as `npm run bench:failover -- --steady` measured an hour of normal
     * operation (both schedules, polls every 0.8 s, 2026-12-03): 2 invocations and 62.6 billed
     * seconds a minute at 128 MB, 17.4 DynamoDB writes and 49.3 read units a minute (81.3 reads,
     * the holder's peeks eventually consistent: half a unit each).
     */
    controllerInvocationsPerMinute: 2,
    controllerBilledSecondsPerMinute: 62.6,
    controllerWritesPerMinute: 17.4,
    controllerReadUnitsPerMinute: 49.3,
} as const;

/**
 * The CloudWatch alarms Auto Scaling creates for one target tracking policy: one that scales out
 * (`AlarmHigh`) and one that scales in (`AlarmLow`), each on one metric, named `TargetTracking-…`.
 * https://docs.aws.amazon.com/autoscaling/ec2/userguide/target-tracking-scaling-policy-overview.html
 */
export const TARGET_TRACKING_ALARMS_PER_POLICY = 2;

/** Left out of the estimate: driven by traffic, not by what the stack creates. */
export const LEFT_OUT = [
    "data transfer (out to the internet, between AZs, NAT gateway data processing at $0.045/GB)",
    "LCUs above the assumed 1, WAF requests ($0.60 per million), SNS deliveries past the free tier",
    "RDS storage that autoscaling adds, backups beyond the free allowance (the database's size), snapshots, and the database logs exported to CloudWatch Logs",
    "the free tiers (Lambda, CloudWatch's first 10 alarms and 3 dashboards, DynamoDB's 25 GB)",
];
