/** The server pools' alarms: EC2 status checks and CPU per Auto Scaling group. */
import { AlarmDefinition, critical, sustained } from "./alarmKit";
import { NAMESPACES, PERIOD } from "./metrics";

export const SERVER_ALARMS = {
    serverStatusCheckFailed: {
        tier: "servers",
        build: (s) =>
            s.autoScalingGroups.map((pool) => ({
                key: `servers-${pool.role}-status-check-failed`,
                meaning: `A server of the ${pool.role} pool fails its EC2 status checks (impaired instance or host).`,
                runbook:
                    "The Auto Scaling group replaces it once the load balancer finds it unhealthy. EC2 console > instance > Status checks (system: AWS hardware, instance: the OS); " +
                    "if it keeps failing, terminate it and let the group launch a new one.",
                metric: {
                    namespace: NAMESPACES.ec2,
                    metricName: "StatusCheckFailed",
                    dimensions: { AutoScalingGroupName: pool.name },
                    stat: "Maximum",
                    period: PERIOD,
                    label: `${pool.role} status check failed`,
                },
                comparisonOperator: "GreaterThanOrEqualToThreshold",
                threshold: 1,
                ...critical(s),
                // No data = no instance reporting: the healthy-host alarms cover a pool that is gone.
                treatMissingData: "notBreaching",
            })),
    },
    serverCpuHigh: {
        tier: "servers",
        build: (s) => {
            // Basic monitoring publishes CPU every 5 minutes (status checks every minute, free).
            const detailed = s.serverDetailedMonitoring;
            const fiveMinutePeriods = Math.ceil(s.thresholds.evaluationPeriods / 5);
            return s.autoScalingGroups.map((pool) => ({
                key: `servers-${pool.role}-cpu-high`,
                meaning: `The ${pool.role} pool's average CPU is above ${s.thresholds.serverCpuPercent}%.`,
                runbook:
                    "More load than the pool can take (RequestCount on the dashboard), or a runaway process (aws ssm start-session; top). " +
                    "Raise serversPerPool or the instance type; burstable types (t4g) slow down once out of CPU credits.",
                metric: {
                    namespace: NAMESPACES.ec2,
                    metricName: "CPUUtilization",
                    dimensions: { AutoScalingGroupName: pool.name },
                    stat: "Average",
                    period: detailed ? PERIOD : 300,
                    label: `${pool.role} CPU`,
                },
                comparisonOperator: "GreaterThanThreshold",
                threshold: s.thresholds.serverCpuPercent,
                ...(detailed
                    ? sustained(s)
                    : { evaluationPeriods: fiveMinutePeriods, datapointsToAlarm: fiveMinutePeriods }),
                treatMissingData: "missing",
            }));
        },
    },
} satisfies Record<string, AlarmDefinition>;
