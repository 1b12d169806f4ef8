/**
 * The servers' logs: the log groups they ship to, the CloudWatch agent that ships them (pure,
 * for the user data) and the IAM policy an instance role needs for it.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { UserDataFile } from "../shared/contracts";
import { pattern, ValidationError } from "../shared/validation";

/** The log groups the servers ship to. */
export interface ServerLogGroupNames {
    /** `/var/log/nginx/access.log` (one JSON object per request). */
    nginxAccess: string;
    /** `/var/log/nginx/error.log`. */
    nginxError: string;
    /** The app's stdout and stderr (`APP_LOG_FILE`). */
    app: string;
}

export interface ServerLogGroups {
    nginxAccess: aws.cloudwatch.LogGroup;
    nginxError: aws.cloudwatch.LogGroup;
    app: aws.cloudwatch.LogGroup;
}

/** `/ha-webstack/<stack>`, with characters log group names refuse replaced by `-`. */
export function defaultLogGroupPrefix(stack: string): string {
    return `/ha-webstack/${stack.replace(/[^A-Za-z0-9._/#-]/g, "-")}`;
}

/** The servers' log group names under a prefix (see `MonitoringArgs.logGroupPrefix`). */
export function serverLogGroupNames(prefix: string = defaultLogGroupPrefix(pulumi.getStack())): ServerLogGroupNames {
    return { nginxAccess: `${prefix}/nginx/access`, nginxError: `${prefix}/nginx/error`, app: `${prefix}/app` };
}

/** Where the agent's configuration goes; `amazon-cloudwatch-agent-ctl -a fetch-config` reads it. */
export const CLOUDWATCH_AGENT_CONFIG_PATH = "/opt/aws/amazon-cloudwatch-agent/etc/amazon-cloudwatch-agent.json";
/**
 * The app logs to stderr, which systemd sends to the journal; the agent tails files (its journald
 * input is too recent to count on in the packaged agent), so a systemd drop-in sends the unit's
 * output to this file instead (`journalctl -u ha-webstack-app` then shows only systemd's own
 * lines), and logrotate keeps it small.
 */
export const APP_LOG_FILE = "/var/log/ha-webstack/app.log";
export const APP_LOG_DROP_IN_PATH = "/etc/systemd/system/ha-webstack-app.service.d/50-log-file.conf";
export const APP_LOGROTATE_PATH = "/etc/logrotate.d/ha-webstack-app";

export interface CloudWatchAgentOptions {
    /** The log groups to ship to (see `serverLogGroupNames`; they must exist: the role may not create them). */
    logGroups: ServerLogGroupNames;
    /**
     * Also publish memory and root-disk usage (`mem_used_percent`, `disk_used_percent`) to this
     * namespace, one series per Auto Scaling group (custom metrics: $0.30 each a month, and the
     * role then needs `cloudwatch:PutMetricData` for it and `ec2:DescribeTags`).
     * @default logs only
     */
    metricsNamespace?: string;
}

