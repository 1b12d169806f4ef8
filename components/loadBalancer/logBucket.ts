import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { featureOptions } from "../shared/features";
import { privateBucketPolicy, createPrivateBucket } from "../shared/privateBucket";
import type { Tags } from "../shared/tags";
import { booleanValue, integerIn } from "../shared/validation";

/** The `accessLogs` argument: `{}` for the defaults, `{ enabled: false }` for none, or the options. */
export interface AccessLogOptions {
    /**
     * `false` turns the access logs off; an options object without it turns them on.
     * @default true
     */
    enabled?: boolean;
    /**
     * Days the access logs are kept before S3 deletes them, 1 to 3650.
     * @default 90
     */
    retentionDays?: number;
    /**
     * Let `pulumi destroy` delete the bucket with the logs in it (otherwise a non-empty bucket
     * blocks the destroy until it is emptied by hand).
     * @default true, unless the load balancer has deletion protection
     */
    forceDestroy?: boolean;
}

export interface AccessLogSettings {
    retentionDays: number;
    forceDestroy: boolean;
    /** Key prefix of the logs in the bucket (without slashes). */
    prefix: string;
}

export const ACCESS_LOG_RETENTION_DAYS = { min: 1, max: 3650, default: 90 } as const;

/** The key prefix the load balancer writes under: `<prefix>/AWSLogs/<account>/elasticloadbalancing/...`. */
export const ACCESS_LOG_PREFIX = "alb";

/**
 * The log delivery service principal of Elastic Load Balancing, which AWS documents for the
 * regions available as of August 2022. The bucket policy grants it in every region (so a stack
 * moved to a new region keeps its logs) and adds the regional account where one exists.
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html
 */
export const ELB_LOG_DELIVERY_SERVICE = "logdelivery.elasticloadbalancing.amazonaws.com";

/**
 * The regional Elastic Load Balancing accounts that deliver access logs in the regions available
 * before August 2022, as AWS lists them (a fixed table: regions opened later have no such account
 * and use {@link ELB_LOG_DELIVERY_SERVICE} only). Kept here rather than read with
 * `aws.elb.getServiceAccount`: no invoke at preview, and that data source fails in regions its
 * own table lacks. https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html
 */
export const ELB_LOG_DELIVERY_ACCOUNTS: Readonly<Record<string, string>> = {
    "us-east-1": "127311923021",
    "us-east-2": "033677994240",
    "us-west-1": "027434742980",
    "us-west-2": "797873946194",
    "af-south-1": "098369216593",
    "ap-east-1": "754344448648",
    "ap-southeast-3": "589379963580",
    "ap-south-1": "718504428378",
    "ap-northeast-3": "383597477331",
    "ap-northeast-2": "600734575887",
    "ap-southeast-1": "114774131450",
    "ap-southeast-2": "783225319266",
    "ap-northeast-1": "582318560864",
    "ca-central-1": "985666609251",
    "eu-central-1": "054676820928",
    "eu-west-1": "156460612806",
    "eu-west-2": "652711504416",
    "eu-south-1": "635631232127",
    "eu-west-3": "009996457667",
    "eu-north-1": "897822967062",
    "me-south-1": "076674570225",
    "sa-east-1": "507241528517",
    "us-gov-west-1": "048591011584",
    "us-gov-east-1": "190560391635",
    "cn-north-1": "638102146993",
    "cn-northwest-1": "037604701340",
};

/** Days to keep access logs: an integer from 1 to 3650. */
export function accessLogRetentionDays(key: string, value: unknown): number {
    return integerIn(key, value, ACCESS_LOG_RETENTION_DAYS.min, ACCESS_LOG_RETENTION_DAYS.max);
}

/** Checks the `accessLogs` argument: `undefined` when off; on by default. */
export function accessLogSettings(
    key: string,
    value: unknown,
    deletionProtection: boolean,
): AccessLogSettings | undefined {
    const options = featureOptions<AccessLogOptions>(key, value, true, ["retentionDays", "forceDestroy"]);
    if (options === undefined) {
        return undefined;
    }
    return {
        retentionDays: accessLogRetentionDays(
            `${key}.retentionDays`,
            options.retentionDays ?? ACCESS_LOG_RETENTION_DAYS.default,
        ),
        forceDestroy: booleanValue(`${key}.forceDestroy`, options.forceDestroy ?? !deletionProtection),
        prefix: ACCESS_LOG_PREFIX,
    };
}

