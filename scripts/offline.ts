/**
 * Evaluates Pulumi programs offline: no Pulumi CLI, no AWS account. The real program runs under
 * `pulumi.runtime.setMocks`; every resource it registers is recorded with its inputs, and the
 * mocks fill in the outputs AWS would compute (ARNs, DNS names, endpoints) so that the program's
 * own wiring resolves. Used by `npm run plan` and by the tests.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { parse as parseYaml } from "yaml";
import { packageRoot } from "../components/shared/packageFiles";

export const PROJECT = "ha-webstack";
export const ACCOUNT_ID = "123456789012";
/** The repository (found from here whether this runs from scripts/ or a build of it). */
export const REPO_ROOT = packageRoot();

/** One resource the program registered. */
export interface RegisteredResource {
    type: string;
    name: string;
    urn: string;
    /** The URN of the component it was created under, when there is one. */
    parentUrn?: string;
    custom: boolean;
    /** The inputs the program passed, secrets unwrapped (see `secretPaths`). */
    inputs: Record<string, any>;
    /** Dotted paths of the inputs that arrived as Pulumi secrets. */
    secretPaths: string[];
    /** The id the mocks gave it: its logical name (an S3 bucket's: its bucket name, as in AWS). */
    id?: string;
    /** The inputs plus the outputs the mocks computed: what AWS would report after creation. */
    state: Record<string, any>;
    /** The resource options that reach the engine. */
    options: RegisteredOptions;
    /**
     * Dotted input path → what an asset or archive there holds (names, sizes, SHA-256), resolved
     * after the evaluation: the inputs keep the SDK's objects, whose contents are promises.
     */
    assets?: Record<string, string>;
}

export interface RegisteredOptions {
    protect: boolean;
    ignoreChanges: string[];
    replaceOnChanges: string[];
    deleteBeforeReplace: boolean;
    retainOnDelete: boolean;
    /** URNs of explicit and implicit dependencies. */
    dependencies: string[];
    /** Earlier identities: alias URNs, or `{ name, parentUrn, ... }` specs as the SDK sends them. */
    aliases: Array<string | Record<string, unknown>>;
}

export interface Evaluation {
    resources: RegisteredResource[];
    outputs: Record<string, unknown>;
}

export interface EvaluateOptions {
    stack?: string;
    /** Full config map, `project:key` → string, as Pulumi passes it (see {@link readStackConfigFile}). */
    config?: Record<string, string>;
    /** Evaluate as `pulumi preview` (true) or `pulumi up` (false). */
    preview?: boolean;
    /**
     * Invoke answers by token, in place of {@link mockCall}'s (e.g. a region whose AZs do not all
     * offer an instance type); each gets the invoke's inputs and mockCall's own answer.
     */
    calls?: Record<string, MockCallOverride>;
}

export type MockCallOverride = (inputs: Record<string, any>, answer: Record<string, any>) => Record<string, any>;

/**
 * Runs `program` under mocks with the given stack and config, waits until every registration has
 * settled, and returns what was registered and the resolved outputs. Throws the program's first
 * error (e.g. a config validation error).
 */
