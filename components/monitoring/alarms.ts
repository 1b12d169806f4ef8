/**
 * Every alarm of {@link Monitoring}, one entry of {@link ALARMS} each: what it watches, when it
 * fires, what it means and what to do (the runbook line). An entry builds one alarm per subject it
 * watches (a target group, a pool, a replica) or none when the stack has nothing of that kind.
 * The dashboard graphs alarms by their {@link AlarmKind}, so a renamed entry fails to compile.
 */
import { AlarmDefinition, AlarmFields } from "./alarmKit";
import { CONTROLLER_ALARMS } from "./controllerAlarms";
import { DATABASE_ALARMS } from "./databaseAlarms";
import { LOAD_BALANCER_ALARMS } from "./loadBalancerAlarms";
import type { Tier } from "./metrics";
import { SERVER_ALARMS } from "./serverAlarms";
import type { MonitoringSettings } from "./settings";

export { CONTROLLER_LOG_METRICS, type ControllerLogMetric, logMetric, logMetricPattern } from "./alarmKit";
export { freeStorageThreshold } from "./databaseAlarms";

/** The alarm table, tier by tier (the order of the dashboard's alarm tiles). */
export const ALARMS = {
    ...LOAD_BALANCER_ALARMS,
    ...SERVER_ALARMS,
    ...DATABASE_ALARMS,
    ...CONTROLLER_ALARMS,
} satisfies Record<string, AlarmDefinition>;

export type AlarmKind = keyof typeof ALARMS;

/** One alarm to create: a definition's fields, with its kind and tier. */
export interface AlarmSpec extends AlarmFields {
    kind: AlarmKind;
    tier: Tier;
}

/** Every alarm of the stack, in the order of {@link ALARMS}. */
export function alarmSpecs(s: MonitoringSettings): AlarmSpec[] {
    return (Object.keys(ALARMS) as AlarmKind[]).flatMap((kind) => {
        const definition: AlarmDefinition = ALARMS[kind];
        return definition.build(s).map((alarm) => ({ kind, tier: definition.tier, ...alarm }));
    });
}

/** The alarms of the given kinds, in the order of {@link ALARMS}. */
export function alarmsOf(specs: readonly AlarmSpec[], ...kinds: AlarmKind[]): AlarmSpec[] {
    return specs.filter((a) => kinds.includes(a.kind));
}
