/** What an RDS instance class allows: Performance Insights, and its default `max_connections`. */

/** Instance classes that support neither Performance Insights nor Database Insights. */
const NO_PERFORMANCE_INSIGHTS = [
    "db.t2.micro",
    "db.t2.small",
    "db.t3.micro",
    "db.t3.small",
    "db.t4g.micro",
    "db.t4g.small",
];

/** Whether Performance Insights / Database Insights runs on an instance class (not on micro and small T classes). */
export function supportsPerformanceInsights(instanceClass: string): boolean {
    return !NO_PERFORMANCE_INSIGHTS.includes(instanceClass);
}

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
