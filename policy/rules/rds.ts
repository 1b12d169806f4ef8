import * as aws from "@pulumi/aws";
import { ResourceValidationPolicy, validateResourceOfType } from "@pulumi/policy";

// ---------------------------------------------------------------------------------------------
// RDS. A replica (`replicateSourceDb` set) inherits encryption and backups from its source and
// may skip its final snapshot, so only the "every instance" rules apply to it.
// ---------------------------------------------------------------------------------------------

/** https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Overview.Encryption.html ("a read replica ... is encrypted with the same key as its source"). */
export const rdsEncrypted: ResourceValidationPolicy = {
    name: "rds-storage-encrypted",
    description: "RDS source instances set storageEncrypted: true (replicas inherit encryption from their source).",
    enforcementLevel: "mandatory",
    validateResource: validateResourceOfType(aws.rds.Instance, (db, _args, report) => {
        if (!db.replicateSourceDb && db.storageEncrypted !== true) {
            report(
                `storageEncrypted is ${JSON.stringify(db.storageEncrypted)}; set it to true (encryption cannot be added to an existing instance).`,
            );
        }
    }),
};

/** The database lives in isolated subnets and is reachable from the servers' group only. */
export const rdsNotPublic: ResourceValidationPolicy = {
    name: "rds-not-publicly-accessible",
    description: "No RDS instance (primary or replica) sets publiclyAccessible: true.",
    enforcementLevel: "mandatory",
    validateResource: validateResourceOfType(aws.rds.Instance, (db, _args, report) => {
        if (db.publiclyAccessible === true) {
            report(`publiclyAccessible is true; the database must only be reachable from the servers' security group.`);
        }
    }),
};

/**
 * Automated backups must be on for a source to have read replicas, and for point-in-time recovery.
 * https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ReadRepl.html
 */
export const rdsBackups: ResourceValidationPolicy = {
    name: "rds-backup-retention",
    description:
        "RDS source instances keep automated backups for at least 1 day (backupRetentionPeriod >= 1; required for replicas).",
    enforcementLevel: "mandatory",
    validateResource: validateResourceOfType(aws.rds.Instance, (db, _args, report) => {
        if (!db.replicateSourceDb && !(typeof db.backupRetentionPeriod === "number" && db.backupRetentionPeriod >= 1)) {
            report(
                `backupRetentionPeriod is ${JSON.stringify(db.backupRetentionPeriod)}; set it to at least 1 day (read replicas need automated backups on the source).`,
            );
        }
    }),
};

/**
 * A source instance keeps a final snapshot on delete; without `finalSnapshotIdentifier` (and with
 * `skipFinalSnapshot: false`) pulumi-aws cannot even destroy it (pulumi-aws issue 2196).
 * https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_DeleteInstance.html
 */
export const rdsFinalSnapshot: ResourceValidationPolicy = {
    name: "rds-final-snapshot",
    description:
        "RDS source instances take a final snapshot on delete (skipFinalSnapshot false, finalSnapshotIdentifier set); replicas may skip it.",
    enforcementLevel: "mandatory",
    validateResource: validateResourceOfType(aws.rds.Instance, (db, _args, report) => {
        if (db.replicateSourceDb) {
            return;
        }
        if (db.skipFinalSnapshot === true) {
            report(
                `skipFinalSnapshot is true on a source instance; deleting it would lose the data without a snapshot.`,
            );
        }
        if (!db.finalSnapshotIdentifier) {
            report(
                `finalSnapshotIdentifier is ${JSON.stringify(db.finalSnapshotIdentifier)}; set one so a delete keeps a final snapshot (and can succeed).`,
            );
        }
    }),
};
