/** Checks {@link MonitoringArgs} and fills in the defaults: what the component builds from. */
import * as pulumi from "@pulumi/pulumi";
import {
    booleanValue,
    checkInput,
    emailAddress,
    integerIn,
    invalid,
    logRetentionDays,
    pattern,
    ValidationError,
} from "../shared/validation";
import { MonitoringArgs, TARGET_GROUP_ROLES, TargetGroupRole } from "./args";
import { defaultLogGroupPrefix, ServerLogGroupNames, serverLogGroupNames } from "./serverLogs";
import { Thresholds, thresholdSettings } from "./thresholds";

export interface MonitoringSettings {
    alertEmail?: pulumi.Input<string>;
    topicArn?: pulumi.Input<string>;
    topicKmsKeyId?: pulumi.Input<string>;
    topicAliases: pulumi.Input<pulumi.URN | pulumi.Alias>[];
    loadBalancer: { arnSuffix: pulumi.Input<string> };
    targetGroups: { role: TargetGroupRole; arnSuffix: pulumi.Input<string> }[];
    autoScalingGroups: { role: string; name: pulumi.Input<string> }[];
    serverDetailedMonitoring: boolean;
    database?: {
        primaryIdentifier: pulumi.Input<string>;
        replicaIdentifiers: pulumi.Input<string>[];
        allocatedStorageGb?: number;
    };
    failoverController?: { functionName: pulumi.Input<string>; logGroupName: pulumi.Input<string> };
    thresholds: Thresholds;
    serverLogs: boolean;
    serverLogRetentionDays: number;
    logGroupNames: ServerLogGroupNames;
    namePrefix: string;
    metricNamespace: string;
}

