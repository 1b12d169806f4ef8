import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { availabilityZoneList } from "../network/network";
import type { ServerPoolDatabase } from "../serverPool/serverPool";
import { named, Tags } from "../shared/tags";
import { booleanValue, checkInput, invalid, ValidationError } from "../shared/validation";

/** MySQL's port; the security group rules and the app config use it. */
export const MYSQL_PORT = 3306;

/** RDS for MySQL allows up to 15 read replicas per source instance. */
export const MAX_REPLICAS = 15;

/**
 * The engine version used when none is given. RDS for MySQL 8.0 left RDS standard support on
 * 31 July 2026 (RDS Extended Support, which is charged, since); 8.4 is the current LTS release.
 */
export const DEFAULT_ENGINE_VERSION = "8.4";

/** The major versions accepted: 8.4 (LTS, default) and 8.0 (RDS Extended Support only, charged). */
export const ENGINE_MAJOR_VERSIONS = ["8.4", "8.0"] as const;

/** CA of the server certificates RDS presents (RSA 2048, the one most clients validate without fuss). */
export const CA_CERT_IDENTIFIER = "rds-ca-rsa2048-g1";

/** Log types exported to CloudWatch Logs (`/aws/rds/instance/<id>/error`, `.../slowquery`). */
export const CLOUDWATCH_LOG_EXPORTS = ["error", "slowquery"];

/**
 * Special characters of the generated master password. RDS refuses `/`, `"`, `@` and spaces in a
 * master password; `'` is left out too (it breaks naive shell quoting), as are `:`, `#`, `%`, `?`
 * and the brackets, so that the password also goes into a `mysql://user:password@host` URL as it is.
 */
export const PASSWORD_SPECIAL_CHARACTERS = "-_.~!*()+=";

/** Length of the generated master password (RDS for MySQL accepts 8 to 41 characters). */
export const PASSWORD_LENGTH = 40;

/** Instance classes that support neither Performance Insights nor Database Insights. */
const NO_PERFORMANCE_INSIGHTS = [
    "db.t2.micro",
    "db.t2.small",
    "db.t3.micro",
    "db.t3.small",
    "db.t4g.micro",
    "db.t4g.small",
];

/**
 * Server parameters of the primary and of the replicas. All are dynamic (no reboot needed).
 * `read_only` is deliberately absent: RDS sets it to `{TrueIfReplica}` in every MySQL group, which
 * keeps the replicas read-only and the primary writable (also after a replica is promoted).
 */
export const MYSQL_PARAMETERS: ReadonlyArray<{ name: string; value: string }> = [
    { name: "character_set_server", value: "utf8mb4" },
    { name: "collation_server", value: "utf8mb4_0900_ai_ci" },
    // Slow queries go to the slow log file, which RDS ships to CloudWatch Logs (`slowquery`).
    { name: "slow_query_log", value: "1" },
    { name: "long_query_time", value: "1" },
    { name: "log_output", value: "FILE" },
    // Refuse unencrypted connections: clients must use TLS (error 3159 otherwise).
    { name: "require_secure_transport", value: "1" },
];

