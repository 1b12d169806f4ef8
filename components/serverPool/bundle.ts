/**
 * The server bundle: everything a web server installs at boot, in one zip archive that the pool
 * keeps as one versioned object in a private S3 bucket. The user data (userData.ts +
 * server/loader.sh) downloads it through the VPC's S3 gateway endpoint, checks its sha256 and
 * runs its bootstrap, so a boot needs no host outside AWS and the Amazon Linux repositories.
 *
 * - Contents: server/app.py, server/nginx.conf, server/bootstrap.sh, the vendored PyMySQL wheel
 *   and the RDS CA bundle (server/vendor/, each pinned by its sha256 here and in bootstrap.sh).
 * - Deterministic: fflate (pinned in package.json, pure JavaScript, so no zlib build is involved)
 *   with fixed entry order, timestamps and compression level. The same sources give the same
 *   bytes on every machine, so an unchanged bundle changes no launch template, and a changed one
 *   changes the hash the user data names: the servers roll.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { zipSync, Zippable } from "fflate";
import { packageFile } from "../shared/packageFiles";
import { createPrivateBucket, privateBucketPolicy } from "../shared/privateBucket";
import { named, Tags } from "../shared/tags";

/** A vendored file and the sha256 it must have (checked at pack time and again on the instance). */
export interface PinnedFile {
    /** Path inside server/ and inside the bundle. */
    file: string;
    sha256: string;
}

/**
 * PyMySQL 1.1.2, pure Python (Python >= 3.8; AL2023's system Python is 3.9). Built here from the
 * v1.1.2 tag of github.com/PyMySQL/PyMySQL with `pip wheel --no-build-isolation` (PyPI is not
 * reachable from this project's machines), SOURCE_DATE_EPOCH at the tag's commit time: the build
 * gives these exact bytes again. See server/README.md.
 */
export const PYMYSQL_WHEEL: PinnedFile = {
    file: "vendor/PyMySQL-1.1.2-py3-none-any.whl",
    sha256: "5efdb1ce87f5c6eb4d53df27cd6be7855121795e88b2ae574c72a5b0330fdd78",
};

/**
 * The RDS global CA bundle (the root CAs of every region: RSA2048, RSA4096 and ECC384 G1), that
 * https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem serves. See server/README.md
 * for where this copy comes from and how to refresh it.
 */
export const RDS_CA_BUNDLE: PinnedFile = {
    file: "vendor/rds-global-bundle.pem",
    sha256: "83fe4e0d026bae52ddaefca95aac0733d1be2fb6ebeec4434fc33d55d0929aa1",
};

/** Where the bootstrap installs the CA bundle; the app verifies the database's certificate with it. */
export const RDS_CA_PATH = "/opt/ha-webstack/rds-global-bundle.pem";

/** The bundle's files, in archive order. */
export const BUNDLE_FILES = ["app.py", "bootstrap.sh", "nginx.conf", PYMYSQL_WHEEL.file, RDS_CA_BUNDLE.file] as const;

/** The bundle's key in the bucket: one object, a new version for each change. */
export const BUNDLE_KEY = "server/bundle.zip";

export interface ServerBundle {
    /** The zip archive. */
    archive: Buffer;
    /** sha256 of the archive, hex. */
    sha256: string;
}

/** Timestamps of every entry: 1980-01-01 00:00, built from local fields (zip stores local time). */
const ENTRY_TIME = new Date(1980, 0, 1, 0, 0, 0);

/**
 * Packs the bundle from `dir` (server/ by default). Throws when a pinned file does not have its
 * sha256 (a changed wheel or CA bundle must change its pin, here and in bootstrap.sh). Pure but
 * for reading the files.
 */
export function buildServerBundle(dir: string = serverDir()): ServerBundle {
    return zipBundle(dir, readBundleFiles(dir));
}

/** Archives already packed in this process, by the sha256 of their sources (see {@link serverBundle}). */
const packed = new Map<string, ServerBundle>();

/**
 * {@link buildServerBundle}, packed once per process for the same sources: compressing the bundle
 * (level 9, pure JavaScript) takes ~0.1 s, and a program has a pool per role, a test run hundreds
 * of evaluations. The sources are read and hashed every time, so a changed file is a new archive.
 */
export function serverBundle(dir: string = serverDir()): ServerBundle {
    const files = readBundleFiles(dir);
    const key = crypto.createHash("sha256");
    for (const name of BUNDLE_FILES) key.update(`${name}\0${files[name].length}\0`).update(files[name]);
    const digest = key.digest("hex");
    let bundle = packed.get(digest);
    if (bundle === undefined) {
        bundle = zipBundle(dir, files);
        packed.set(digest, bundle);
    }
    return bundle;
}

function readBundleFiles(dir: string): Record<string, Buffer> {
    return Object.fromEntries(BUNDLE_FILES.map((name) => [name, fs.readFileSync(path.join(dir, name))]));
}

