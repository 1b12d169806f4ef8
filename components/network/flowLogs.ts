import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { featureOptions } from "../shared/features";
import { named, Tags } from "../shared/tags";
import { logRetentionDays } from "../shared/validation";

/** The `flowLogs` argument: `{}` for the defaults, `{ enabled: false }` for none, or the options. */
export interface FlowLogOptions {
    /**
     * `false` turns the flow logs off; an options object without it turns them on.
     * @default true
     */
    enabled?: boolean;
    /**
     * Days CloudWatch Logs keeps the flow log records: one of the retention periods CloudWatch
     * Logs allows (1, 3, 5, 7, 14, 30, 60, 90, ... 3653).
     * @default 30
     */
    retentionDays?: number;
}

export interface FlowLogSettings {
    retentionDays: number;
}

export const DEFAULT_FLOW_LOG_RETENTION_DAYS = 30;

/** The service that publishes flow logs and assumes the delivery role. */
export const FLOW_LOGS_SERVICE = "vpc-flow-logs.amazonaws.com";

/** Checks the `flowLogs` argument: `undefined` when off; on by default. */
export function flowLogSettings(key: string, value: unknown): FlowLogSettings | undefined {
    const options = featureOptions<FlowLogOptions>(key, value, true, ["retentionDays"]);
    if (options === undefined) {
        return undefined;
    }
    return {
        retentionDays: logRetentionDays(
            `${key}.retentionDays`,
            options.retentionDays ?? DEFAULT_FLOW_LOG_RETENTION_DAYS,
        ),
    };
}

/** Partition, region and account of an ARN (`arn:aws:ec2:us-east-1:123456789012:vpc/vpc-0abc`). */
export function arnParts(arn: string): { partition: string; region: string; accountId: string } {
    const [, partition, , region, accountId] = arn.split(":");
    return { partition, region, accountId };
}

/**
 * Trust policy of the delivery role: only the flow logs service, and only for flow logs of this
 * account and region (the confused-deputy conditions AWS recommends). Pure.
 * https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-iam-role.html
 */
export function flowLogTrustPolicy(vpcArn: string): object {
    const { partition, region, accountId } = arnParts(vpcArn);
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Effect: "Allow",
                Principal: { Service: FLOW_LOGS_SERVICE },
                Action: "sts:AssumeRole",
                Condition: {
                    StringEquals: { "aws:SourceAccount": accountId },
                    ArnLike: { "aws:SourceArn": `arn:${partition}:ec2:${region}:${accountId}:vpc-flow-log/*` },
                },
            },
        ],
    };
}

/**
 * Permissions of the delivery role: write streams and events to the one log group (its ARN, and
 * `:*` for its log streams), nothing else. Pure.
 */
export function flowLogRolePolicy(logGroupArn: string): object {
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "WriteFlowLogs",
                Effect: "Allow",
                Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                Resource: [logGroupArn, `${logGroupArn}:*`],
            },
        ],
    };
}

export interface VpcFlowLogs {
    logGroup: aws.cloudwatch.LogGroup;
    role: aws.iam.Role;
    rolePolicy: aws.iam.RolePolicy;
    flowLog: aws.ec2.FlowLog;
}

/**
 * VPC flow logs of ALL traffic (accepted and rejected) to a CloudWatch log group with a
 * retention, delivered through a role only the flow logs service of this account can assume.
 * https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-cwl.html
 */
export function createVpcFlowLogs(
    name: string,
    vpc: aws.ec2.Vpc,
    settings: FlowLogSettings,
    parent: pulumi.Resource,
    tags?: Tags,
): VpcFlowLogs {
    const logGroup = new aws.cloudwatch.LogGroup(
        `${name}-flow-logs`,
        {
            namePrefix: `/ha-webstack/${pulumi.getStack()}/${name}-vpc-flow-logs-`,
            retentionInDays: settings.retentionDays,
            tags: named(tags, `${name}-flow-logs`),
        },
        { parent },
    );
    // The VPC's ARN names the account and region the flow log lives in: no invoke needed.
    const role = new aws.iam.Role(
        `${name}-flow-logs`,
        {
            description: `VPC flow logs of ${name} to CloudWatch Logs`,
            assumeRolePolicy: vpc.arn.apply((arn) => JSON.stringify(flowLogTrustPolicy(arn))),
            tags: named(tags, `${name}-flow-logs`),
        },
        { parent },
    );
    const rolePolicy = new aws.iam.RolePolicy(
        `${name}-flow-logs`,
        { role: role.id, policy: logGroup.arn.apply((arn) => JSON.stringify(flowLogRolePolicy(arn))) },
        { parent },
    );
    const flowLog = new aws.ec2.FlowLog(
        `${name}-flow-logs`,
        {
            vpcId: vpc.id,
            trafficType: "ALL",
            logDestinationType: "cloud-watch-logs",
            logDestination: logGroup.arn,
            iamRoleArn: role.arn,
            // Aggregate per minute (AWS's default is 10): records reach the log group sooner during an investigation.
            maxAggregationInterval: 60,
            tags: named(tags, `${name}-flow-logs`),
        },
        // Delivery starts at creation: the role must already have its permissions.
        { parent, dependsOn: [rolePolicy] },
    );
    return { logGroup, role, rolePolicy, flowLog };
}