export interface DatabaseArgs {
    /** The VPC of the database's security group. */
    vpcId: pulumi.Input<string>;
    /** Isolated subnets for the DB subnet group, in at least two AZs (RDS requires two). */
    subnetIds: pulumi.Input<string>[];
    /**
     * The AZ of each of `subnetIds`, in the same order (e.g. `network.availabilityZones`). The
     * primary goes to the first AZ (unless Multi-AZ: RDS then picks), replica `i` to AZ
     * `1 + (i mod (n - 1))`, so that no replica shares the single-AZ primary's AZ.
     */
    availabilityZones: pulumi.Input<string[]>;
    /**
     * Read replicas of the primary, 0 to 15. With 0, the app reads from the writer.
     * @default 1
     */
    replicaCount?: number;
    /**
     * RDS instance class of the primary (with the `db.` prefix).
     * @default "db.t4g.micro"
     */
    instanceClass?: pulumi.Input<string>;
    /**
     * Instance class of the replicas.
     * @default instanceClass
     */
    replicaInstanceClass?: pulumi.Input<string>;
    /**
     * Initial gp3 storage of the primary in GiB, 20 to 65536 (replicas inherit it).
     * @default 20
     */
    allocatedStorage?: number;
    /**
     * Storage autoscaling ceiling in GiB, for the primary and each replica. AWS requires it to be
     * at least 10% above `allocatedStorage`.
     * @default 100 (or 2 × allocatedStorage when that is more, at most 65536)
     */
    maxAllocatedStorage?: number;
    /**
     * MySQL engine version: `8.4` or `8.0`, or a full version such as `8.4.7`. A major version alone
     * keeps automatic minor version upgrades on; a full version pins it (automatic minor upgrades
     * off, or the next `pulumi up` would try to go back to the pinned version). 8.0 is past the end
     * of RDS standard support (31 July 2026): RDS runs it only under the charged Extended Support.
     * @default "8.4"
     */
    engineVersion?: string;
    /**
     * A standby of the primary in another AZ with synchronous replication and automatic failover
     * (typically 60-120 s, same endpoint). Doubles the primary's instance and storage price.
     * @default false
     */
    multiAz?: boolean;
    /**
     * Days of automated backups (point-in-time recovery), 1 to 35. 0 is refused: read replicas
     * need backups on their source, and so does point-in-time recovery.
     * @default 7
     */
    backupRetentionDays?: number;
    /**
     * Refuse to delete the primary until turned off (on in production). Replicas hold no data of
     * their own and are left deletable, so that `replicaCount` can go down.
     * @default false
     */
    deletionProtection?: boolean;
    /**
     * Performance Insights (CloudWatch Database Insights, standard mode: 7 days free) on every
     * instance whose class supports it; db.t2/t3/t4g micro and small do not, and get none.
     * @default true
     */
    performanceInsights?: boolean;
    /**
     * Name of the database created in the primary: 1 to 64 letters, digits or underscores,
     * starting with a letter, not a MySQL reserved word or system schema.
     * @default "app"
     */
    databaseName?: pulumi.Input<string>;
    /**
     * Master user name: 1 to 16 letters, digits or underscores, starting with a letter, not a
     * MySQL reserved word.
     * @default "admin"
     */
    username?: pulumi.Input<string>;
    /**
     * Security groups of the clients (e.g. each `ServerPool`'s group): each is admitted on 3306 and
     * given the matching egress rule (see {@link Database.allowClient}).
     * @default []
     */
    clientSecurityGroupIds?: pulumi.Input<string>[];
    /** Tags added to every resource (and copied to snapshots). */
    tags?: Tags;
}

/**
 * RDS for MySQL: a primary and `replicaCount` read replicas in isolated subnets, a password from
 * `@pulumi/random` kept in Secrets Manager, and a security group that admits only client groups.
 *
 * - Primary: encrypted gp3 storage with autoscaling, not public, automated backups (required for
 *   replicas), Multi-AZ and deletion protection from the args, its own parameter group (utf8mb4,
 *   slow log, TLS required), error and slow query logs exported to CloudWatch, and a final
 *   snapshot on delete whose name is unique per primary (a fixed name would collide the second
 *   time a stack is destroyed).
 * - Replicas: `replicateSourceDb` = the primary's identifier, in AZs other than the primary's,
 *   with their own parameter group (`read_only` stays RDS's `{TrueIfReplica}`), no final snapshot.
 * - Credentials: the master password is NOT managed by RDS (`manageMasterUserPassword`), because
 *   RDS refuses to create read replicas of a source whose password it manages; it is generated
 *   here, passed as a Pulumi secret, and stored in Secrets Manager as
 *   `{username, password, host, port, dbname, engine}` (the format of the Secrets Manager
 *   rotation functions for MySQL).
 *
 * Resource options given to the component reach its children: `{ protect: true }` protects every
 * child (Pulumi children inherit `protect` from their parent unless they set it), replicas too, so
 * lowering `replicaCount` then needs `pulumi state unprotect` on the replicas that go.
 */
export class Database extends pulumi.ComponentResource {
    public readonly primary: aws.rds.Instance;
    public readonly replicas: aws.rds.Instance[];
    public readonly securityGroup: aws.ec2.SecurityGroup;
    public readonly subnetGroup: aws.rds.SubnetGroup;
    public readonly parameterGroup: aws.rds.ParameterGroup;
    public readonly replicaParameterGroup: aws.rds.ParameterGroup;
    public readonly secret: aws.secretsmanager.Secret;
    public readonly secretVersion: aws.secretsmanager.SecretVersion;
    public readonly secretArn: pulumi.Output<string>;
    /** The writer (primary) endpoint's DNS name; it survives a Multi-AZ failover. */
    public readonly writerEndpoint: pulumi.Output<string>;
    /** The replicas' DNS names, in order; empty when `replicaCount` is 0 (read from the writer then). */
    public readonly readerEndpoints: pulumi.Output<string[]>;
    public readonly port: pulumi.Output<number>;
    public readonly databaseName: pulumi.Output<string>;
    public readonly username: pulumi.Output<string>;
    /** The master password, a Pulumi secret. */
    public readonly password: pulumi.Output<string>;
    /** The engine version asked for (`8.4`, `8.0` or a full version). */
    public readonly engineVersion: string;
    /** What a `ServerPool` needs to hand the app its endpoints and secret: `new ServerPool(..., { database: db.connection })`. */
    public readonly connection: ServerPoolDatabase;
    public readonly replicaCount: number;
    private readonly resourceName: string;
    private readonly tags?: Tags;