/** The agent's JSON configuration: each file to its log group, one stream per instance. */
export function cloudWatchAgentConfig(opts: CloudWatchAgentOptions): Record<string, unknown> {
    const g = opts.logGroups;
    for (const [key, value] of Object.entries(g)) {
        pattern(`cloudWatchAgentUserData logGroups.${key}`, value, /^[A-Za-z0-9._/#-]{1,512}$/, "a log group name");
    }
    const file = (filePath: string, logGroup: string) => ({
        file_path: filePath,
        log_group_name: logGroup,
        log_stream_name: "{instance_id}",
        timezone: "UTC",
    });
    const config: Record<string, unknown> = {
        // root: it reads /var/log/nginx, which only root and nginx may list.
        agent: {
            run_as_user: "root",
            omit_hostname: true,
            logfile: "/opt/aws/amazon-cloudwatch-agent/logs/amazon-cloudwatch-agent.log",
        },
        logs: {
            logs_collected: {
                files: {
                    collect_list: [
                        file("/var/log/nginx/access.log", g.nginxAccess),
                        file("/var/log/nginx/error.log", g.nginxError),
                        file(APP_LOG_FILE, g.app),
                    ],
                },
            },
            force_flush_interval: 5,
        },
    };
    if (opts.metricsNamespace !== undefined) {
        pattern(
            "cloudWatchAgentUserData metricsNamespace",
            opts.metricsNamespace,
            /^(?!AWS\/)[A-Za-z0-9._/#:-]{1,255}$/,
            "a CloudWatch namespace not starting with AWS/",
        );
        config.metrics = {
            namespace: opts.metricsNamespace,
            // Only the group: one series per pool, not one per instance (each is a paid metric).
            append_dimensions: { AutoScalingGroupName: "${aws:AutoScalingGroupName}" },
            metrics_collected: {
                mem: { measurement: ["mem_used_percent"], metrics_collection_interval: 60 },
                disk: {
                    measurement: ["used_percent"],
                    resources: ["/"],
                    drop_device: true,
                    metrics_collection_interval: 60,
                },
            },
        };
    }
    return config;
}

/**
 * What the user data needs to ship the servers' logs to CloudWatch Logs, for `renderUserData`'s
 * `extraFiles` / `extraScript`: the agent's configuration, a systemd drop-in that sends the
 * app's output to `APP_LOG_FILE`, its logrotate rule, and the bash that installs the agent
 * from the Amazon Linux repository and starts it. Pure and deterministic.
 *
 *     renderUserData({ region, stack, appPort, ...cloudWatchAgentUserData({ logGroups: serverLogGroupNames() }) })
 *
 * A failed `dnf install` only warns: the server serves without shipping its logs.
 */
export function cloudWatchAgentUserData(opts: CloudWatchAgentOptions): {
    extraFiles: UserDataFile[];
    extraScript: string;
} {
    const config = JSON.stringify(cloudWatchAgentConfig(opts), null, 1) + "\n";
    const dropIn = [
        "# ha-webstack monitoring: the app's output to a file the CloudWatch agent tails.",
        "[Service]",
        `StandardOutput=append:${APP_LOG_FILE}`,
        `StandardError=append:${APP_LOG_FILE}`,
        "",
    ].join("\n");
    const logrotate = [
        `${APP_LOG_FILE} {`,
        "    daily",
        "    rotate 7",
        "    maxsize 50M",
        "    missingok",
        "    notifempty",
        "    compress",
        "    delaycompress",
        "    copytruncate",
        "}",
        "",
    ].join("\n");
    const extraScript = [
        // Kept byte for byte (the file moved since): a changed byte rolls every server (stack.test.ts).
        "# ha-webstack monitoring: app output to a file, then the CloudWatch agent (components/monitoring.ts)",
        `install -d -m 0750 "$ROOT${APP_LOG_FILE.replace(/\/[^/]+$/, "")}"`,
        "systemctl daemon-reload",
        "systemctl restart ha-webstack-app.service",
        "if dnf install -y amazon-cloudwatch-agent; then",
        `  amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s -c "file:$ROOT${CLOUDWATCH_AGENT_CONFIG_PATH}"`,
        '  echo "ha-webstack: CloudWatch agent started"',
        "else",
        '  echo "ha-webstack: WARNING: amazon-cloudwatch-agent not installed; logs stay on the instance" >&2',
        "fi",
        "",
    ].join("\n");
    return {
        extraFiles: [
            { path: CLOUDWATCH_AGENT_CONFIG_PATH, content: config, mode: "0644" },
            { path: APP_LOG_DROP_IN_PATH, content: dropIn, mode: "0644" },
            { path: APP_LOGROTATE_PATH, content: logrotate, mode: "0644" },
        ],
        extraScript,
    };
}

/**
 * The IAM policy (JSON) an instance role needs to ship to the given log groups: create streams
 * in them and put events, nothing else (the groups exist; the agent must not create or
 * re-configure them). With `metricsNamespace`, `cloudwatch:PutMetricData` for that namespace only
 * and `ec2:DescribeTags` (the agent reads the Auto Scaling group's name from the instance's
 * tags); neither action supports resource-level permissions, hence `*` with a condition or a
 * read-only action.
 */
export function serverLogsPolicyDocument(opts: { logGroupArns: string[]; metricsNamespace?: string }): string {
    if (!Array.isArray(opts.logGroupArns) || opts.logGroupArns.length === 0) {
        throw new ValidationError("serverLogsPolicyDocument: logGroupArns must name at least one log group");
    }
    opts.logGroupArns.forEach((arn, i) =>
        pattern(
            `serverLogsPolicyDocument logGroupArns[${i}]`,
            arn,
            /^arn:aws[a-z-]*:logs:[a-z0-9-]+:\d{12}:log-group:[A-Za-z0-9._/#-]{1,512}$/,
            "a log group ARN without :*",
        ),
    );
    const statements: Record<string, unknown>[] = [
        {
            Sid: "ShipServerLogs",
            Effect: "Allow",
            Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
            Resource: opts.logGroupArns.map((arn) => `${arn}:*`),
        },
    ];
    if (opts.metricsNamespace !== undefined) {
        statements.push(
            {
                Sid: "ServerMetrics",
                Effect: "Allow",
                Action: "cloudwatch:PutMetricData",
                Resource: "*",
                Condition: { StringEquals: { "cloudwatch:namespace": opts.metricsNamespace } },
            },
            { Sid: "ReadOwnAutoScalingGroup", Effect: "Allow", Action: "ec2:DescribeTags", Resource: "*" },
        );
    }
    return JSON.stringify({ Version: "2012-10-17", Statement: statements });
}
