/**
 * Target tracking for a server pool: Auto Scaling keeps the pool's requests per server and its
 * average CPU near their targets, between the pool's min (its `size`) and max. Scale-in needs
 * every policy to agree; scale-out follows whichever asks for more.
 * https://docs.aws.amazon.com/autoscaling/ec2/userguide/as-scaling-target-tracking.html
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { integerIn, invalid } from "../shared/validation";

export interface ServerPoolScaling {
    /**
     * Requests per server per minute to hold (`ALBRequestCountPerTarget` of the pool's own target
     * group), 1 to 100,000, or 0 for none. Needs `loadBalancerArn`. A failover pool scales on
     * its own group's requests, so it grows when it takes the traffic over.
     * @default 1000
     */
    requestsPerTarget?: number;
    /**
     * Average CPU utilisation (%) to hold, 10 to 90, or 0 for none.
     * @default 60
     */
    cpuPercent?: number;
    /** The ALB in front of the pool (its ARN): the request metric is per load balancer and target group. */
    loadBalancerArn?: pulumi.Input<string>;
}

export const SCALING_DEFAULTS = { requestsPerTarget: 1000, cpuPercent: 60 } as const;
export const REQUESTS_PER_TARGET = { min: 1, max: 100_000 } as const;
export const CPU_PERCENT = { min: 10, max: 90 } as const;

export interface ScalingSettings {
    requestsPerTarget?: number;
    cpuPercent?: number;
    loadBalancerArn?: pulumi.Input<string>;
}

/** Checks the scaling arguments; 0 turns a policy off (and `false`, its spelling before 0.3). */
export function validateScaling(scaling: ServerPoolScaling | undefined, label: string): ScalingSettings {
    if (scaling !== undefined && (typeof scaling !== "object" || scaling === null)) {
        throw invalid(label, scaling, "an object with requestsPerTarget, cpuPercent and loadBalancerArn");
    }
    const s = scaling ?? {};
    const value = (key: "requestsPerTarget" | "cpuPercent", range: { min: number; max: number }) => {
        const v: unknown = s[key] ?? SCALING_DEFAULTS[key];
        return v === 0 || v === false ? undefined : integerIn(`${label}.${key}`, v, range.min, range.max);
    };
    const requestsPerTarget = value("requestsPerTarget", REQUESTS_PER_TARGET);
    // Without a load balancer there is no request metric: the default policy is left out, one asked for is an error.
    if (requestsPerTarget !== undefined && s.loadBalancerArn === undefined && s.requestsPerTarget !== undefined) {
        throw invalid(
            `${label}.loadBalancerArn`,
            undefined,
            "the load balancer's ARN, to scale on requestsPerTarget (or set requestsPerTarget: 0)",
        );
    }
    return {
        requestsPerTarget: s.loadBalancerArn === undefined ? undefined : requestsPerTarget,
        cpuPercent: value("cpuPercent", CPU_PERCENT),
        loadBalancerArn: s.loadBalancerArn,
    };
}

/**
 * The `ALBRequestCountPerTarget` resource label, `app/<lb>/<id>/targetgroup/<tg>/<id>`, from the
 * two ARNs. https://docs.aws.amazon.com/autoscaling/application/APIReference/API_PredefinedMetricSpecification.html
 */
export function requestCountLabel(loadBalancerArn: string, targetGroupArn: string): string {
    const lb = /:loadbalancer\/(app\/[^/]+\/[^/]+)$/.exec(loadBalancerArn)?.[1];
    const tg = /:(targetgroup\/[^/]+\/[^/]+)$/.exec(targetGroupArn)?.[1];
    if (!lb)
        throw invalid("ServerPool args.scaling.loadBalancerArn", loadBalancerArn, "an Application Load Balancer ARN");
    if (!tg) throw invalid("ServerPool args.targetGroupArn", targetGroupArn, "a target group ARN");
    return `${lb}/${tg}`;
}

/** The target tracking policies of a pool's Auto Scaling group. */
export function createScalingPolicies(
    parent: pulumi.Resource,
    name: string,
    group: aws.autoscaling.Group,
    targetGroupArn: pulumi.Input<string>,
    settings: ScalingSettings,
    warmupSeconds: number,
): aws.autoscaling.Policy[] {
    const policy = (suffix: string, spec: aws.types.input.autoscaling.PolicyTargetTrackingConfiguration) =>
        new aws.autoscaling.Policy(
            `${name}-${suffix}`,
            {
                autoscalingGroupName: group.name,
                policyType: "TargetTrackingScaling",
                estimatedInstanceWarmup: warmupSeconds,
                targetTrackingConfiguration: spec,
            },
            { parent },
        );
    const policies: aws.autoscaling.Policy[] = [];
    if (settings.requestsPerTarget !== undefined && settings.loadBalancerArn !== undefined) {
        policies.push(
            policy("scale-requests", {
                predefinedMetricSpecification: {
                    predefinedMetricType: "ALBRequestCountPerTarget",
                    resourceLabel: pulumi
                        .all([settings.loadBalancerArn, targetGroupArn])
                        .apply(([lb, tg]) => requestCountLabel(lb, tg)),
                },
                targetValue: settings.requestsPerTarget,
            }),
        );
    }
    if (settings.cpuPercent !== undefined) {
        policies.push(
            policy("scale-cpu", {
                predefinedMetricSpecification: { predefinedMetricType: "ASGAverageCPUUtilization" },
                targetValue: settings.cpuPercent,
            }),
        );
    }
    return policies;
}
