/**
 * A pool's rollout watches alarms that Monitoring creates after the pools (Monitoring alarms on the
 * pools' Auto Scaling groups). Their names reach each pool as deferred outputs, resolved from the
 * alarm resources themselves: the Auto Scaling group then depends on exactly those alarms (the
 * target group's unhealthy hosts, the load balancer's 5xx rates), which depend only on the load
 * balancer, so the alarms exist before any refresh starts, and nothing depends back on the group.
 */
import * as pulumi from "@pulumi/pulumi";
import { Monitoring, rolloutAlarmKeys } from "../monitoring";

export interface DeferredRolloutAlarms {
    /** The alarm names to hand the pool (`ServerPoolArgs.rollout.alarmNames`). */
    names: pulumi.Output<string>[];
    /** Resolves `names` from Monitoring's alarms; call once Monitoring exists. */
    resolve(monitoring: Monitoring): void;
}

/** The deferred names of the alarms a pool in front of `targetGroupRole`'s target group rolls out under. */
export function deferredRolloutAlarms(targetGroupRole: string): DeferredRolloutAlarms {
    const keys = rolloutAlarmKeys(targetGroupRole);
    const deferred = keys.map(() => pulumi.deferredOutput<string>());
    return {
        names: deferred.map(([name]) => name),
        resolve: (monitoring) => keys.forEach((key, i) => deferred[i][1](monitoring.alarmNamed(key).name)),
    };
}
