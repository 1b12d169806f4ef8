import { invalid, numberIn, ValidationError } from "../shared/validation";

/**
 * Every threshold of the alarms. Each alarm looks at 60-second periods (except server CPU under
 * basic monitoring, see {@link MonitoringArgs.serverDetailedMonitoring}).
 */
export interface Thresholds {
    /** Average CPU of a server pool (Auto Scaling group), in %, above which it alarms. */
    serverCpuPercent: number;
    /** Load-balancer-generated 5xx (`HTTPCode_ELB_5XX_Count`) as a % of `RequestCount`. */
    elb5xxPercent: number;
    /** Server-generated 5xx (`HTTPCode_Target_5XX_Count`) as a % of `RequestCount`. */
    target5xxPercent: number;
    /** Requests per minute below which the 5xx rates count as 0 (one failed request out of two is not an outage). */
    errorRateMinRequests: number;
    /** p99 of `TargetResponseTime`, in seconds. */
    p99ResponseTimeSeconds: number;
    /** Average CPU of the database primary, in %. */
    databaseCpuPercent: number;
    /** Free storage of the primary, as a % of `database.allocatedStorageGb` (when given). */
    freeStoragePercent: number;
    /** Free storage of the primary, in bytes, when `database.allocatedStorageGb` is not given. */
    freeStorageBytes: number;
    /** Open connections on the primary (db.t4g.micro allows about 85: DBInstanceClassMemory / 12582880). */
    databaseConnections: number;
    /** Seconds a replica may lag behind the primary. */
    replicaLagSeconds: number;
    /** Minutes (60 s periods) a sustained alarm looks at: CPU, 5xx rates, p99, database, replica lag. */
    evaluationPeriods: number;
    /** How many of those minutes must breach (M of N: one spike does not page). */
    datapointsToAlarm: number;
    /** Consecutive breaching minutes for the critical alarms: healthy hosts, status checks, replication stopped. */
    criticalEvaluationPeriods: number;
    /** Failed polls per minute of the failover controller that mean it is blind (it polls every 5 s by default: 12 a minute). */
    controllerPollErrorsPerMinute: number;
}

export const DEFAULT_THRESHOLDS: Readonly<Thresholds> = {
    serverCpuPercent: 80,
    elb5xxPercent: 5,
    target5xxPercent: 5,
    errorRateMinRequests: 10,
    p99ResponseTimeSeconds: 2,
    databaseCpuPercent: 80,
    freeStoragePercent: 10,
    freeStorageBytes: 2 * 1024 ** 3,
    databaseConnections: 60,
    replicaLagSeconds: 60,
    evaluationPeriods: 5,
    datapointsToAlarm: 3,
    criticalEvaluationPeriods: 2,
    controllerPollErrorsPerMinute: 6,
};

/** [min, max, integer] of every threshold. */
const THRESHOLD_RANGES: Record<keyof Thresholds, [number, number, boolean]> = {
    serverCpuPercent: [1, 100, false],
    elb5xxPercent: [0.01, 100, false],
    target5xxPercent: [0.01, 100, false],
    errorRateMinRequests: [1, 1_000_000, true],
    p99ResponseTimeSeconds: [0.001, 4000, false],
    databaseCpuPercent: [1, 100, false],
    freeStoragePercent: [1, 90, false],
    freeStorageBytes: [1024 ** 2, 64 * 1024 ** 4, true],
    databaseConnections: [1, 100_000, true],
    replicaLagSeconds: [1, 86_400, true],
    evaluationPeriods: [1, 60, true],
    datapointsToAlarm: [1, 60, true],
    criticalEvaluationPeriods: [1, 10, true],
    controllerPollErrorsPerMinute: [1, 60, true],
};

/**
 * The defaults with the given overrides, each checked against its range; `datapointsToAlarm`
 * cannot exceed `evaluationPeriods` (CloudWatch refuses M of N with M > N).
 */
export function thresholdSettings(label: string, overrides: unknown): Thresholds {
    const thresholds = { ...DEFAULT_THRESHOLDS } as Thresholds;
    const given = overrides ?? {};
    if (typeof given !== "object" || given === null || Array.isArray(given)) {
        throw invalid(label, given, `an object with some of ${Object.keys(DEFAULT_THRESHOLDS).join(", ")}`);
    }
    for (const [key, value] of Object.entries(given)) {
        if (!(key in THRESHOLD_RANGES)) {
            throw new ValidationError(
                `${label}.${key} is not a threshold: expected one of ${Object.keys(DEFAULT_THRESHOLDS).join(", ")}`,
            );
        }
        if (value === undefined) {
            continue;
        }
        const [min, max, integer] = THRESHOLD_RANGES[key as keyof Thresholds];
        thresholds[key as keyof Thresholds] = numberIn(`${label}.${key}`, value, min, max, integer);
    }
    if (thresholds.datapointsToAlarm > thresholds.evaluationPeriods) {
        throw invalid(
            `${label}.datapointsToAlarm`,
            thresholds.datapointsToAlarm,
            `an integer from 1 to evaluationPeriods (${thresholds.evaluationPeriods})`,
        );
    }
    return thresholds;
}