export async function evaluate(program: () => unknown, options: EvaluateOptions = {}): Promise<Evaluation> {
    const stack = options.stack ?? "dev";
    const config = options.config ?? {};
    const region = config["aws:region"] ?? "us-east-1";
    const resources: RegisteredResource[] = [];
    // Set by the monitor wrapper below just before the mock monitor calls newResource (synchronously).
    let request: { parentUrn?: string; options: RegisteredOptions } | undefined;
    const mocks: pulumi.runtime.Mocks = {
        newResource: (args) => {
            const { inputs, secretPaths } = unwrapSecrets(args.inputs ?? {});
            const { id, state } = mockOutputs(args.type, args.name, inputs, region);
            const { parentUrn, options } = request ?? { options: emptyOptions() };
            request = undefined;
            const custom = args.custom !== false;
            resources.push({
                type: args.type,
                name: args.name,
                urn: "",
                parentUrn,
                custom,
                id: custom ? id : undefined,
                inputs,
                secretPaths,
                state: { ...inputs, ...state },
                options,
            });
            return { id: args.custom === false ? undefined : id, state: { ...args.inputs, ...state } };
        },
        call: (args) => {
            const answer = mockCall(args.token, args.inputs ?? {}, region);
            const override = options.calls?.[args.token];
            return override ? override(args.inputs ?? {}, answer) : answer;
        },
    };
    await pulumi.runtime.setMocks(mocks, PROJECT, stack, options.preview ?? false);
    pulumi.runtime.setAllConfig(config);
    recordRegistrations((pulumi.runtime as any).getMonitor(), (r) => (request = r), resources);

    const errors: unknown[] = [];
    const onRejection = (e: unknown) => errors.push(e);
    process.on("unhandledRejection", onRejection);
    // The SDK records `new Error().stack` for every promise it makes (runtime/debuggable.js) and for
    // every resource; formatted through source maps (ts-node, jest) that is ~85% of an evaluation's
    // time. No frames: an evaluation takes ~0.15 s instead of ~1 s. Messages are unchanged; set
    // HA_WEBSTACK_STACK_TRACES=1 to keep the frames when debugging a component.
    const stackTraceLimit = Error.stackTraceLimit;
    if (!process.env.HA_WEBSTACK_STACK_TRACES) {
        Error.stackTraceLimit = 0;
    }
    let outputs: Record<string, unknown> = {};
    try {
        const result = await program();
        outputs = result && typeof result === "object" ? ((await resolve(result)) as Record<string, unknown>) : {};
        await settle();
        // A failed registration surfaces as an unhandled rejection a tick after the RPCs settle.
        await new Promise((r) => setImmediate(r));
        await settle();
        for (const r of resources) {
            const assets = await describeAssets(r.inputs);
            if (Object.keys(assets).length > 0) r.assets = assets;
        }
    } catch (e) {
        errors.push(e);
        // A failed Output fails every registration that waits on it, each a rejection of its own,
        // some only after this one: collect them here rather than let them escape the evaluation.
        await settle().catch((later: unknown) => errors.push(later));
        await new Promise((r) => setImmediate(r));
    } finally {
        process.off("unhandledRejection", onRejection);
        Error.stackTraceLimit = stackTraceLimit;
    }
    if (errors.length > 0) {
        // Tests check that a rejected input created nothing: the error carries what was registered.
        throw Object.assign(errors[0] as object, { registeredResources: resources });
    }
    return { resources, outputs };
}

/** Waits for every outstanding registration and invoke (internal but stable SDK API). */
export async function settle(): Promise<void> {
    await (pulumi.runtime as any).waitForRPCs();
}

/** Resolves Outputs (nested in arrays and objects) to plain values. */
export async function resolve(value: unknown): Promise<unknown> {
    if (pulumi.Output.isInstance(value)) {
        return resolve(
            await new Promise((r) =>
                (value as pulumi.Output<unknown>).apply((v) => {
                    r(v);
                    return v;
                }),
            ),
        );
    }
    if (value instanceof Promise) {
        return resolve(await value);
    }
    if (Array.isArray(value)) {
        return Promise.all(value.map(resolve));
    }
    if (value && typeof value === "object" && !(value instanceof pulumi.Resource)) {
        const entries = await Promise.all(Object.entries(value).map(async ([k, v]) => [k, await resolve(v)] as const));
        return Object.fromEntries(entries);
    }
    return value;
}

/**
 * The config of `Pulumi.<stack>.yaml` as Pulumi hands it to a program: `project:key` → string,
 * lists and objects as JSON. Secure values cannot be decrypted offline and are left out.
 */
export function readStackConfigFile(stack: string, dir: string = REPO_ROOT): Record<string, string> {
    const file = path.join(dir, `Pulumi.${stack}.yaml`);
    if (!fs.existsSync(file)) {
        const known = listStacks(dir);
        throw new Error(`no stack config ${path.basename(file)}; this repository ships: ${known.join(", ") || "none"}`);
    }
    const doc = (parseYaml(fs.readFileSync(file, "utf8")) ?? {}) as { config?: Record<string, unknown> };
    const config: Record<string, string> = {};
    for (const [key, value] of Object.entries(doc.config ?? {})) {
        if (value && typeof value === "object" && "secure" in (value as object)) {
            continue;
        }
        const fullKey = key.includes(":") ? key : `${PROJECT}:${key}`;
        config[fullKey] = typeof value === "string" ? value : JSON.stringify(value);
    }
    return config;
}

