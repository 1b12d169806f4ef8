import * as aws from "@pulumi/aws";
import { ResourceValidationPolicy, StackValidationPolicy, validateResourceOfType } from "@pulumi/policy";
import { getPulumiType, toStringArray, readKnown, knownValues, refersTo } from "../helpers";

// ---------------------------------------------------------------------------------------------
// S3 (log buckets)
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-encryption.html
// ---------------------------------------------------------------------------------------------

export const PUBLIC_ACCESS_BLOCK_FLAGS = [
    "blockPublicAcls",
    "blockPublicPolicy",
    "ignorePublicAcls",
    "restrictPublicBuckets",
] as const;

export const s3PublicAccessBlock: ResourceValidationPolicy = {
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

export const BUCKET_TYPES = [getPulumiType(aws.s3.Bucket), getPulumiType(aws.s3.BucketV2)];
export const ENCRYPTION_CONFIG_TYPES = [
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
export const s3BucketProtected: StackValidationPolicy = {
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
export function secureTransportCondition(statement: Record<string, unknown>): string | undefined {
    const bool = (statement.Condition as Record<string, unknown> | undefined)?.Bool as
        | Record<string, unknown>
        | undefined;
    const value = bool?.["aws:SecureTransport"];
    const first = Array.isArray(value) ? value[0] : value;
    return first === undefined ? undefined : String(first).toLowerCase();
}

/** Does this raw bucket policy statement deny every S3 action to everyone on requests without TLS? */
export function deniesInsecureTransport(statement: Record<string, unknown>): boolean {
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
export const s3BucketTlsOnly: StackValidationPolicy = {
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
