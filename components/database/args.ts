/** The arguments of `Database`. */
import * as pulumi from "@pulumi/pulumi";
import type { Tags } from "../shared/tags";

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
     * given the matching egress rule (see `Database.allowClient`).
     * @default []
     */
    clientSecurityGroupIds?: pulumi.Input<string>[];
    /**
     * Tags added to every resource (and copied to snapshots).
     * @default none
     */
    tags?: Tags;
}