    constructor(name: string, args: DatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
        super("ha-webstack:index:Database", name, {}, opts);
        const settings = validateDatabaseArgs(args);
        const tags = args.tags;
        this.resourceName = name;
        this.tags = tags;
        this.replicaCount = settings.replicaCount;
        this.engineVersion = settings.engineVersion;
        const family = parameterGroupFamily(settings.engineVersion);
        const zones = pulumi.output(settings.availabilityZones);

        this.securityGroup = new aws.ec2.SecurityGroup(
            `${name}-sg`,
            // No inline rules (and no egress at all): clients are admitted one rule each by allowClient.
            {
                vpcId: args.vpcId,
                description: `MySQL of ${name}: 3306 from client security groups only`,
                tags: named(tags, `${name}-db`),
            },
            { parent: this },
        );
        this.subnetGroup = new aws.rds.SubnetGroup(
            `${name}-subnets`,
            {
                subnetIds: args.subnetIds,
                description: `Isolated subnets of ${name}`,
                tags: named(tags, `${name}-subnets`),
            },
            { parent: this },
        );
        const parameterGroup = (suffix: string, role: string) =>
            new aws.rds.ParameterGroup(
                `${name}-${suffix}`,
                {
                    family,
                    description: `MySQL ${role} of ${name}: utf8mb4, slow log, TLS required`,
                    parameters: MYSQL_PARAMETERS.map((p) => ({ ...p, applyMethod: "immediate" })),
                    tags: named(tags, `${name}-${suffix}`),
                },
                { parent: this },
            );
        this.parameterGroup = parameterGroup("params", "primary");
        this.replicaParameterGroup = parameterGroup("replica-params", "replicas");

        const password = new random.RandomPassword(
            `${name}-password`,
            {
                length: PASSWORD_LENGTH,
                special: true,
                overrideSpecial: PASSWORD_SPECIAL_CHARACTERS,
                minLower: 1,
                minUpper: 1,
                minNumeric: 1,
                minSpecial: 1,
            },
            { parent: this },
        );
        this.password = pulumi.secret(password.result);
        this.databaseName = pulumi.output(settings.databaseName);
        this.username = pulumi.output(settings.username);

        // The final snapshot's name must be unique in the account and region, yet stable across
        // updates: the component's name plus random hex, re-drawn whenever a change replaces the
        // primary (the keepers are the inputs that force a replacement), so that a replaced or
        // re-created primary never reuses the name of an earlier final snapshot.
        const snapshotSuffix = new random.RandomId(
            `${name}-final-snapshot-id`,
            {
                byteLength: 4,
                keepers: { engine: "mysql", databaseName: settings.databaseName, username: settings.username },
            },
            { parent: this },
        );
        const finalSnapshotIdentifier = pulumi.interpolate`${snapshotBaseName(name)}-final-${snapshotSuffix.hex}`;

        const instanceClass = settings.instanceClass;
        const performanceInsightsFor = (cls: pulumi.Input<string>) =>
            pulumi.output(cls).apply((c) => settings.performanceInsights && supportsPerformanceInsights(c));

        this.primary = new aws.rds.Instance(
            `${name}-primary`,
            {
                engine: "mysql",
                engineVersion: settings.engineVersion,
                // A pinned full version would otherwise be "downgraded" by the next update after RDS upgrades it.
                autoMinorVersionUpgrade: settings.autoMinorVersionUpgrade,
                instanceClass,
                dbName: settings.databaseName,
                username: settings.username,
                // Not manageMasterUserPassword: RDS refuses to create read replicas of a source whose
                // master password it manages in Secrets Manager. Passed as a secret: encrypted in state.
                password: this.password,
                port: MYSQL_PORT,
                dbSubnetGroupName: this.subnetGroup.name,
                vpcSecurityGroupIds: [this.securityGroup.id],
                parameterGroupName: this.parameterGroup.name,
                publiclyAccessible: false,
                storageType: "gp3",
                allocatedStorage: settings.allocatedStorage,
                maxAllocatedStorage: settings.maxAllocatedStorage,
                storageEncrypted: true,
                multiAz: settings.multiAz,
                // RDS refuses an explicit AZ for a Multi-AZ instance; single-AZ, the primary takes the
                // first AZ so that the replicas can be put elsewhere.
                availabilityZone: settings.multiAz ? undefined : zones.apply((z) => z[0]),
                backupRetentionPeriod: settings.backupRetentionDays,
                copyTagsToSnapshot: true,
                skipFinalSnapshot: false,
                finalSnapshotIdentifier,
                deletionProtection: settings.deletionProtection,
                enabledCloudwatchLogsExports: CLOUDWATCH_LOG_EXPORTS,
                performanceInsightsEnabled: performanceInsightsFor(instanceClass),
                caCertIdentifier: CA_CERT_IDENTIFIER,
                // Changes wait for the maintenance window (a class change restarts MySQL).
                applyImmediately: false,
                tags: named(tags, `${name}-primary`),
            },
            // The AZ is a placement at creation: after a Multi-AZ failover (or turning Multi-AZ off)
            // the primary may live elsewhere, and a changed AZ must never replace the database.
            { parent: this, ignoreChanges: ["availabilityZone"] },
        );

        this.replicas = [...Array(settings.replicaCount).keys()].map(
            (i) =>
                new aws.rds.Instance(
                    `${name}-replica-${i}`,
                    {
                        // Same-region replica: the source's identifier (an ARN only cross-region or with
                        // dbSubnetGroupName). No username, password, dbName, engine, engineVersion,
                        // allocatedStorage, storageType or storageEncrypted: all come from the source, as
                        // does the subnet group. Encrypted because the source is.
                        replicateSourceDb: this.primary.identifier,
                        instanceClass: settings.replicaInstanceClass,
                        availabilityZone: zones.apply((z) => replicaAvailabilityZone(z, i)),
                        // Without it a replica gets the VPC's default security group.
                        vpcSecurityGroupIds: [this.securityGroup.id],
                        // Same region: RDS applies the source's group at creation; the provider then
                        // switches to this one (and reboots the replica once).
                        parameterGroupName: this.replicaParameterGroup.name,
                        publiclyAccessible: false,
                        maxAllocatedStorage: settings.maxAllocatedStorage,
                        autoMinorVersionUpgrade: settings.autoMinorVersionUpgrade,
                        // A replica needs no backups of its own; the primary keeps them.
                        backupRetentionPeriod: 0,
                        copyTagsToSnapshot: true,
                        // A replica has no data of its own: no final snapshot (and none may be named).
                        skipFinalSnapshot: true,
                        deletionProtection: false,
                        enabledCloudwatchLogsExports: CLOUDWATCH_LOG_EXPORTS,
                        performanceInsightsEnabled: performanceInsightsFor(settings.replicaInstanceClass),
                        caCertIdentifier: CA_CERT_IDENTIFIER,
                        applyImmediately: false,
                        tags: named(tags, `${name}-replica-${i}`),
                    },
                    { parent: this },
                ),
        );

        this.writerEndpoint = this.primary.address;
        this.port = this.primary.port;
        this.readerEndpoints =
            this.replicas.length === 0
                ? pulumi.output([] as string[])
                : pulumi.all(this.replicas.map((r) => r.address));

        this.secret = new aws.secretsmanager.Secret(
            `${name}-secret`,
            {
                description: `MySQL master credentials of ${name} (writer endpoint included)`,
                // Deleted secrets can be restored for 7 days (the minimum besides 0: no recovery).
                recoveryWindowInDays: 7,
                tags: named(tags, `${name}-secret`),
            },
            { parent: this },
        );
        this.secretVersion = new aws.secretsmanager.SecretVersion(
            `${name}-secret-version`,
            {
                secretId: this.secret.id,
                secretString: pulumi.secret(
                    pulumi
                        .all([this.username, this.password, this.writerEndpoint, this.port, this.databaseName])
                        .apply(([username, pw, host, port, dbname]) =>
                            JSON.stringify({ username, password: pw, host, port, dbname, engine: "mysql" }),
                        ),
                ),
            },
            { parent: this },
        );
        this.secretArn = this.secret.arn;

        this.connection = {
            writerHost: this.writerEndpoint,
            readerHosts: this.readerEndpoints,
            port: this.port,
            secretArn: this.secretArn,
            databaseName: this.databaseName,
        };

        (args.clientSecurityGroupIds ?? []).forEach((groupId, i) => this.allowClient(`client-${i}`, groupId));

        this.registerOutputs({
            writerEndpoint: this.writerEndpoint,
            readerEndpoints: this.readerEndpoints,
            port: this.port,
            secretArn: this.secretArn,
            securityGroupId: this.securityGroup.id,
        });
    }