/** The stacks whose config files this repository ships. */
export function listStacks(dir: string = REPO_ROOT): string[] {
    return fs
        .readdirSync(dir)
        .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
        .filter((s): s is string => s !== undefined)
        .sort();
}

// ---- mocks ----

/** The outputs AWS would compute for a resource of `type`: ids, ARNs, names, DNS names, endpoints. */
export function mockOutputs(
    type: string,
    name: string,
    inputs: Record<string, any>,
    region: string,
): { id: string; state: Record<string, any> } {
    const [pkg, module] = type.split(":");
    const service = pkg === "aws" ? module.split("/")[0] : pkg;
    const physicalName =
        inputs.name ??
        (inputs.namePrefix ? `${inputs.namePrefix}${hex(name).slice(0, 20)}` : `${name}-${hex(name).slice(0, 7)}`);
    const arn = `arn:aws:${service}:${region}:${ACCOUNT_ID}:${type.split(":")[2].toLowerCase()}/${physicalName}`;
    const state: Record<string, any> = { arn, name: physicalName };
    switch (type) {
        case "aws:lb/loadBalancer:LoadBalancer":
            state.arn = `arn:aws:elasticloadbalancing:${region}:${ACCOUNT_ID}:loadbalancer/app/${physicalName}/${hex(name).slice(0, 16)}`;
            state.arnSuffix = `app/${physicalName}/${hex(name).slice(0, 16)}`;
            state.dnsName = `${physicalName}-1234567890.${region}.elb.amazonaws.com`;
            state.zoneId = "Z35SXDOTRQ7X7K";
            break;
        case "aws:lb/targetGroup:TargetGroup":
            state.arn = `arn:aws:elasticloadbalancing:${region}:${ACCOUNT_ID}:targetgroup/${physicalName}/${hex(name).slice(0, 16)}`;
            state.arnSuffix = `targetgroup/${physicalName}/${hex(name).slice(0, 16)}`;
            break;
        case "aws:lb/listener:Listener":
            state.arn = `arn:aws:elasticloadbalancing:${region}:${ACCOUNT_ID}:listener/app/${name}/${hex(name).slice(0, 16)}`;
            break;
        case "aws:ec2/launchTemplate:LaunchTemplate":
            state.latestVersion = 1;
            state.defaultVersion = 1;
            break;
        case "aws:iam/role:Role":
            state.arn = `arn:aws:iam::${ACCOUNT_ID}:role/${physicalName}`;
            break;
        case "aws:iam/instanceProfile:InstanceProfile":
            state.arn = `arn:aws:iam::${ACCOUNT_ID}:instance-profile/${physicalName}`;
            break;
        case "aws:iam/policy:Policy":
            state.arn = `arn:aws:iam::${ACCOUNT_ID}:policy/${physicalName}`;
            break;
        case "aws:ec2/vpc:Vpc":
            state.defaultSecurityGroupId = `${name}-default-sg`;
            state.mainRouteTableId = `${name}-main-rt`;
            break;
        case "aws:rds/instance:Instance": {
            const identifier =
                inputs.identifier ??
                (inputs.identifierPrefix
                    ? `${inputs.identifierPrefix}${hex(name).slice(0, 8)}`
                    : `${name}-${hex(name).slice(0, 7)}`);
            state.identifier = identifier;
            state.address = `${identifier}.c0abcdefghij.${region}.rds.amazonaws.com`;
            state.port = inputs.port ?? 3306;
            state.endpoint = `${state.address}:${state.port}`;
            state.arn = `arn:aws:rds:${region}:${ACCOUNT_ID}:db:${identifier}`;
            state.resourceId = `db-${hex(name).slice(0, 26).toUpperCase()}`;
            break;
        }
        case "aws:secretsmanager/secret:Secret":
            state.arn = `arn:aws:secretsmanager:${region}:${ACCOUNT_ID}:secret:${physicalName}-AbCdEf`;
            break;
        case "aws:sns/topic:Topic":
            state.arn = `arn:aws:sns:${region}:${ACCOUNT_ID}:${physicalName}`;
            break;
        case "aws:lambda/function:Function":
            state.arn = `arn:aws:lambda:${region}:${ACCOUNT_ID}:function:${physicalName}`;
            state.invokeArn = `arn:aws:apigateway:${region}:lambda:path/2015-03-31/functions/${state.arn}/invocations`;
            break;
        case "aws:cloudwatch/logGroup:LogGroup":
            state.arn = `arn:aws:logs:${region}:${ACCOUNT_ID}:log-group:${physicalName}`;
            break;
        case "aws:s3/bucket:Bucket":
        case "aws:s3/bucketV2:BucketV2":
            state.bucket = inputs.bucket ?? physicalName;
            state.arn = `arn:aws:s3:::${state.bucket}`;
            state.bucketDomainName = `${state.bucket}.s3.amazonaws.com`;
            break;
        case "aws:s3/bucketObjectv2:BucketObjectv2":
            // A version id S3 would assign: fixed per object and content, as a re-upload is a new version.
            state.versionId = objectVersionId(name, String(inputs.contentBase64 ?? inputs.content ?? ""));
            break;
        case "tls:index/privateKey:PrivateKey":
            state.privateKeyPem = "-----BEGIN RSA PRIVATE KEY-----\nMOCK\n-----END RSA PRIVATE KEY-----\n";
            state.publicKeyPem = "-----BEGIN PUBLIC KEY-----\nMOCK\n-----END PUBLIC KEY-----\n";
            break;
        case "tls:index/selfSignedCert:SelfSignedCert":
            state.certPem = "-----BEGIN CERTIFICATE-----\nMOCK\n-----END CERTIFICATE-----\n";
            break;
        case "random:index/randomPassword:RandomPassword":
            state.result = `mock-${hex(name).slice(0, Math.max(8, (inputs.length ?? 16) - 5))}`;
            break;
        case "random:index/randomId:RandomId":
            state.hex = `${inputs.prefix ?? ""}${hex(name).slice(0, 2 * (inputs.byteLength ?? 4))}`;
            state.dec = String(parseInt(hex(name).slice(0, 8), 16));
            state.b64Url = Buffer.from(hex(name).slice(0, 2 * (inputs.byteLength ?? 4)), "hex").toString("base64url");
            state.b64Std = Buffer.from(hex(name).slice(0, 2 * (inputs.byteLength ?? 4)), "hex").toString("base64");
            break;
        case "aws:acm/certificate:Certificate":
            // A DNS-validated certificate (not an imported one) gets one CNAME per domain to create.
            if (inputs.domainName && !inputs.certificateBody) {
                state.domainValidationOptions = [inputs.domainName, ...(inputs.subjectAlternativeNames ?? [])].map(
                    (domain: string) => ({
                        domainName: domain,
                        resourceRecordName: `_${hex(domain).slice(0, 32)}.${domain}.`,
                        resourceRecordType: "CNAME",
                        resourceRecordValue: `_${hex(`${domain}#value`).slice(0, 32)}.mock.acm-validations.aws.`,
                    }),
                );
            }
            break;
        case "aws:route53/record:Record":
            state.fqdn = String(inputs.name ?? "").replace(/\.$/, "");
            break;
        case "aws:wafv2/webAcl:WebAcl":
            state.arn = `arn:aws:wafv2:${region}:${ACCOUNT_ID}:regional/webacl/${physicalName}/${hex(name).slice(0, 8)}-${hex(name).slice(8, 12)}-${hex(name).slice(12, 16)}`;
            state.capacity = 902;
            break;
        case "aws:cloudwatch/metricAlarm:MetricAlarm":
            state.arn = `arn:aws:cloudwatch:${region}:${ACCOUNT_ID}:alarm:${physicalName}`;
            break;
        case "aws:cloudwatch/dashboard:Dashboard":
            state.dashboardArn = `arn:aws:cloudwatch::${ACCOUNT_ID}:dashboard/${inputs.dashboardName}`;
            break;
    }
    // Ids are logical names, which keeps references readable in the plan; an S3 bucket's id is its name, as in AWS.
    return { id: type === "aws:s3/bucket:Bucket" || type === "aws:s3/bucketV2:BucketV2" ? state.bucket : name, state };
}

