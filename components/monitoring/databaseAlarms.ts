/** The database's alarms: the primary's CPU, free storage and connections, lag and stopped replication per replica. */
import { AlarmDefinition, critical, sustained } from "./alarmKit";
import { NAMESPACES, PERIOD } from "./metrics";
import type { MonitoringSettings } from "./settings";

const primary = (s: MonitoringSettings) => ({ DBInstanceIdentifier: s.database!.primaryIdentifier });

/** The primary's free-storage floor in bytes: a share of its allocation when known, else a fixed size. */
export function freeStorageThreshold(s: MonitoringSettings): number {
    const gb = s.database?.allocatedStorageGb;
    return gb !== undefined
        ? Math.floor((gb * 1024 ** 3 * s.thresholds.freeStoragePercent) / 100)
        : s.thresholds.freeStorageBytes;
}

export const DATABASE_ALARMS = {
    dbPrimaryCpuHigh: {
        tier: "database",
        build: (s) =>
            s.database
                ? [
                      {
                          key: "db-primary-cpu-high",
                          meaning: `The database primary's CPU is above ${s.thresholds.databaseCpuPercent}%.`,
                          runbook:
                              "RDS console > Performance Insights / slow query log (CloudWatch log exports) for the expensive queries; send reads to the replicas; a larger instance class.",
                          metric: {
                              namespace: NAMESPACES.rds,
                              metricName: "CPUUtilization",
                              dimensions: primary(s),
                              stat: "Average",
                              period: PERIOD,
                              label: "primary CPU",
                          },
                          comparisonOperator: "GreaterThanThreshold",
                          threshold: s.thresholds.databaseCpuPercent,
                          ...sustained(s),
                          treatMissingData: "missing",
                      },
                  ]
                : [],
    },
    dbPrimaryLowFreeStorage: {
        tier: "database",
        build: (s) => {
            const db = s.database;
            if (!db) {
                return [];
            }
            const floor =
                db.allocatedStorageGb !== undefined
                    ? `${s.thresholds.freeStoragePercent}% of its ${db.allocatedStorageGb} GiB`
                    : formatBytes(s.thresholds.freeStorageBytes);
            return [
                {
                    key: "db-primary-low-free-storage",
                    meaning: `The database primary has less than ${floor} of storage free; a full disk stops writes.`,
                    runbook:
                        "Increase allocated storage (online, no downtime for gp3) or enable storage autoscaling; look for runaway tables or binary log retention.",
                    metric: {
                        namespace: NAMESPACES.rds,
                        metricName: "FreeStorageSpace",
                        dimensions: primary(s),
                        stat: "Minimum",
                        period: PERIOD,
                        label: "primary free storage",
                    },
                    comparisonOperator: "LessThanThreshold",
                    threshold: freeStorageThreshold(s),
                    ...sustained(s),
                    treatMissingData: "missing",
                },
            ];
        },
    },
    dbPrimaryConnectionsHigh: {
        tier: "database",
        build: (s) =>
            s.database
                ? [
                      {
                          key: "db-primary-connections-high",
                          meaning: `More than ${s.thresholds.databaseConnections} connections are open on the database primary (max_connections is near: new connections fail).`,
                          runbook:
                              "More servers than the instance class allows connections for, or connections leaking: SHOW PROCESSLIST; a larger class raises max_connections.",
                          metric: {
                              namespace: NAMESPACES.rds,
                              metricName: "DatabaseConnections",
                              dimensions: primary(s),
                              stat: "Maximum",
                              period: PERIOD,
                              label: "primary connections",
                          },
                          comparisonOperator: "GreaterThanThreshold",
                          threshold: s.thresholds.databaseConnections,
                          ...sustained(s),
                          treatMissingData: "missing",
                      },
                  ]
                : [],
    },
    dbReplicaLagHigh: {
        tier: "database",
        build: (s) =>
            (s.database?.replicaIdentifiers ?? []).map((identifier, i) => ({
                key: `db-replica-${i + 1}-lag-high`,
                meaning: `Read replica ${i + 1} is more than ${s.thresholds.replicaLagSeconds} s behind the primary: reads served from it are stale.`,
                runbook:
                    "Write bursts on the primary, or the replica is too small (its CPU, IOPS); SHOW REPLICA STATUS on it. The app falls back to the writer only when a reader fails.",
                metric: {
                    namespace: NAMESPACES.rds,
                    metricName: "ReplicaLag",
                    dimensions: { DBInstanceIdentifier: identifier },
                    stat: "Maximum",
                    period: PERIOD,
                    label: `replica ${i + 1} lag`,
                },
                comparisonOperator: "GreaterThanThreshold",
                threshold: s.thresholds.replicaLagSeconds,
                ...sustained(s),
                treatMissingData: "missing",
            })),
    },
    dbReplicationStopped: {
        tier: "database",
        build: (s) =>
            (s.database?.replicaIdentifiers ?? []).map((identifier, i) => ({
                key: `db-replica-${i + 1}-replication-stopped`,
                meaning: `Replication to read replica ${i + 1} is not running (ReplicaLag = -1), or the replica reports nothing: it serves ever older data.`,
                runbook:
                    "RDS console > the replica > Logs & events; CALL mysql.rds_skip_repl_error or recreate the replica (pulumi up after deleting it). " +
                    "A replica reboot also trips this alarm for a few minutes.",
                metric: {
                    namespace: NAMESPACES.rds,
                    metricName: "ReplicaLag",
                    dimensions: { DBInstanceIdentifier: identifier },
                    stat: "Minimum",
                    period: PERIOD,
                    label: `replica ${i + 1} lag (min)`,
                },
                comparisonOperator: "LessThanOrEqualToThreshold",
                threshold: -1,
                ...critical(s),
                // RDS reports ReplicaLag every minute for a running replica: silence means it is
                // stopped, rebooting or gone, as useless for reads as stopped replication.
                treatMissingData: "breaching",
            })),
    },
} satisfies Record<string, AlarmDefinition>;

function formatBytes(bytes: number): string {
    return bytes % 1024 ** 3 === 0 ? `${bytes / 1024 ** 3} GiB` : `${bytes} bytes`;
}
