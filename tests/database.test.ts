import * as pulumi from "@pulumi/pulumi";
import {
    CA_CERT_IDENTIFIER,
    Database,
    DatabaseArgs,
    dbAvailabilityZones,
    dbBackupRetentionDays,
    dbEngineVersion,
    dbInstanceClass,
    defaultMaxConnections,
    MYSQL_PARAMETERS,
    parameterGroupFamily,
    replicaAvailabilityZone,
    replicaCountValue,
    snapshotBaseName,
    supportsPerformanceInsights,
} from "../components/database";
import { resourcePolicies } from "../policy/policies";
import { runPolicies } from "../policy/testing";
import { evaluate, RegisteredResource } from "../scripts/offline";
import { expectRejectedBeforeCreate, ofType, only, policyView, T } from "./helpers";

const DB = {
    instance: "aws:rds/instance:Instance",
    subnetGroup: "aws:rds/subnetGroup:SubnetGroup",
    parameterGroup: "aws:rds/parameterGroup:ParameterGroup",
    secret: "aws:secretsmanager/secret:Secret",
    secretVersion: "aws:secretsmanager/secretVersion:SecretVersion",
    password: "random:index/randomPassword:RandomPassword",
    randomId: "random:index/randomId:RandomId",
    component: "ha-webstack:index:Database",
} as const;

const ZONES = ["us-east-1a", "us-east-1b", "us-east-1c"];
const base: DatabaseArgs = {
    vpcId: "vpc-1",
    subnetIds: ["subnet-iso-a", "subnet-iso-b", "subnet-iso-c"],
    availabilityZones: ZONES,
};
const build = (args: Partial<DatabaseArgs> = {}, opts?: pulumi.ComponentResourceOptions) =>
    evaluate(() => new Database("db", { ...base, ...args }, opts), { stack: "test" });
/** Evaluates and also resolves the component's public outputs. */
const buildWithOutputs = (args: Partial<DatabaseArgs> = {}) =>
    evaluate(
        () => {
            const db = new Database("db", { ...base, ...args });
            return {
                writer: db.writerEndpoint,
                readers: db.readerEndpoints,
                port: db.port,
                secretArn: db.secretArn,
                databaseName: db.databaseName,
                username: db.username,
                passwordIsSecret: pulumi.isSecret(db.password),
                connection: db.connection,
            };
        },
        { stack: "test" },
    );

/** The one resource of `type` named exactly `name`. */
const byName = (ev: { resources: RegisteredResource[] }, type: string, name: string) => {
    const found = ev.resources.filter((r) => r.type === type && r.name === name);
    expect(found.map((r) => r.name)).toEqual([name]);
    return found[0];
};
const primaryOf = (ev: { resources: RegisteredResource[] }) => only(ev as any, DB.instance, "-primary");
const replicasOf = (ev: { resources: RegisteredResource[] }) =>
    ofType(ev as any, DB.instance)
        .filter((r) => /-replica-\d+$/.test(r.name))
        .sort((a, b) => Number(a.name.split("-").pop()) - Number(b.name.split("-").pop()));