/** The invokes the program makes, answered as AWS would for account 123456789012. */
/** The mock region's AZs: `<region>a` to `<region>f`. */
const MOCK_AZ_LETTERS = ["a", "b", "c", "d", "e", "f"];

export function mockCall(token: string, inputs: Record<string, any>, region: string): Record<string, any> {
    switch (token) {
        case "aws:index/getAvailabilityZones:getAvailabilityZones": {
            const letters = MOCK_AZ_LETTERS;
            return {
                id: region,
                names: letters.map((l) => `${region}${l}`),
                zoneIds: letters.map((_, i) => `use1-az${i + 1}`),
                groupNames: [region],
                state: "available",
            };
        }
        // By default every AZ offers every instance type and DB class; tests refuse some with `calls`.
        case "aws:ec2/getInstanceTypeOfferings:getInstanceTypeOfferings": {
            const types: string[] =
                (inputs.filters ?? []).find((f: { name: string }) => f.name === "instance-type")?.values ?? [];
            const zones = MOCK_AZ_LETTERS.map((l) => `${region}${l}`);
            const locations = zones.flatMap((zone) => types.map(() => zone));
            return {
                id: region,
                locationType: inputs.locationType,
                filters: inputs.filters,
                instanceTypes: zones.flatMap(() => types),
                locations,
                locationTypes: locations.map(() => inputs.locationType ?? "region"),
                region,
            };
        }
        case "aws:rds/getOrderableDbInstance:getOrderableDbInstance":
            return {
                ...inputs,
                id: `${inputs.engine}-${inputs.instanceClass}`,
                instanceClass: inputs.instanceClass ?? inputs.preferredInstanceClasses?.[0],
                engineVersion: inputs.engineVersion ?? "8.4.6",
                availabilityZones: MOCK_AZ_LETTERS.map((l) => `${region}${l}`),
                multiAzCapable: true,
                readReplicaCapable: true,
                region,
            };
        // A public SSM parameter such as the latest Amazon Linux 2023 AMI: a fixed id per name.
        case "aws:ssm/getParameter:getParameter":
            return {
                id: inputs.name,
                name: inputs.name,
                arn: `arn:aws:ssm:${region}::parameter${inputs.name}`,
                type: "String",
                value: `ami-${crypto.createHash("sha256").update(String(inputs.name)).digest("hex").slice(0, 17)}`,
                insecureValue: "",
                version: 1,
                withDecryption: true,
                region,
            };
        case "aws:index/getRegion:getRegion":
            return { id: region, name: region, region, endpoint: `ec2.${region}.amazonaws.com`, description: region };
        case "aws:index/getPartition:getPartition":
            return { id: "aws", partition: "aws", dnsSuffix: "amazonaws.com", reverseDnsPrefix: "com.amazonaws" };
        case "aws:index/getCallerIdentity:getCallerIdentity":
            return {
                id: ACCOUNT_ID,
                accountId: ACCOUNT_ID,
                arn: `arn:aws:iam::${ACCOUNT_ID}:user/mock`,
                userId: "AIDAMOCK",
            };
        default:
            throw new Error(`offline evaluation has no mock for the invoke ${token}; add it to scripts/offline.ts`);
    }
}