export interface AccessLogPolicyArgs {
    bucketArn: string;
    prefix: string;
    /** The account that owns the load balancer: the logs land under `AWSLogs/<accountId>/`. */
    accountId: string;
    region: string;
    partition: string;
}

/**
 * The log bucket's policy: only Elastic Load Balancing's log delivery may write, and only under
 * `<prefix>/AWSLogs/<account>/`; the service principal everywhere, plus the regional ELB account in
 * the regions that have one; every request without TLS is denied (Security Hub S3.5). Pure.
 */
export function accessLogBucketPolicy(args: AccessLogPolicyArgs): object {
    return privateBucketPolicy(args.bucketArn, accessLogDeliveryStatements(args));
}

/** Who may write the logs: ELB's log delivery service, and the regional ELB account where one exists. Pure. */
function accessLogDeliveryStatements(args: AccessLogPolicyArgs): object[] {
    const logs = `${args.bucketArn}/${args.prefix}/AWSLogs/${args.accountId}/*`;
    const elbAccount = ELB_LOG_DELIVERY_ACCOUNTS[args.region];
    const statements: object[] = [
        {
            Sid: "ElbLogDelivery",
            Effect: "Allow",
            Principal: { Service: ELB_LOG_DELIVERY_SERVICE },
            Action: "s3:PutObject",
            Resource: logs,
        },
    ];
    if (elbAccount !== undefined) {
        statements.push({
            Sid: "ElbRegionalAccountLogDelivery",
            Effect: "Allow",
            Principal: { AWS: `arn:${args.partition}:iam::${elbAccount}:root` },
            Action: "s3:PutObject",
            Resource: logs,
        });
    }
    return statements;
}

/** The access log bucket and its settings; `dependsOn` is what the load balancer must wait for. */
export interface AccessLogBucket {
    bucket: aws.s3.Bucket;
    publicAccessBlock: aws.s3.BucketPublicAccessBlock;
    ownershipControls: aws.s3.BucketOwnershipControls;
    encryption: aws.s3.BucketServerSideEncryptionConfiguration;
    lifecycle: aws.s3.BucketLifecycleConfiguration;
    policy: aws.s3.BucketPolicy;
    prefix: string;
    /** The load balancer checks that it may write when access logs are turned on: wait for the policy. */
    dependsOn: pulumi.Resource[];
}

/**
 * A private S3 bucket for the load balancer's access logs: all public access blocked, ACLs off
 * (bucket owner enforced), SSE-S3 (the only encryption ALB log delivery supports: not SSE-KMS),
 * objects expired after `retentionDays`, a policy that lets only ELB log delivery write and
 * denies requests without TLS. `aws.s3.Bucket` (pulumi-aws 7: `BucketV2` is deprecated in its favour).
 */
export function createAccessLogBucket(
    name: string,
    settings: AccessLogSettings,
    parent: pulumi.Resource,
    tags?: Tags,
): AccessLogBucket {
    const identity = aws.getCallerIdentityOutput({}, { parent });
    const region = aws.getRegionOutput({}, { parent });
    const partition = aws.getPartitionOutput({}, { parent });
    // Every child keeps the name it had before the baseline moved to privateBucket.ts (same URNs).
    const { bucket, publicAccessBlock, ownershipControls, encryption, lifecycle, policy } = createPrivateBucket(
        `${name}-alb-logs`,
        {
            // Bucket names are global and lowercase; the provider appends a unique suffix (prefix ≤ 37).
            bucketPrefix: `${name.toLowerCase()}-alb-logs-`,
            forceDestroy: settings.forceDestroy,
            versioning: false,
            lifecycleRules: [
                {
                    id: "expire-access-logs",
                    status: "Enabled",
                    filter: { prefix: `${settings.prefix}/` },
                    expiration: { days: settings.retentionDays },
                    abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
                },
            ],
            statements: (bucketArn) =>
                pulumi.all([identity.accountId, region.region, partition.partition]).apply(([accountId, r, p]) =>
                    accessLogDeliveryStatements({
                        bucketArn,
                        prefix: settings.prefix,
                        accountId,
                        region: r,
                        partition: p,
                    }),
                ),
            tags,
        },
        parent,
    );
    return {
        bucket,
        publicAccessBlock,
        ownershipControls,
        encryption,
        lifecycle,
        policy,
        prefix: settings.prefix,
        dependsOn: [policy],
    };
}
