/** The failover controller's alarms: invocation errors, and the moves, failed moves, faults and failed polls counted from its log. */
import { AlarmDefinition, critical, logMetric, once } from "./alarmKit";
import { NAMESPACES, PERIOD } from "./metrics";

const controllerLogs =
    "the controller's log group (Logs Insights: fields @timestamp, event, reason, error | sort @timestamp desc)";

const invokeController = (payload: string) =>
    `aws lambda invoke --function-name <controller> --cli-binary-format raw-in-base64-out --payload '${payload}' out.json`;

export const CONTROLLER_ALARMS = {
    controllerErrors: {
        tier: "failoverController",
        build: (s) =>
            s.failoverController
                ? [
                      {
                          key: "controller-errors",
                          meaning:
                              "The failover controller's Lambda invocation failed (crash, timeout, out of memory): automatic failover may not happen.",
                          runbook: `Lambda console > Monitor; ${controllerLogs}. A manual failover: ${invokeController('{"action":"failover"}')}.`,
                          metric: {
                              namespace: NAMESPACES.lambda,
                              metricName: "Errors",
                              dimensions: { FunctionName: s.failoverController.functionName },
                              stat: "Sum",
                              period: PERIOD,
                              label: "errors",
                          },
                          comparisonOperator: "GreaterThanThreshold",
                          threshold: 0,
                          ...once,
                          treatMissingData: "notBreaching",
                      },
                  ]
                : [],
    },
    failoverHappened: {
        tier: "failoverController",
        build: (s) =>
            s.failoverController
                ? [
                      {
                          key: "failover-happened",
                          meaning:
                              "The failover controller moved traffic to the failover target group: the active pool had no healthy server.",
                          runbook:
                              "Users are served by the failover pool. Find why the active pool failed (its no-healthy-hosts alarm, EC2 console); " +
                              `failback is automatic or manual per the controller's policy (${invokeController('{"action":"failback"}')}); ${controllerLogs}.`,
                          metric: logMetric(s, "failovers"),
                          comparisonOperator: "GreaterThanOrEqualToThreshold",
                          threshold: 1,
                          ...once,
                          // The metric exists only in minutes with a failover.
                          treatMissingData: "notBreaching",
                      },
                  ]
                : [],
    },
    failoverMoveFailed: {
        tier: "failoverController",
        build: (s) =>
            s.failoverController
                ? [
                      {
                          key: "failover-move-failed",
                          meaning:
                              "The failover controller tried to move traffic and ModifyListener failed: the weights are unchanged.",
                          runbook: `It retries on its next poll; a retry that fails again is logged move_retry, not alerted again; ${controllerLogs} (error field: IAM, throttling). Move the weights by hand in the EC2 console (listener 443 > edit) if it keeps failing.`,
                          metric: logMetric(s, "moveFailures"),
                          comparisonOperator: "GreaterThanOrEqualToThreshold",
                          threshold: 1,
                          ...once,
                          treatMissingData: "notBreaching",
                      },
                  ]
                : [],
    },
    controllerFaults: {
        tier: "failoverController",
        build: (s) =>
            s.failoverController
                ? [
                      {
                          key: "controller-faults",
                          meaning:
                              "The failover controller stopped on an error it caught (invalid configuration or a bug), which Lambda's Errors metric does not count.",
                          runbook: `${controllerLogs}: events config_error and unexpected_error; fix the function's environment (pulumi up) or the code.`,
                          metric: logMetric(s, "controllerFaults"),
                          comparisonOperator: "GreaterThanOrEqualToThreshold",
                          threshold: 1,
                          ...once,
                          treatMissingData: "notBreaching",
                      },
                  ]
                : [],
    },
    controllerBlind: {
        tier: "failoverController",
        build: (s) =>
            s.failoverController
                ? [
                      {
                          key: "controller-blind",
                          meaning: `The failover controller cannot read target health or the listener (${s.thresholds.controllerPollErrorsPerMinute}+ failed polls a minute): it cannot fail over.`,
                          runbook: `${controllerLogs}: poll_error events and their error (AccessDenied: the role's policy; Throttling; an ELB API outage).`,
                          metric: logMetric(s, "pollErrors"),
                          comparisonOperator: "GreaterThanOrEqualToThreshold",
                          threshold: s.thresholds.controllerPollErrorsPerMinute,
                          ...critical(s),
                          treatMissingData: "notBreaching",
                      },
                  ]
                : [],
    },
} satisfies Record<string, AlarmDefinition>;