function unwrapSecrets(value: any, at = "", paths: string[] = []): { inputs: any; secretPaths: string[] } {
    const walk = (v: any, p: string): any => {
        if (v && typeof v === "object" && v[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig) {
            paths.push(p);
            return walk(v.value, p);
        }
        // Assets and archives hold promises: keep them as the SDK made them.
        if (v instanceof Promise || pulumi.asset.Asset.isInstance(v) || pulumi.asset.Archive.isInstance(v)) {
            return v;
        }
        if (Array.isArray(v)) {
            return v.map((x, i) => walk(x, `${p}[${i}]`));
        }
        if (v && typeof v === "object") {
            return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, p ? `${p}.${k}` : k)]));
        }
        return v;
    };
    return { inputs: walk(value, at), secretPaths: paths };
}

/** The assets and archives among some inputs, by dotted path, each described by its contents. */
async function describeAssets(
    value: unknown,
    at = "",
    out: Record<string, string> = {},
): Promise<Record<string, string>> {
    const asset: boolean = pulumi.asset.Asset.isInstance(value) || pulumi.asset.Archive.isInstance(value);
    if (asset) {
        out[at] = await describeAsset(value as pulumi.asset.Asset | pulumi.asset.Archive);
    } else if (Array.isArray(value)) {
        for (const [i, v] of value.entries()) await describeAssets(v, at ? `${at}.${i}` : String(i), out);
    } else if (value && typeof value === "object" && !(value instanceof Promise)) {
        for (const [k, v] of Object.entries(value)) await describeAssets(v, at ? `${at}.${k}` : k, out);
    }
    return out;
}

