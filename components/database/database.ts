import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { ServerPoolDatabase } from "../shared/contracts";
import { named, Tags } from "../shared/tags";
import type { DatabaseArgs } from "./args";
import { supportsPerformanceInsights } from "./instanceClasses";
import {
    CA_CERT_IDENTIFIER,
    CLOUDWATCH_LOG_EXPORTS,
    MYSQL_PARAMETERS,
    MYSQL_PORT,
    parameterGroupFamily,
    PASSWORD_LENGTH,
    PASSWORD_SPECIAL_CHARACTERS,
} from "./mysql";
import { replicaAvailabilityZone } from "./placement";
import { validateDatabaseArgs } from "./settings";

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
 *
 * @example
 * const db = new Database("shop-db", {
 *     vpcId: net.vpcId,
 *     subnetIds: net.isolatedSubnetIds,
 *     availabilityZones: net.availabilityZones,
 *     replicaCount: 2,
 *     multiAz: true,
 *     deletionProtection: true,
 * });
 * export const writer = db.writerEndpoint;
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
    // What allowClient needs later. Accessors, not fields: the multi-language schema lists every
    // field of a component, private ones too, as an output.
    private accessor resourceName: string;
    private accessor tags: Tags | undefined;

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