    /**
     * Lets the members of `clientSecurityGroupId` reach MySQL: an ingress rule on the database's
     * group (3306 from that group only) and the matching egress rule on the client's group (3306 to
     * the database's group only), both children of this component. `name` tells the rules apart
     * (e.g. the server pool's name); call once per client group.
     */
    public allowClient(name: string, clientSecurityGroupId: pulumi.Input<string>): void {
        const base = `${this.resourceName}-${name}`;
        new aws.vpc.SecurityGroupIngressRule(
            `${base}-in`,
            {
                securityGroupId: this.securityGroup.id,
                referencedSecurityGroupId: clientSecurityGroupId,
                ipProtocol: "tcp",
                fromPort: MYSQL_PORT,
                toPort: MYSQL_PORT,
                description: `MySQL from ${name}`,
                tags: named(this.tags, `${base}-in`),
            },
            { parent: this },
        );
        new aws.vpc.SecurityGroupEgressRule(
            `${base}-out`,
            {
                securityGroupId: clientSecurityGroupId,
                referencedSecurityGroupId: this.securityGroup.id,
                ipProtocol: "tcp",
                fromPort: MYSQL_PORT,
                toPort: MYSQL_PORT,
                description: `${name} to the MySQL of ${this.resourceName}`,
                tags: named(this.tags, `${base}-out`),
            },
            { parent: this },
        );
    }
}

