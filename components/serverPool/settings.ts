/** Checks {@link ServerPoolArgs} and fills in the defaults; the AMI that fits an instance type. */
import * as pulumi from "@pulumi/pulumi";
import {
    checkInput,
    instanceType as checkInstanceType,
    integerIn,
    invalid,
    nonEmptyString,
} from "../shared/validation";
import type { ServerPoolArgs, ServerPoolDatabase } from "./args";
import { RolloutSettings, validateRollout } from "./rollout";
import { ScalingSettings, validateScaling } from "./scaling";
import { APP_UPSTREAM_PORT } from "./userData";

export interface ServerPoolSettings {
    appPort: number;
    size: number;
    maxSize: number;
    rootVolumeSizeGb: number;
    instanceType: pulumi.Input<string>;
    imageId?: pulumi.Input<string>;
    database?: ServerPoolDatabase;
    scaling: ScalingSettings;
    rollout: RolloutSettings;
}

export function validateServerPoolArgs(args: ServerPoolArgs, label = "ServerPool args"): ServerPoolSettings {
    if (!Array.isArray(args.subnetIds) || args.subnetIds.length < 1) {
        throw invalid(`${label}.subnetIds`, args.subnetIds, "at least one private subnet");
    }
    const size = integerIn(`${label}.size`, args.size ?? 1, 1, 100);
    const maxSize = integerIn(`${label}.maxSize`, args.maxSize ?? size * 2, size, 200);
    return {
        appPort: appPortValue(`${label}.appPort`, args.appPort ?? 80, args.userData === undefined),
        size,
        maxSize,
        rootVolumeSizeGb: integerIn(`${label}.rootVolumeSizeGb`, args.rootVolumeSizeGb ?? 16, 8, 16384),
        imageId:
            args.imageId === undefined
                ? undefined
                : checkInput(args.imageId, (id) => {
                      if (!/^(ami-[0-9a-f]{8,17}|resolve:ssm:\S+)$/.test(nonEmptyString(`${label}.imageId`, id))) {
                          throw invalid(
                              `${label}.imageId`,
                              id,
                              "an AMI id (ami-0123456789abcdef0) or resolve:ssm:<parameter>",
                          );
                      }
                      return id;
                  }),
        instanceType: checkInput(args.instanceType ?? "t4g.micro", (t) =>
            checkInstanceType(`${label}.instanceType`, t),
        ),
        database:
            args.database === undefined ? undefined : validateServerPoolDatabase(args.database, `${label}.database`),
        scaling: validateScaling(args.scaling, `${label}.scaling`),
        rollout: validateRollout(args.rollout, `${label}.rollout`),
    };
}

function validateServerPoolDatabase(database: ServerPoolDatabase, label: string): ServerPoolDatabase {
    if (typeof database !== "object" || database === null) {
        throw invalid(
            label,
            database,
            "an object with writerHost, readerHosts, port, secretArn and databaseName (e.g. a Database's connection)",
        );
    }
    return {
        ...database,
        port: checkInput(database.port, (p) => integerIn(`${label}.port`, p, 1, 65535)),
        // One exact secret: a wildcard here would widen the instance role's read access.
        secretArn: checkInput(database.secretArn, (arn) => {
            if (
                typeof arn !== "string" ||
                !/^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+$/.test(arn)
            ) {
                throw invalid(
                    `${label}.secretArn`,
                    arn,
                    "a Secrets Manager secret ARN (arn:aws:secretsmanager:<region>:<account>:secret:<name>), no wildcard",
                );
            }
            return arn;
        }),
    };
}

/**
 * The port nginx listens on behind the ALB: not 22 (SSH stays closed everywhere), and with the
 * sample app not APP_UPSTREAM_PORT, where the app itself listens behind nginx.
 */
export function appPortValue(key: string, value: unknown, sampleApp = true): number {
    const port = integerIn(key, value, 1, 65535);
    const reserved = sampleApp ? [22, APP_UPSTREAM_PORT] : [22];
    if (reserved.includes(port)) {
        throw invalid(
            key,
            value,
            `a port from 1 to 65535 other than ${reserved.join(" and ")} (22: SSH stays closed${sampleApp ? `; ${APP_UPSTREAM_PORT}: the sample app itself listens there, behind nginx` : ""})`,
        );
    }
    return port;
}

/** True for Graviton (arm64) instance types: a `g` after the generation digit (t4g, m7gd, c6gn), and a1. */
export function isArmInstanceType(instanceType: string): boolean {
    const family = instanceType.split(".")[0];
    return family === "a1" || /^[a-z]+\d+[a-z]*g[a-z]*$/.test(family);
}

/** The public SSM parameter holding the latest Amazon Linux 2023 AMI for the instance type's architecture. */
export function amazonLinuxParameter(instanceType: string): string {
    return `/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-${isArmInstanceType(instanceType) ? "arm64" : "x86_64"}`;
}