const sha256 = (data: string | Buffer) => crypto.createHash("sha256").update(data).digest("hex").slice(0, 12);

async function describeAsset(a: pulumi.asset.Asset | pulumi.asset.Archive): Promise<string> {
    const x = a as unknown as Record<string, Promise<unknown> | undefined>;
    if (x.text !== undefined) {
        const text = String(await x.text);
        return `${Buffer.byteLength(text)} bytes, sha256 ${sha256(text)}`;
    }
    if (x.path !== undefined) {
        const file = String(await x.path);
        return fs.statSync(file).isFile()
            ? `file ${file}, sha256 ${sha256(fs.readFileSync(file))}`
            : `directory ${file}`;
    }
    if (x.uri !== undefined) return `remote ${String(await x.uri)}`;
    const assets = ((await x.assets) ?? {}) as Record<string, pulumi.asset.Asset | pulumi.asset.Archive>;
    const parts = await Promise.all(
        Object.keys(assets)
            .sort()
            .map(async (name) => `${name}: ${await describeAsset(assets[name])}`),
    );
    return `archive of ${parts.join("; ")}`;
}

function emptyOptions(): RegisteredOptions {
    return {
        protect: false,
        ignoreChanges: [],
        replaceOnChanges: [],
        deleteBeforeReplace: false,
        retainOnDelete: false,
        dependencies: [],
        aliases: [],
    };
}

/**
 * The mocks API does not show a resource's parent or options; the registration request does. Wraps
 * the mock monitor's registerResource to hand them to newResource (called synchronously inside it)
 * and to record the URN the monitor answers with.
 */
function recordRegistrations(
    monitor: any,
    announce: (r: { parentUrn?: string; options: RegisteredOptions }) => void,
    resources: RegisteredResource[],
): void {
    const registerResource = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req: any, callback: (err: unknown, response: any) => void) => {
        announce({
            parentUrn: req.getParent() || undefined,
            options: {
                protect: Boolean(req.getProtect()),
                ignoreChanges: req.getIgnorechangesList(),
                replaceOnChanges: req.getReplaceonchangesList(),
                deleteBeforeReplace: Boolean(req.getDeletebeforereplace()),
                retainOnDelete: Boolean(req.getRetainondelete()),
                dependencies: req.getDependenciesList(),
                aliases: aliasesOf(req),
            },
        });
        const index = resources.length;
        return registerResource(req, (err: unknown, response: any) => {
            if (!err && resources[index]) {
                resources[index].urn = response.getUrn();
            }
            callback(err, response);
        });
    };
}

/** The aliases of a registration request: URNs, or alias specs (name, type, parent, stack, project). */
function aliasesOf(req: any): Array<string | Record<string, unknown>> {
    const urns: string[] = req.getAliasurnsList?.() ?? [];
    const specs = (req.getAliasesList?.() ?? []).map((alias: any) => {
        const o = alias.toObject();
        return o.urn
            ? o.urn
            : Object.fromEntries(
                  Object.entries(o.spec ?? {}).filter(([, v]) => v !== undefined && v !== "" && v !== false),
              );
    });
    return [...urns, ...specs];
}

/**
 * An S3 object version id: hex() of the content's sha256, not of the content, which hex() would
 * walk character by character (the server bundle's ~0.3 MB of base64: a fifth of an evaluation).
 */
function objectVersionId(name: string, content: string): string {
    return hex(`${name}/${crypto.createHash("sha256").update(content).digest("hex")}`).slice(0, 32);
}

/** A stable pseudo-random hex string derived from a name (FNV-1a, repeated). */
function hex(seed: string): string {
    let out = "";
    let h = 0x811c9dc5;
    for (let round = 0; out.length < 32; round++) {
        for (const ch of `${seed}#${round}`) {
            h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
        }
        out += h.toString(16).padStart(8, "0");
    }
    return out;
}