/** Throws a {@link ValidationError} naming the argument, the value and what is allowed. */
export function validateMonitoringArgs(
    name: string,
    args: MonitoringArgs,
    label = "Monitoring args",
): MonitoringSettings {
    const stack = pulumi.getStack();
    const namePrefix = pattern(
        `${label}.namePrefix`,
        args.namePrefix ?? safeName(name.split("-").includes(stack) ? name : `${name}-${stack}`),
        /^[A-Za-z0-9_-]{1,120}$/,
        "1 to 120 letters, digits, hyphens or underscores",
    );
    const metricNamespace = pattern(
        `${label}.metricNamespace`,
        args.metricNamespace ?? `HaWebstack/${namePrefix}`,
        /^(?!AWS\/)[A-Za-z0-9._/#:-]{1,255}$/,
        "a CloudWatch namespace (letters, digits, . _ / # : -; not starting with AWS/)",
    );

    const thresholds = thresholdSettings(`${label}.thresholds`, args.thresholds);

    const topicArn =
        args.topicArn === undefined
            ? undefined
            : checkInput(args.topicArn, (arn) =>
                  pattern(
                      `${label}.topicArn`,
                      arn,
                      /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/,
                      "an SNS topic ARN (arn:aws:sns:<region>:<account>:<name>)",
                  ),
              );
    const topicKmsKeyId =
        args.topicKmsKeyId === undefined
            ? undefined
            : checkInput(args.topicKmsKeyId, (key) => {
                  if (typeof key === "string" && /(^|:)alias\/aws\/sns$/.test(key)) {
                      throw invalid(
                          `${label}.topicKmsKeyId`,
                          key,
                          "a customer managed KMS key: CloudWatch alarms cannot publish to a topic encrypted with the AWS managed key alias/aws/sns (its key policy cannot grant cloudwatch.amazonaws.com)",
                      );
                  }
                  return pattern(
                      `${label}.topicKmsKeyId`,
                      key,
                      /^(arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)\/[A-Za-z0-9/_-]+|alias\/[A-Za-z0-9/_-]+|[0-9a-f-]{36}|mrk-[0-9a-f]{32})$/,
                      "a KMS key id, key ARN, alias or alias ARN",
                  );
              });
    if (args.topicArn !== undefined && args.topicKmsKeyId !== undefined) {
        throw new ValidationError(
            `${label}.topicKmsKeyId applies to the topic created here; with topicArn, encrypt that topic yourself`,
        );
    }

    if (!args.loadBalancer || typeof args.loadBalancer !== "object") {
        throw invalid(`${label}.loadBalancer`, args.loadBalancer, "{ arnSuffix } of the Application Load Balancer");
    }
    const loadBalancer = {
        arnSuffix: checkInput(args.loadBalancer.arnSuffix, (s) =>
            pattern(
                `${label}.loadBalancer.arnSuffix`,
                s,
                /^app\/[A-Za-z0-9-]{1,32}\/[0-9a-f]{1,32}$/,
                "an ALB ARN suffix such as app/web-alb/50dc6c495c0c9188 (lb.arnSuffix, not the ARN)",
            ),
        ),
    };
    if (
        !Array.isArray(args.targetGroups) ||
        args.targetGroups.length < 1 ||
        args.targetGroups.length > TARGET_GROUP_ROLES.length
    ) {
        throw invalid(
            `${label}.targetGroups`,
            Array.isArray(args.targetGroups) ? `${args.targetGroups.length} target group(s)` : args.targetGroups,
            "1 to 3 target groups, one per role",
        );
    }
    const seenRoles = new Set<string>();
    const targetGroups = args.targetGroups.map((group, i) => {
        const role = pattern(
            `${label}.targetGroups[${i}].role`,
            group?.role,
            new RegExp(`^(${TARGET_GROUP_ROLES.join("|")})$`),
            `one of ${TARGET_GROUP_ROLES.join(", ")}`,
        ) as TargetGroupRole;
        if (seenRoles.has(role)) {
            throw invalid(`${label}.targetGroups[${i}].role`, role, "a role not already given to another target group");
        }
        seenRoles.add(role);
        return {
            role,
            arnSuffix: checkInput(group.arnSuffix, (s) =>
                pattern(
                    `${label}.targetGroups[${i}].arnSuffix`,
                    s,
                    /^targetgroup\/[A-Za-z0-9-]{1,32}\/[0-9a-f]{1,32}$/,
                    "a target group ARN suffix such as targetgroup/act-1234/73e2d6bc24d8a067 (tg.arnSuffix, not the ARN)",
                ),
            ),
        };
    });

    const pools = args.autoScalingGroups ?? [];
    if (!Array.isArray(pools) || pools.length > 20) {
        throw invalid(
            `${label}.autoScalingGroups`,
            Array.isArray(pools) ? `${pools.length} groups` : pools,
            "a list of at most 20 Auto Scaling groups",
        );
    }
    const poolRoles = new Set<string>();
    const autoScalingGroups = pools.map((pool, i) => {
        const role = pattern(
            `${label}.autoScalingGroups[${i}].role`,
            pool?.role,
            /^[a-z0-9][a-z0-9-]{0,31}$/,
            "1 to 32 lowercase letters, digits or hyphens",
        );
        if (poolRoles.has(role)) {
            throw invalid(
                `${label}.autoScalingGroups[${i}].role`,
                role,
                "a role not already given to another Auto Scaling group",
            );
        }
        poolRoles.add(role);
        return {
            role,
            name: checkInput(pool.name, (n) =>
                pattern(`${label}.autoScalingGroups[${i}].name`, n, /^\S{1,255}$/, "an Auto Scaling group name"),
            ),
        };
    });

    let database: MonitoringSettings["database"];
    if (args.database !== undefined) {
        const db = args.database;
        const identifier = (key: string, value: pulumi.Input<string>) =>
            checkInput(value, (v) =>
                pattern(
                    key,
                    v,
                    /^[A-Za-z][A-Za-z0-9-]{0,62}$/,
                    "an RDS DB instance identifier (letters, digits, hyphens; not an ARN or endpoint)",
                ),
            );
        if (!Array.isArray(db.replicaIdentifiers) || db.replicaIdentifiers.length > 15) {
            throw invalid(
                `${label}.database.replicaIdentifiers`,
                db.replicaIdentifiers,
                "a list of 0 to 15 replica identifiers",
            );
        }
        database = {
            primaryIdentifier: identifier(`${label}.database.primaryIdentifier`, db.primaryIdentifier),
            replicaIdentifiers: db.replicaIdentifiers.map((r, i) =>
                identifier(`${label}.database.replicaIdentifiers[${i}]`, r),
            ),
            allocatedStorageGb:
                db.allocatedStorageGb === undefined
                    ? undefined
                    : integerIn(`${label}.database.allocatedStorageGb`, db.allocatedStorageGb, 20, 65536),
        };
    }

    let failoverController: MonitoringSettings["failoverController"];
    if (args.failoverController !== undefined) {
        const fc = args.failoverController;
        const functionName = checkInput(fc.functionName, (n) =>
            pattern(
                `${label}.failoverController.functionName`,
                n,
                /^[A-Za-z0-9_-]{1,64}$/,
                "a Lambda function name (not its ARN)",
            ),
        );
        failoverController = {
            functionName,
            logGroupName:
                fc.logGroupName !== undefined
                    ? checkInput(fc.logGroupName, (n) =>
                          pattern(
                              `${label}.failoverController.logGroupName`,
                              n,
                              /^[A-Za-z0-9._/#-]{1,512}$/,
                              "a log group name",
                          ),
                      )
                    : pulumi.interpolate`/aws/lambda/${functionName}`,
        };
    }

    const logGroupPrefix = pattern(
        `${label}.logGroupPrefix`,
        args.logGroupPrefix ?? defaultLogGroupPrefix(stack),
        /^\/?[A-Za-z0-9._#-]+(\/[A-Za-z0-9._#-]+)*$/,
        "a log group name prefix such as /ha-webstack/prod (letters, digits, . _ # - and /)",
    );
    const serverLogs = booleanValue(`${label}.serverLogs`, args.serverLogs ?? true);
    if (args.serverRoleNames !== undefined && (!Array.isArray(args.serverRoleNames) || !serverLogs)) {
        throw invalid(
            `${label}.serverRoleNames`,
            args.serverRoleNames,
            "a list of instance role names, with serverLogs on",
        );
    }

    return {
        alertEmail:
            args.alertEmail === undefined
                ? undefined
                : checkInput(args.alertEmail, (e) => emailAddress(`${label}.alertEmail`, e)),
        topicArn,
        topicKmsKeyId,
        topicAliases: args.topicAliases ?? [],
        loadBalancer,
        targetGroups,
        autoScalingGroups,
        serverDetailedMonitoring: booleanValue(
            `${label}.serverDetailedMonitoring`,
            args.serverDetailedMonitoring ?? false,
        ),
        database,
        failoverController,
        thresholds,
        serverLogs,
        serverLogRetentionDays: logRetentionDays(`${label}.serverLogRetentionDays`, args.serverLogRetentionDays ?? 30),
        logGroupNames: serverLogGroupNames(logGroupPrefix),
        namePrefix,
        metricNamespace,
    };
}

// ---------------------------------------------------------------------------------------------

/** Alarm and dashboard names: letters, digits, hyphens, underscores (a stack name may hold dots). */
function safeName(text: string): string {
    return text.replace(/[^A-Za-z0-9_-]/g, "-");
}