function zipBundle(dir: string, files: Record<string, Buffer>): ServerBundle {
    const entries: Zippable = {};
    for (const name of BUNDLE_FILES) {
        const content = files[name];
        const pin = [PYMYSQL_WHEEL, RDS_CA_BUNDLE].find((p) => p.file === name);
        if (pin && sha256(content) !== pin.sha256) {
            throw new Error(
                `ha-webstack server bundle: ${path.join(dir, name)} has sha256 ${sha256(content)}, ` +
                    `but ${pin.sha256} is pinned (components/serverPool/bundle.ts and server/bootstrap.sh)`,
            );
        }
        entries[name] = [new Uint8Array(content), { mtime: ENTRY_TIME, level: 9 }];
    }
    const archive = Buffer.from(zipSync(entries));
    return { archive, sha256: sha256(archive) };
}

export function sha256(data: Buffer | Uint8Array): string {
    return crypto.createHash("sha256").update(data).digest("hex");
}

/** server/ next to components/ (source tree) or two levels up (compiled into dist/components). */
export function serverDir(): string {
    return path.dirname(packageFile("server", "bootstrap.sh"));
}

/** The bucket policy: every request without TLS is denied (Security Hub S3.5). Pure. */
export function bundleBucketPolicy(bucketArn: string): object {
    return privateBucketPolicy(bucketArn);
}

/** The instance role's read access: this one object (any of its versions), nothing else. Pure. */
export function bundleReadPolicy(bucketArn: string): object {
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "ReadServerBundle",
                Effect: "Allow",
                Action: ["s3:GetObject", "s3:GetObjectVersion"],
                Resource: `${bucketArn}/${BUNDLE_KEY}`,
            },
        ],
    };
}

/** What the user data needs to fetch the bundle. */
export interface BundleLocation {
    bucket: pulumi.Output<string>;
    key: string;
    versionId: pulumi.Output<string>;
    sha256: string;
}

export interface BundleStore {
    bucket: aws.s3.Bucket;
    object: aws.s3.BucketObjectv2;
    location: BundleLocation;
    /** The instance role's read access; instances must not launch before it exists. */
    readPolicy: aws.iam.RolePolicy;
}

/** Noncurrent bundle versions kept: a rollback to an earlier launch template still finds its bundle. */
export const NONCURRENT_VERSIONS_KEPT = 10;
/** Older noncurrent versions expire this many days after they were replaced. */
export const NONCURRENT_VERSION_DAYS = 90;

/**
 * A private bucket holding the bundle, with the baseline of privateBucket.ts (all public access
 * blocked, ACLs off, SSE-S3, a policy denying requests without TLS) and versioning (each bundle a
 * new version of {@link BUNDLE_KEY}, earlier versions kept for rollbacks); the bundle object; and
 * the instance role's read access to it.
 * `forceDestroy`: the bucket holds nothing but build output, so `pulumi destroy` may empty it.
 */
export function createBundleStore(
    name: string,
    bundle: ServerBundle,
    role: aws.iam.Role,
    parent: pulumi.Resource,
    tags?: Tags,
): BundleStore {
    // Every child keeps the name it had before the baseline moved to privateBucket.ts (same URNs).
    const { bucket, versioning, policy } = createPrivateBucket(
        `${name}-bundle`,
        {
            // Bucket names are global and lowercase; the provider appends a unique suffix.
            bucketPrefix: `${name.toLowerCase().slice(0, 30)}-bundle-`,
            forceDestroy: true,
            versioning: true,
            lifecycleRules: [
                {
                    id: "expire-old-bundles",
                    status: "Enabled",
                    filter: { prefix: "server/" },
                    noncurrentVersionExpiration: {
                        noncurrentDays: NONCURRENT_VERSION_DAYS,
                        newerNoncurrentVersions: NONCURRENT_VERSIONS_KEPT,
                    },
                    abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
                },
            ],
            tags,
        },
        parent,
    );
    const object = new aws.s3.BucketObjectv2(
        `${name}-bundle`,
        {
            bucket: bucket.id,
            key: BUNDLE_KEY,
            contentBase64: bundle.archive.toString("base64"),
            contentType: "application/zip",
            // S3 checks the upload against this checksum; the loader checks the download against the hash.
            checksumAlgorithm: "SHA256",
            serverSideEncryption: "AES256",
            tags: named(tags, `${name}-bundle`),
        },
        { parent, dependsOn: [policy, versioning!] },
    );
    const readPolicy = new aws.iam.RolePolicy(
        `${name}-bundle-read`,
        { role: role.name, policy: bucket.arn.apply((arn) => JSON.stringify(bundleReadPolicy(arn))) },
        { parent },
    );
    return {
        bucket,
        object,
        readPolicy,
        location: { bucket: bucket.bucket, key: BUNDLE_KEY, versionId: object.versionId, sha256: bundle.sha256 },
    };
}