export interface DatabaseSettings {
    replicaCount: number;
    instanceClass: pulumi.Input<string>;
    replicaInstanceClass: pulumi.Input<string>;
    allocatedStorage: number;
    maxAllocatedStorage: number;
    engineVersion: string;
    autoMinorVersionUpgrade: boolean;
    multiAz: boolean;
    backupRetentionDays: number;
    deletionProtection: boolean;
    performanceInsights: boolean;
    databaseName: pulumi.Input<string>;
    username: pulumi.Input<string>;
    availabilityZones: pulumi.Input<string[]>;
}

/** Checks the args and fills in the defaults; throws a {@link ValidationError} naming the argument. */
export function validateDatabaseArgs(args: DatabaseArgs, label = "Database args"): DatabaseSettings {
    if (!Array.isArray(args.subnetIds) || args.subnetIds.length < 2) {
        throw invalid(
            `${label}.subnetIds`,
            args.subnetIds,
            "at least two isolated subnets, in different AZs (an RDS subnet group needs two AZs)",
        );
    }
    const subnetCount = args.subnetIds.length;
    // Checked now when given as a list; as an Output (e.g. a Network's), when it resolves.
    const availabilityZones = checkInput(args.availabilityZones, (zones) =>
        dbAvailabilityZones(`${label}.availabilityZones`, zones, subnetCount),
    );
    const replicaCount = replicaCountValue(`${label}.replicaCount`, args.replicaCount ?? 1);
    const instanceClass = checkInput(args.instanceClass ?? "db.t4g.micro", (c) =>
        dbInstanceClass(`${label}.instanceClass`, c),
    );
    const replicaInstanceClass =
        args.replicaInstanceClass === undefined
            ? instanceClass
            : checkInput(args.replicaInstanceClass, (c) => dbInstanceClass(`${label}.replicaInstanceClass`, c));
    const allocatedStorage = dbAllocatedStorage(`${label}.allocatedStorage`, args.allocatedStorage ?? 20);
    const maxAllocatedStorage = dbMaxAllocatedStorage(
        `${label}.maxAllocatedStorage`,
        args.maxAllocatedStorage ?? defaultMaxAllocatedStorage(allocatedStorage),
        allocatedStorage,
    );
    const engineVersion = dbEngineVersion(`${label}.engineVersion`, args.engineVersion ?? DEFAULT_ENGINE_VERSION);
    return {
        replicaCount,
        instanceClass,
        replicaInstanceClass,
        allocatedStorage,
        maxAllocatedStorage,
        engineVersion,
        autoMinorVersionUpgrade: (ENGINE_MAJOR_VERSIONS as readonly string[]).includes(engineVersion),
        multiAz: booleanValue(`${label}.multiAz`, args.multiAz ?? false),
        backupRetentionDays: dbBackupRetentionDays(`${label}.backupRetentionDays`, args.backupRetentionDays ?? 7),
        deletionProtection: booleanValue(`${label}.deletionProtection`, args.deletionProtection ?? false),
        performanceInsights: booleanValue(`${label}.performanceInsights`, args.performanceInsights ?? true),
        databaseName: checkInput(args.databaseName ?? "app", (n) => mysqlDatabaseName(`${label}.databaseName`, n)),
        username: checkInput(args.username ?? "admin", (u) => mysqlUsername(`${label}.username`, u)),
        availabilityZones,
    };
}

