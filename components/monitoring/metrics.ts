import * as pulumi from "@pulumi/pulumi";

/** The rows of the dashboard; every alarm belongs to one. */
export type Tier = "loadBalancer" | "servers" | "database" | "failoverController";

export const TIERS: readonly Tier[] = ["loadBalancer", "servers", "database", "failoverController"];

/** Every alarm and graph looks at 60-second periods (except server CPU under basic monitoring). */
export const PERIOD = 60;

export const NAMESPACES = {
    loadBalancer: "AWS/ApplicationELB",
    ec2: "AWS/EC2",
    rds: "AWS/RDS",
    lambda: "AWS/Lambda",
} as const;

/** One CloudWatch metric with its statistic, as an alarm reads it and a dashboard graphs it. */
export interface MetricSpec {
    namespace: string;
    metricName: string;
    dimensions: Record<string, pulumi.Input<string>>;
    /** `Sum`, `Minimum`, `Maximum`, `Average` or a percentile such as `p99`. */
    stat: string;
    period: number;
    label: string;
}

/** A share of requests in %: errors / requests, computed by metric math. */
export interface RateSpec {
    /** The counted errors and the requests they are a share of. */
    errors: MetricSpec;
    requests: MetricSpec;
    /** Below this many requests a minute, the rate counts as 0. */
    minRequests: number;
    label: string;
}

/**
 * A 5xx rate in % that an idle load balancer does not trip: ALB publishes counts only when they
 * are not zero, so missing values are 0 (FILL), and below `minRequests` a minute counts as 0.
 */
export function rateExpression(errorsId: string, requestsId: string, minRequests: number): string {
    return `IF(FILL(${requestsId}, 0) >= ${minRequests}, 100 * FILL(${errorsId}, 0) / FILL(${requestsId}, 1), 0)`;
}
