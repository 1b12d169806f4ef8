/**
 * Health checks at the fastest ALB allows: a dead server is out after interval × unhealthy
 * threshold = 10 s, and back after 10 s.
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html
 */
export const HEALTH_CHECK = {
    intervalSeconds: 5,
    timeoutSeconds: 3,
    healthyThreshold: 2,
    unhealthyThreshold: 2,
} as const;