// ---- validators, exported for the stack's config reader (labels like `ha-webstack:replicaCount`) ----

/** An integer given as a number or as the decimal string a config file holds; NaN otherwise. */
function integerOf(value: unknown): number {
    return typeof value === "number"
        ? value
        : typeof value === "string" && /^-?\d+$/.test(value.trim())
          ? Number(value)
          : NaN;
}

/** The AZ of each of `subnetCount` subnets: 2 to 6 distinct AZ names, one per subnet. */
export function dbAvailabilityZones(key: string, zones: unknown, subnetCount: number): string[] {
    const list = availabilityZoneList(key, zones);
    if (list.length !== subnetCount) {
        throw invalid(key, zones, `the AZ of each of the ${subnetCount} subnetIds, in the same order`);
    }
    return list;
}

/** Read replicas: an integer from 0 to 15. */
export function replicaCountValue(key: string, value: unknown): number {
    const n = integerOf(value);
    if (!Number.isInteger(n) || n < 0 || n > MAX_REPLICAS) {
        throw invalid(
            key,
            value,
            `an integer from 0 to ${MAX_REPLICAS} (RDS for MySQL allows at most ${MAX_REPLICAS} read replicas per source)`,
        );
    }
    return n;
}

/** An RDS instance class such as db.t4g.micro or db.m7g.large: the `db.` prefix is required. */
export function dbInstanceClass(key: string, value: unknown): string {
    if (typeof value !== "string" || !/^db\.[a-z][a-z0-9-]*\.[a-z0-9-]+$/.test(value)) {
        throw invalid(key, value, "an RDS instance class with the db. prefix, such as db.t4g.micro or db.m7g.large");
    }
    return value;
}

/** Allocated gp3 storage in GiB: 20 to 65536 for RDS for MySQL. */
/** Memory (GiB) of the common RDS classes by size; the R family has twice the M family's, X four times. */
const SIZE_MEMORY_GIB: Record<string, number> = {
    micro: 1,
    small: 2,
    medium: 4,
    large: 8,
    xlarge: 16,
    "2xlarge": 32,
    "4xlarge": 64,
    "8xlarge": 128,
    "12xlarge": 192,
    "16xlarge": 256,
    "24xlarge": 384,
};

/**
 * RDS for MySQL's default `max_connections` for an instance class, `{DBInstanceClassMemory/12582880}`
 * (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/CHAP_Limits.html#RDS_Limits.MaxConnections),
 * from the class's memory; undefined for a class this table does not know.
 */
export function defaultMaxConnections(instanceClass: string): number | undefined {
    const m = /^db\.([a-z])\d+[a-z]*\.([0-9]*x?[a-z]+)$/.exec(instanceClass);
    const base = m ? SIZE_MEMORY_GIB[m[2]] : undefined;
    if (!m || base === undefined) {
        return undefined;
    }
    const memoryGiB = base * (m[1] === "r" ? 2 : m[1] === "x" ? 4 : 1);
    // DBInstanceClassMemory is the class's memory less what the OS and RDS keep (about 10 %).
    return Math.floor((memoryGiB * 0.9 * 1024 ** 3) / 12582880);
}

/** The largest allocation that leaves storage autoscaling its 10% headroom under 65536 GiB. */
export const MAX_ALLOCATED_STORAGE = Math.floor(65536 / 1.1);

export function dbAllocatedStorage(key: string, value: unknown): number {
    const n = integerOf(value);
    // Storage autoscaling needs a ceiling 10% above the allocation, and RDS stops at 65536 GiB.
    if (!Number.isInteger(n) || n < 20 || n > MAX_ALLOCATED_STORAGE) {
        throw invalid(
            key,
            value,
            `an integer number of GiB from 20 to ${MAX_ALLOCATED_STORAGE} (storage autoscaling needs 10% headroom below RDS's 65536)`,
        );
    }
    return n;
}