describe("Database", () => {
    it("should create an encrypted, private, backed-up MySQL 8.4 primary with a final snapshot", async () => {
        const ev = await build();
        const primary = primaryOf(ev);
        const subnetGroup = only(ev, DB.subnetGroup);
        const parameterGroup = byName(ev, DB.parameterGroup, "db-params");
        const snapshotId = only(ev, DB.randomId);
        expect(primary.inputs).toMatchObject({
            engine: "mysql",
            engineVersion: "8.4",
            autoMinorVersionUpgrade: true,
            instanceClass: "db.t4g.micro",
            dbName: "app",
            username: "admin",
            port: 3306,
            storageType: "gp3",
            allocatedStorage: 20,
            maxAllocatedStorage: 100,
            storageEncrypted: true,
            publiclyAccessible: false,
            multiAz: false,
            availabilityZone: "us-east-1a",
            backupRetentionPeriod: 7,
            copyTagsToSnapshot: true,
            skipFinalSnapshot: false,
            deletionProtection: false,
            enabledCloudwatchLogsExports: ["error", "slowquery"],
            // db.t4g.micro supports neither Performance Insights nor Database Insights.
            performanceInsightsEnabled: false,
            caCertIdentifier: CA_CERT_IDENTIFIER,
            applyImmediately: false,
            dbSubnetGroupName: subnetGroup.state.name,
            parameterGroupName: parameterGroup.state.name,
            vpcSecurityGroupIds: ["db-sg"],
        });
        expect(CA_CERT_IDENTIFIER).toBe("rds-ca-rsa2048-g1");
        // RDS refuses replicas of a source whose password it manages: the password is ours.
        expect(primary.inputs.manageMasterUserPassword).toBeUndefined();
        expect(primary.inputs.replicateSourceDb).toBeUndefined();
        // The final snapshot's name: the component's name plus the RandomId's hex, and valid for RDS.
        expect(snapshotId.inputs.byteLength).toBeGreaterThanOrEqual(4);
        expect(primary.inputs.finalSnapshotIdentifier).toBe(`db-final-${snapshotId.state.hex}`);
        expect(primary.inputs.finalSnapshotIdentifier).toMatch(/^[a-z](?!.*--)[a-z0-9-]*[a-z0-9]$/);
        // The AZ is a placement at creation: a later difference must never replace the database.
        expect(primary.options.ignoreChanges).toEqual(["availabilityZone"]);
        // The subnet group spans the isolated subnets.
        expect(subnetGroup.inputs.subnetIds).toEqual(base.subnetIds);
    });

    it("should draw a new final snapshot name when a change replaces the primary", async () => {
        const ev = await build({ databaseName: "shop", username: "shopadmin" });
        const keepers = only(ev, DB.randomId).inputs.keepers;
        expect(keepers).toEqual({ engine: "mysql", databaseName: "shop", username: "shopadmin" });
        expect(snapshotBaseName("My_Shop DB")).toBe("my-shop-db");
        expect(snapshotBaseName("1st")).toBe("db-1st");
    });

    it("should turn on Multi-AZ (without an explicit AZ), deletion protection and Performance Insights where supported", async () => {
        const ev = await build({
            multiAz: true,
            deletionProtection: true,
            instanceClass: "db.m7g.large",
            backupRetentionDays: 14,
        });
        const primary = primaryOf(ev);
        expect(primary.inputs).toMatchObject({
            multiAz: true,
            deletionProtection: true,
            instanceClass: "db.m7g.large",
            performanceInsightsEnabled: true,
            backupRetentionPeriod: 14,
        });
        // RDS refuses AvailabilityZone on a Multi-AZ instance.
        expect(primary.inputs.availabilityZone).toBeUndefined();
        // Replicas: the same class by default; no deletion protection (they hold no data of their own).
        expect(replicasOf(ev).map((r) => r.inputs)).toEqual([
            expect.objectContaining({
                instanceClass: "db.m7g.large",
                performanceInsightsEnabled: true,
                deletionProtection: false,
            }),
        ]);
    });

    it("should pin a full engine version with automatic minor upgrades off, and derive the parameter group family", async () => {
        const ev = await build({ engineVersion: "8.0.39", replicaInstanceClass: "db.t4g.small" });
        const primary = primaryOf(ev);
        expect(primary.inputs).toMatchObject({ engineVersion: "8.0.39", autoMinorVersionUpgrade: false });
        expect(ofType(ev, DB.parameterGroup).map((g) => g.inputs.family)).toEqual(["mysql8.0", "mysql8.0"]);
        expect(replicasOf(ev)[0].inputs).toMatchObject({
            instanceClass: "db.t4g.small",
            autoMinorVersionUpgrade: false,
        });
        expect(parameterGroupFamily("8.4")).toBe("mysql8.4");
        expect(parameterGroupFamily("8.4.7")).toBe("mysql8.4");
        expect(parameterGroupFamily("8.0")).toBe("mysql8.0");
    });

    it.each([0, 1, 3, 15])(
        "should create %i read replicas of the primary, none in the primary's AZ",
        async (replicaCount) => {
            const ev = await buildWithOutputs({ replicaCount });
            const primary = primaryOf(ev);
            const replicas = replicasOf(ev);
            const replicaParams = byName(ev, DB.parameterGroup, "db-replica-params");
            expect(replicas.map((r) => r.name)).toEqual([...Array(replicaCount).keys()].map((i) => `db-replica-${i}`));
            replicas.forEach((replica, i) => {
                expect(replica.inputs.replicateSourceDb).toBe(primary.state.identifier);
                expect(replica.inputs).toMatchObject({
                    instanceClass: "db.t4g.micro",
                    publiclyAccessible: false,
                    skipFinalSnapshot: true,
                    backupRetentionPeriod: 0,
                    parameterGroupName: replicaParams.state.name,
                    vpcSecurityGroupIds: ["db-sg"],
                    maxAllocatedStorage: 100,
                    caCertIdentifier: CA_CERT_IDENTIFIER,
                    enabledCloudwatchLogsExports: ["error", "slowquery"],
                });
                // Inherited from the source: setting them on a replica is refused or ignored.
                for (const key of [
                    "username",
                    "password",
                    "dbName",
                    "engine",
                    "engineVersion",
                    "allocatedStorage",
                    "finalSnapshotIdentifier",
                    "dbSubnetGroupName",
                    "manageMasterUserPassword",
                ]) {
                    expect([key, replica.inputs[key]]).toEqual([key, undefined]);
                }
                expect(replica.secretPaths).toEqual([]);
                expect(replica.inputs.availabilityZone).not.toBe(primary.inputs.availabilityZone);
                expect(replica.inputs.availabilityZone).toBe(ZONES[1 + (i % 2)]);
            });
            // The app reads from the replicas; with none, from the writer (readers empty).
            expect(ev.outputs.readers).toEqual(replicas.map((r) => r.state.address));
            if (replicaCount === 0) {
                expect(ev.outputs.readers).toEqual([]);
            }
            expect(ev.outputs.writer).toBe(primary.state.address);
            expect(ev.outputs.port).toBe(3306);
        },
    );

    it("should spread replicas over every AZ but the primary's", () => {
        expect([0, 1, 2, 3, 4].map((i) => replicaAvailabilityZone(ZONES, i))).toEqual([
            "us-east-1b",
            "us-east-1c",
            "us-east-1b",
            "us-east-1c",
            "us-east-1b",
        ]);
        expect([0, 1].map((i) => replicaAvailabilityZone(["us-east-1a", "us-east-1b"], i))).toEqual([
            "us-east-1b",
            "us-east-1b",
        ]);
    });

    it("should take the AZs as an Output, such as a Network's", async () => {
        const ev = await build({
            availabilityZones: pulumi.output(["us-west-2a", "us-west-2b", "us-west-2c"]),
            replicaCount: 2,
        });
        expect(primaryOf(ev).inputs.availabilityZone).toBe("us-west-2a");
        expect(replicasOf(ev).map((r) => r.inputs.availabilityZone)).toEqual(["us-west-2b", "us-west-2c"]);
    });

    it("should check the AZs against the subnets (an Output is checked by the same function when it resolves)", () => {
        expect(dbAvailabilityZones("Database args.availabilityZones", ZONES, 3)).toEqual(ZONES);
        expect(() => dbAvailabilityZones("Database args.availabilityZones", ["us-east-1a", "us-east-1b"], 3)).toThrow(
            'Database args.availabilityZones=["us-east-1a","us-east-1b"] is not valid: expected the AZ of each of the 3 subnetIds, in the same order',
        );
        expect(() => dbAvailabilityZones("Database args.availabilityZones", ["us-east-1a", "1b"], 2)).toThrow(
            "expected a list of 2 to 6 distinct AZ names",
        );
    });

    it("should give the primary and the replicas parameter groups with utf8mb4, the slow log and TLS required, leaving read_only to RDS", async () => {
        const ev = await build();
        const groups = ofType(ev, DB.parameterGroup);
        expect(groups.map((g) => g.name).sort()).toEqual(["db-params", "db-replica-params"]);
        for (const group of groups) {
            expect(group.inputs.family).toBe("mysql8.4");
            const params = Object.fromEntries(
                group.inputs.parameters.map((p: { name: string; value: string }) => [p.name, p.value]),
            );
            expect(params).toEqual({
                character_set_server: "utf8mb4",
                collation_server: "utf8mb4_0900_ai_ci",
                slow_query_log: "1",
                long_query_time: "1",
                log_output: "FILE",
                require_secure_transport: "1",
            });
            expect(group.inputs.parameters.every((p: { applyMethod: string }) => p.applyMethod === "immediate")).toBe(
                true,
            );
        }
        expect(MYSQL_PARAMETERS.map((p) => p.name)).not.toContain("read_only");
    });

    it("should generate a long password RDS accepts and keep it secret", async () => {
        const ev = await buildWithOutputs();
        const password = only(ev, DB.password);
        expect(password.inputs.length).toBeGreaterThanOrEqual(32);
        expect(password.inputs.length).toBeLessThanOrEqual(41); // RDS for MySQL: 8 to 41 characters
        expect(password.inputs.special).toBe(true);
        expect(password.inputs.overrideSpecial).not.toMatch(/[/"@ ']/);
        expect(password.inputs.overrideSpecial.length).toBeGreaterThan(0);
        const primary = primaryOf(ev);
        expect(primary.inputs.password).toBe(password.state.result);
        expect(primary.secretPaths).toContain("password");
        expect(ev.outputs.passwordIsSecret).toBe(true);
    });

    it("should store the credentials and the writer endpoint as JSON in Secrets Manager, as a secret", async () => {
        const ev = await buildWithOutputs();
        const secret = only(ev, DB.secret);
        const version = only(ev, DB.secretVersion);
        const primary = primaryOf(ev);
        expect(secret.inputs.recoveryWindowInDays).toBe(7);
        expect(version.inputs.secretId).toBe("db-secret");
        expect(version.secretPaths).toContain("secretString");
        expect(JSON.parse(version.inputs.secretString)).toEqual({
            username: "admin",
            password: only(ev, DB.password).state.result,
            host: primary.state.address,
            port: 3306,
            dbname: "app",
            engine: "mysql",
        });
        expect(ev.outputs.secretArn).toBe(secret.state.arn);
        expect(ev.outputs.connection).toEqual({
            writerHost: primary.state.address,
            readerHosts: replicasOf(ev).map((r) => r.state.address),
            port: 3306,
            secretArn: secret.state.arn,
            databaseName: "app",
        });
    });

    it("should admit only client security groups on 3306, and open each client's egress to the database only", async () => {
        const ev = await evaluate(
            () => {
                const db = new Database("db", { ...base, clientSecurityGroupIds: ["sg-web-a"] });
                db.allowClient("web-b", "sg-web-b");
            },
            { stack: "test" },
        );
        const sg = only(ev, T.sg);
        expect(sg.name).toBe("db-sg");
        expect(sg.inputs.vpcId).toBe("vpc-1");
        // No inline rules (and so no egress at all from the database's group).
        expect(sg.inputs.ingress).toBeUndefined();
        expect(sg.inputs.egress).toBeUndefined();
        const ingress = ofType(ev, T.ingress);
        const egress = ofType(ev, T.egress);
        expect(ingress.map((r) => [r.name, r.inputs])).toEqual([
            [
                "db-client-0-in",
                expect.objectContaining({
                    securityGroupId: "db-sg",
                    referencedSecurityGroupId: "sg-web-a",
                    ipProtocol: "tcp",
                    fromPort: 3306,
                    toPort: 3306,
                }),
            ],
            [
                "db-web-b-in",
                expect.objectContaining({
                    securityGroupId: "db-sg",
                    referencedSecurityGroupId: "sg-web-b",
                    ipProtocol: "tcp",
                    fromPort: 3306,
                    toPort: 3306,
                }),
            ],
        ]);
        expect(egress.map((r) => [r.name, r.inputs])).toEqual([
            [
                "db-client-0-out",
                expect.objectContaining({
                    securityGroupId: "sg-web-a",
                    referencedSecurityGroupId: "db-sg",
                    ipProtocol: "tcp",
                    fromPort: 3306,
                    toPort: 3306,
                }),
            ],
            [
                "db-web-b-out",
                expect.objectContaining({
                    securityGroupId: "sg-web-b",
                    referencedSecurityGroupId: "db-sg",
                    ipProtocol: "tcp",
                    fromPort: 3306,
                    toPort: 3306,
                }),
            ],
        ]);
        expect(
            [...ingress, ...egress].every((r) => r.inputs.cidrIpv4 === undefined && r.inputs.cidrIpv6 === undefined),
        ).toBe(true);
        expect(egress.some((r) => r.inputs.securityGroupId === "db-sg")).toBe(false);
        // The rules are the Database's children, even when added after construction.
        const component = only(ev, DB.component);
        expect([...ingress, ...egress].every((r) => r.parentUrn === component.urn)).toBe(true);
    });

    it("should put every resource under the component, with unique URNs and the user's tags", async () => {
        const ev = await build({ replicaCount: 2, tags: { Project: "shop" } });
        const component = only(ev, DB.component);
        const custom = ev.resources.filter((r) => r.custom);
        expect(custom.every((r) => r.parentUrn === component.urn)).toBe(true);
        const urns = ev.resources.map((r) => r.urn);
        expect(new Set(urns).size).toBe(urns.length);
        // Everything taggable (a SecretVersion has no tags).
        for (const r of custom.filter((r) => r.type.startsWith("aws:") && r.type !== DB.secretVersion)) {
            expect([r.name, r.inputs.tags?.Project]).toEqual([r.name, "shop"]);
        }
        expect(primaryOf(ev).inputs.tags).toEqual({ Project: "shop", Name: "db-primary" });
    });

    it("should pass the policy pack's resource policies (encryption, no public access, backups, final snapshot, firewall)", async () => {
        const ev = await evaluate(
            () =>
                new Database("db", {
                    ...base,
                    replicaCount: 3,
                    multiAz: true,
                    deletionProtection: true,
                    clientSecurityGroupIds: ["sg-web"],
                }),
            { stack: "test" },
        );
        const violations = runPolicies(policyView(ev), resourcePolicies);
        expect(violations).toEqual([]);
    });

    it("should estimate the default max_connections of a class from its memory", () => {
        expect(defaultMaxConnections("db.t4g.micro")).toBe(76);
        expect(defaultMaxConnections("db.m7g.large")).toBe(614);
        expect(defaultMaxConnections("db.r7g.large")).toBe(1228);
        expect(defaultMaxConnections("db.serverless")).toBeUndefined();
    });

    it("should pass protect down to every child (Pulumi children inherit it from the component)", async () => {
        const ev = await build({ replicaCount: 1 }, { protect: true });
        const custom = ev.resources.filter((r) => r.custom);
        expect(custom.length).toBeGreaterThan(5);
        expect(custom.filter((r) => !r.options.protect).map((r) => r.name)).toEqual([]);
        const unprotected = await build({ replicaCount: 1 });
        expect(unprotected.resources.filter((r) => r.options.protect).map((r) => r.name)).toEqual([]);
    });

    it.each([
        [
            { replicaCount: 16 },
            "Database args.replicaCount=16 is not valid: expected an integer from 0 to 15 (RDS for MySQL allows at most 15 read replicas per source)",
        ],
        [{ replicaCount: -1 }, "Database args.replicaCount=-1 is not valid: expected an integer from 0 to 15"],
        [{ replicaCount: "two" }, "Database args.replicaCount=two is not valid: expected an integer from 0 to 15"],
        [{ replicaCount: 1.5 }, "Database args.replicaCount=1.5 is not valid"],
        [
            { backupRetentionDays: 0 },
            "Database args.backupRetentionDays=0 is not valid: expected an integer from 1 to 35 days (0 turns automated backups off, and read replicas and point-in-time recovery need them)",
        ],
        [{ backupRetentionDays: 36 }, "Database args.backupRetentionDays=36 is not valid"],
        [
            { instanceClass: "t4g.micro" },
            "Database args.instanceClass=t4g.micro is not valid: expected an RDS instance class with the db. prefix, such as db.t4g.micro or db.m7g.large",
        ],
        [
            { replicaInstanceClass: "m7g.large" },
            "Database args.replicaInstanceClass=m7g.large is not valid: expected an RDS instance class",
        ],
        [
            { allocatedStorage: 10 },
            "Database args.allocatedStorage=10 is not valid: expected an integer number of GiB from 20 to 59578",
        ],
        [{ allocatedStorage: 70000 }, "Database args.allocatedStorage=70000 is not valid"],
        [
            { maxAllocatedStorage: 21 },
            "Database args.maxAllocatedStorage=21 is not valid: expected an integer number of GiB from 22 (10% above the allocated 20 GiB) to 65536",
        ],
        [
            { allocatedStorage: 200, maxAllocatedStorage: 100 },
            "Database args.maxAllocatedStorage=100 is not valid: expected an integer number of GiB from 220 (10% above the allocated 200 GiB) to 65536",
        ],
        [
            { engineVersion: "5.7" },
            "Database args.engineVersion=5.7 is not valid: expected MySQL 8.4 (the default, LTS) or 8.0, alone or with a minor version such as 8.4.7",
        ],
        [{ engineVersion: "8.1" }, "Database args.engineVersion=8.1 is not valid"],
        [{ engineVersion: "8.4.x" }, "Database args.engineVersion=8.4.x is not valid"],
        [{ multiAz: "yes" }, "Database args.multiAz=yes is not valid: expected true or false"],
        [{ deletionProtection: 1 }, "Database args.deletionProtection=1 is not valid: expected true or false"],
        [
            { databaseName: "1app" },
            "Database args.databaseName=1app is not valid: expected 1 to 64 letters, digits or underscores starting with a letter",
        ],
        [{ databaseName: "my-app" }, "Database args.databaseName=my-app is not valid"],
        [{ databaseName: "select" }, "Database args.databaseName=select is not valid"],
        [{ databaseName: "mysql" }, "Database args.databaseName=mysql is not valid"],
        [{ databaseName: "a".repeat(65) }, "Database args.databaseName=" + "a".repeat(65) + " is not valid"],
        [
            { username: "Group" },
            "Database args.username=Group is not valid: expected 1 to 16 letters, digits or underscores starting with a letter, not a MySQL reserved word",
        ],
        [{ username: "rdsadmin" }, "Database args.username=rdsadmin is not valid"],
        [{ username: "a_seventeen_chars" }, "Database args.username=a_seventeen_chars is not valid"],
        [
            { subnetIds: ["subnet-iso-a"] },
            'Database args.subnetIds=["subnet-iso-a"] is not valid: expected at least two isolated subnets, in different AZs',
        ],
        [
            { availabilityZones: ["us-east-1a", "us-east-1b"] },
            'Database args.availabilityZones=["us-east-1a","us-east-1b"] is not valid: expected the AZ of each of the 3 subnetIds, in the same order',
        ],
        [
            { availabilityZones: ["us-east-1a", "us-east-1a", "us-east-1b"] },
            'Database args.availabilityZones=["us-east-1a","us-east-1a","us-east-1b"] is not valid: expected a list of 2 to 6 distinct AZ names',
        ],
    ])("should reject %j before creating anything", async (args, message) => {
        await expectRejectedBeforeCreate(build(args as any), message);
    });
});

describe("Database validators, for the stack's config reader", () => {
    it("should accept config strings and name the config key when rejecting", () => {
        expect(replicaCountValue("ha-webstack:replicaCount", "3")).toBe(3);
        expect(replicaCountValue("ha-webstack:replicaCount", 0)).toBe(0);
        expect(() => replicaCountValue("ha-webstack:replicaCount", "two")).toThrow(
            "ha-webstack:replicaCount=two is not valid: expected an integer from 0 to 15 (RDS for MySQL allows at most 15 read replicas per source)",
        );
        expect(dbInstanceClass("ha-webstack:dbInstanceClass", "db.r7g.xlarge")).toBe("db.r7g.xlarge");
        expect(() => dbInstanceClass("ha-webstack:dbInstanceClass", "t4g.micro")).toThrow(
            "ha-webstack:dbInstanceClass=t4g.micro is not valid",
        );
        expect(dbEngineVersion("ha-webstack:dbEngineVersion", "8.0")).toBe("8.0");
        expect(() => dbEngineVersion("ha-webstack:dbEngineVersion", "5.7")).toThrow(
            "ha-webstack:dbEngineVersion=5.7 is not valid",
        );
        expect(dbBackupRetentionDays("ha-webstack:dbBackupRetentionDays", "35")).toBe(35);
        expect(() => dbBackupRetentionDays("ha-webstack:dbBackupRetentionDays", "0")).toThrow(
            "ha-webstack:dbBackupRetentionDays=0 is not valid",
        );
    });

    it("should know which classes support Performance Insights", () => {
        expect(["db.t4g.micro", "db.t4g.small", "db.t3.micro"].map(supportsPerformanceInsights)).toEqual([
            false,
            false,
            false,
        ]);
        expect(["db.t4g.medium", "db.m7g.large", "db.r7g.xlarge"].map(supportsPerformanceInsights)).toEqual([
            true,
            true,
            true,
        ]);
    });
});
