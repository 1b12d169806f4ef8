/**
 * The baseline of every S3 bucket the stack creates (the pools' bundle buckets, the load
 * balancer's access log bucket): all public access blocked, ACLs off (bucket owner enforced),
 * SSE-S3, optional versioning, lifecycle rules, and a bucket policy that denies every request
 * without TLS (Security Hub S3.5) next to the caller's own statements. The policy pack's S3 rules
 * hold for it (policy/rules/s3.ts).
 *
 * Every child takes the caller's logical name, as each caller named them before this helper
 * existed, so existing stacks keep their URNs (no replacement).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { named, Tags } from "./tags";

export interface PrivateBucketArgs {
    /** The bucket name's prefix (global, lowercase; the provider appends a unique suffix). */
    bucketPrefix: string;
    /** Let `pulumi destroy` delete the bucket with objects in it. */
    forceDestroy: boolean;
    /** Keep every object version (a rollback can fetch an earlier one). */
    versioning: boolean;
    lifecycleRules: aws.types.input.s3.BucketLifecycleConfigurationRule[];
    /** Statements the policy grants besides the TLS-only deny, from the bucket's ARN. */
    statements?: (bucketArn: string) => pulumi.Input<object[]>;
    tags?: Tags;
}

export interface PrivateBucket {
    bucket: aws.s3.Bucket;
    publicAccessBlock: aws.s3.BucketPublicAccessBlock;
    ownershipControls: aws.s3.BucketOwnershipControls;
    encryption: aws.s3.BucketServerSideEncryptionConfiguration;
    versioning?: aws.s3.BucketVersioning;
    lifecycle: aws.s3.BucketLifecycleConfiguration;
    policy: aws.s3.BucketPolicy;
}

/** The statement that denies every request to the bucket and its objects without TLS. Pure. */
export function denyInsecureTransport(bucketArn: string): object {
    return {
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: [bucketArn, `${bucketArn}/*`],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
    };
}

/** The bucket policy: the caller's statements, then the TLS-only deny. Pure. */
export function privateBucketPolicy(bucketArn: string, statements: object[] = []): object {
    return { Version: "2012-10-17", Statement: [...statements, denyInsecureTransport(bucketArn)] };
}

/** The bucket and its baseline, every resource named `name` (see the file's comment). */
export function createPrivateBucket(name: string, args: PrivateBucketArgs, parent: pulumi.Resource): PrivateBucket {
    const bucket = new aws.s3.Bucket(
        name,
        { bucketPrefix: args.bucketPrefix, forceDestroy: args.forceDestroy, tags: named(args.tags, name) },
        { parent },
    );
    const publicAccessBlock = new aws.s3.BucketPublicAccessBlock(
        name,
        {
            bucket: bucket.id,
            blockPublicAcls: true,
            blockPublicPolicy: true,
            ignorePublicAcls: true,
            restrictPublicBuckets: true,
        },
        { parent },
    );
    // Bucket-level settings one after the other: S3 rejects concurrent configuration changes
    // ("A conflicting conditional operation is currently in progress").
    const ownershipControls = new aws.s3.BucketOwnershipControls(
        name,
        { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } },
        { parent, dependsOn: [publicAccessBlock] },
    );
    const encryption = new aws.s3.BucketServerSideEncryptionConfiguration(
        name,
        { bucket: bucket.id, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }] },
        { parent, dependsOn: [ownershipControls] },
    );
    const versioning = args.versioning
        ? new aws.s3.BucketVersioning(
              name,
              { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } },
              { parent, dependsOn: [encryption] },
          )
        : undefined;
    const lifecycle = new aws.s3.BucketLifecycleConfiguration(
        name,
        { bucket: bucket.id, rules: args.lifecycleRules },
        { parent, dependsOn: [versioning ?? encryption] },
    );
    const policy = new aws.s3.BucketPolicy(
        name,
        {
            bucket: bucket.id,
            policy: bucket.arn.apply((arn) =>
                pulumi
                    .output(args.statements?.(arn) ?? [])
                    .apply((statements) => JSON.stringify(privateBucketPolicy(arn, statements as object[]))),
            ),
        },
        { parent, dependsOn: [lifecycle] },
    );
    return { bucket, publicAccessBlock, ownershipControls, encryption, versioning, lifecycle, policy };
}