/** The autoscaling ceiling: AWS wants it at least 10% above the allocated storage, at most 65536 GiB. */
export function dbMaxAllocatedStorage(key: string, value: unknown, allocatedStorage: number): number {
    const min = Math.ceil((allocatedStorage * 11) / 10);
    const n = integerOf(value);
    if (min > 65536) {
        throw invalid(
            key,
            value,
            `a ceiling at least 10% above the allocated ${allocatedStorage} GiB, which the 65536 GiB maximum leaves no room for: allocate at most 59578 GiB`,
        );
    }
    if (!Number.isInteger(n) || n < min || n > 65536) {
        throw invalid(
            key,
            value,
            `an integer number of GiB from ${min} (10% above the allocated ${allocatedStorage} GiB) to 65536`,
        );
    }
    return n;
}

function defaultMaxAllocatedStorage(allocatedStorage: number): number {
    return Math.min(65536, Math.max(100, allocatedStorage * 2));
}

/** A MySQL engine version RDS supports here: 8.4 or 8.0, alone or with a minor version (8.4.7). */
export function dbEngineVersion(key: string, value: unknown): string {
    if (typeof value !== "string" || !/^8\.[04](\.\d{1,3})?$/.test(value)) {
        throw invalid(key, value, "MySQL 8.4 (the default, LTS) or 8.0, alone or with a minor version such as 8.4.7");
    }
    return value;
}

/** Days of automated backups: 1 to 35 (0 would turn them off). */
export function dbBackupRetentionDays(key: string, value: unknown): number {
    const n = integerOf(value);
    if (!Number.isInteger(n) || n < 1 || n > 35) {
        throw invalid(
            key,
            value,
            "an integer from 1 to 35 days (0 turns automated backups off, and read replicas and point-in-time recovery need them)",
        );
    }
    return n;
}

/** The name of the database RDS creates: 1-64 letters, digits, underscores, a letter first, not reserved. */
export function mysqlDatabaseName(key: string, value: unknown): string {
    const expected =
        "1 to 64 letters, digits or underscores starting with a letter, not a MySQL reserved word or system schema";
    if (
        typeof value !== "string" ||
        !/^[A-Za-z][A-Za-z0-9_]{0,63}$/.test(value) ||
        isReservedWord(value) ||
        SYSTEM_SCHEMAS.includes(value.toLowerCase())
    ) {
        throw invalid(key, value, expected);
    }
    return value;
}

/** The master user name: 1-16 letters, digits, underscores, a letter first, not reserved. */
export function mysqlUsername(key: string, value: unknown): string {
    const expected = "1 to 16 letters, digits or underscores starting with a letter, not a MySQL reserved word";
    if (
        typeof value !== "string" ||
        !/^[A-Za-z][A-Za-z0-9_]{0,15}$/.test(value) ||
        isReservedWord(value) ||
        RDS_RESERVED_USERS.includes(value.toLowerCase())
    ) {
        throw invalid(key, value, expected);
    }
    return value;
}

// ---- pure helpers (exported for tests) ----

/** The DB parameter group family of an engine version: `mysql8.0` or `mysql8.4`. */
export function parameterGroupFamily(engineVersion: string): string {
    const major = /^(\d+\.\d+)/.exec(engineVersion)?.[1];
    if (!major || !(ENGINE_MAJOR_VERSIONS as readonly string[]).includes(major)) {
        throw new ValidationError(`no MySQL parameter group family for engine version ${engineVersion}`);
    }
    return `mysql${major}`;
}

/** Replica `i`'s AZ: `zones[1 + (i mod (n - 1))]`, never `zones[0]` (the single-AZ primary's). */
export function replicaAvailabilityZone(zones: string[], i: number): string {
    if (zones.length < 2) {
        throw new ValidationError(`replicas need at least two AZs, got ${JSON.stringify(zones)}`);
    }
    return zones[1 + (i % (zones.length - 1))];
}

/** Whether Performance Insights / Database Insights runs on an instance class (not on micro and small T classes). */
export function supportsPerformanceInsights(instanceClass: string): boolean {
    return !NO_PERFORMANCE_INSIGHTS.includes(instanceClass);
}

/** A snapshot identifier prefix from a resource name: a letter first, then letters, digits, single hyphens. */
export function snapshotBaseName(name: string): string {
    const cleaned = name
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, "-")
        .replace(/^-+|-+$/g, "")
        .slice(0, 200)
        .replace(/-+$/, "");
    return /^[a-z]/.test(cleaned) ? cleaned : `db-${cleaned}`.replace(/-+$/, "");
}

/** System schemas that cannot be the application database. */
const SYSTEM_SCHEMAS = ["mysql", "sys", "information_schema", "performance_schema"];

/** Users RDS for MySQL keeps for itself. */
const RDS_RESERVED_USERS = ["rdsadmin", "rdsrepladmin", "rdstopmgr", "rdsproxyadmin"];

/** Reserved words of MySQL 8.0 and 8.4 (the (R) entries of the MySQL keyword reference), upper case. */
export const MYSQL_RESERVED_WORDS: ReadonlySet<string> = new Set(
    (
        "ACCESSIBLE ADD ALL ALTER ANALYZE AND AS ASC ASENSITIVE BEFORE BETWEEN BIGINT BINARY BLOB BOTH BY CALL CASCADE " +
        "CASE CHANGE CHAR CHARACTER CHECK COLLATE COLUMN CONDITION CONSTRAINT CONTINUE CONVERT CREATE CROSS CUBE CUME_DIST " +
        "CURRENT_DATE CURRENT_TIME CURRENT_TIMESTAMP CURRENT_USER CURSOR DATABASE DATABASES DAY_HOUR DAY_MICROSECOND " +
        "DAY_MINUTE DAY_SECOND DEC DECIMAL DECLARE DEFAULT DELAYED DELETE DENSE_RANK DESC DESCRIBE DETERMINISTIC DISTINCT " +
        "DISTINCTROW DIV DOUBLE DROP DUAL EACH ELSE ELSEIF EMPTY ENCLOSED ESCAPED EXCEPT EXISTS EXIT EXPLAIN FALSE FETCH " +
        "FIRST_VALUE FLOAT FLOAT4 FLOAT8 FOR FORCE FOREIGN FROM FULLTEXT FUNCTION GENERATED GET GRANT GROUP GROUPING GROUPS " +
        "HAVING HIGH_PRIORITY HOUR_MICROSECOND HOUR_MINUTE HOUR_SECOND IF IGNORE IN INDEX INFILE INNER INOUT INSENSITIVE " +
        "INSERT INT INT1 INT2 INT3 INT4 INT8 INTEGER INTERSECT INTERVAL INTO IO_AFTER_GTIDS IO_BEFORE_GTIDS IS ITERATE JOIN " +
        "JSON_TABLE KEY KEYS KILL LAG LAST_VALUE LATERAL LEAD LEADING LEAVE LEFT LIKE LIMIT LINEAR LINES LOAD LOCALTIME " +
        "LOCALTIMESTAMP LOCK LONG LONGBLOB LONGTEXT LOOP LOW_PRIORITY MANUAL MASTER_BIND MASTER_SSL_VERIFY_SERVER_CERT MATCH " +
        "MAXVALUE MEDIUMBLOB MEDIUMINT MEDIUMTEXT MIDDLEINT MINUTE_MICROSECOND MINUTE_SECOND MOD MODIFIES NATURAL NOT " +
        "NO_WRITE_TO_BINLOG NTH_VALUE NTILE NULL NUMERIC OF ON OPTIMIZE OPTIMIZER_COSTS OPTION OPTIONALLY OR ORDER OUT OUTER " +
        "OUTFILE OVER PARALLEL PARTITION PERCENT_RANK PRECISION PRIMARY PROCEDURE PURGE QUALIFY RANGE RANK READ READS " +
        "READ_WRITE REAL RECURSIVE REFERENCES REGEXP RELEASE RENAME REPEAT REPLACE REQUIRE RESIGNAL RESTRICT RETURN REVOKE " +
        "RIGHT RLIKE ROW ROWS ROW_NUMBER SCHEMA SCHEMAS SECOND_MICROSECOND SELECT SENSITIVE SEPARATOR SET SHOW SIGNAL " +
        "SMALLINT SPATIAL SPECIFIC SQL SQLEXCEPTION SQLSTATE SQLWARNING SQL_BIG_RESULT SQL_CALC_FOUND_ROWS SQL_SMALL_RESULT " +
        "SSL STARTING STORED STRAIGHT_JOIN SYSTEM TABLE TABLESAMPLE TERMINATED THEN TINYBLOB TINYINT TINYTEXT TO TRAILING " +
        "TRIGGER TRUE UNDO UNION UNIQUE UNLOCK UNSIGNED UPDATE USAGE USE USING UTC_DATE UTC_TIME UTC_TIMESTAMP VALUES " +
        "VARBINARY VARCHAR VARCHARACTER VARYING VIRTUAL WHEN WHERE WHILE WINDOW WITH WRITE XOR YEAR_MONTH ZEROFILL"
    ).split(" "),
);

function isReservedWord(word: string): boolean {
    return MYSQL_RESERVED_WORDS.has(word.toUpperCase());
}
