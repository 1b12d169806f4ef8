/** The arguments of {@link ServerPool}. */
import * as pulumi from "@pulumi/pulumi";
import type { ServerPoolDatabase } from "../shared/contracts";
import type { Tags } from "../shared/tags";

export type { ServerPoolDatabase } from "../shared/contracts";
import type { ServerPoolRollout } from "./rollout";
import type { ServerPoolScaling } from "./scaling";
import type { UserDataFile } from "./userData";

/** What a program adds to the default user data (see {@link ServerPoolArgs.userDataExtras}). */
export interface UserDataExtras {
    /**
     * Files written on the server before the extra script runs.
     * @default []
     */
    extraFiles?: UserDataFile[];
    /**
     * A shell script run as root after the sample app's bootstrap.
     * @default none
     */
    extraScript?: string;
}

export interface ServerPoolArgs {
    /** The VPC of the servers. */
    vpcId: pulumi.Input<string>;
    /** Private subnets to launch into; their AZs are the pool's AZs. */
    subnetIds: pulumi.Input<string>[];
    /** The target group the Auto Scaling group registers its instances with. */
    targetGroupArn: pulumi.Input<string>;
    /**
     * The load balancer's security group: the only source admitted on `appPort`. The pool also adds
     * the matching egress rule to that group, so the ALB can reach this pool and nothing else.
     */
    loadBalancerSecurityGroupId: pulumi.Input<string>;
    /**
     * Port nginx listens on (the target group's port).
     * @default 80
     */
    appPort?: number;
    /**
     * EC2 instance type. Graviton types (`t4g`, `m7g`, ...) get the arm64 AMI, others x86_64.
     * @default "t4g.micro"
     */
    instanceType?: pulumi.Input<string>;
    /**
     * Instances kept running (min = desired); 1 to 100.
     * @default 1
     */
    size?: number;
    /**
     * Upper bound for scaling.
     * @default 2 × size
     */
    maxSize?: number;
    /**
     * Target tracking between `size` and `maxSize`: requests per server (with `loadBalancerArn`) and
     * average CPU. The desired capacity is then Auto Scaling's: `pulumi up` never resets it.
     * @default requests per target 1000 (when `loadBalancerArn` is given), CPU 60 %
     */
    scaling?: ServerPoolScaling;
    /**
     * How a new launch template version rolls out: an instance refresh that launches before it
     * terminates, pauses at checkpoints, and fails and rolls back when one of `alarmNames` fires.
     * @default checkpoints at 50 % and 100 %, 300 s apart, auto rollback, no alarms
     */
    rollout?: ServerPoolRollout;
    /**
     * AMI id or `resolve:ssm:<parameter>`. A parameter is read at deploy time (`ssm:GetParameter`)
     * and the launch template names the AMI id it holds: an instance refresh cannot roll back to a
     * launch template whose image is an SSM parameter. A new AMI in the parameter is a new launch
     * template version, rolled out by the next `pulumi up`.
     * @default the latest Amazon Linux 2023 for the instance type's architecture
     * (`/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-<arch>`)
     */
    imageId?: pulumi.Input<string>;
    /**
     * The user-data script (plain text; it is base64-encoded here).
     * @default the sample app: nginx in front of a small app answering `/healthz` and a page naming
     * the instance and its AZ (see `server/`)
     */
    userData?: pulumi.Input<string>;
    /**
     * Files and a script added to the default user data, after the sample app's bootstrap (e.g. the
     * CloudWatch agent from `cloudWatchAgentUserData`). Ignored when `userData` is given.
     * @default none
     */
    userDataExtras?: UserDataExtras;
    /**
     * Root volume size in GiB (encrypted gp3).
     * @default 16
     */
    rootVolumeSizeGb?: number;
    /**
     * More IAM policy ARNs for the instance role (SSM Session Manager is always attached).
     * @default []
     */
    policyArns?: pulumi.Input<string>[];
    /**
     * The database the app uses (a `Database`'s `connection`). When given:
     * - the default user data hands the app the writer and reader endpoints, the port, the database
     *   name and the secret's ARN (`db` in `/etc/ha-webstack/app.json`); own `userData` is left as is;
     * - either way, the instance role gets an inline policy allowing `secretsmanager:GetSecretValue`
     *   and `secretsmanager:DescribeSecret` on that one secret only (the app reads it with the AWS CLI).
     * The network path is the `Database`'s job: `db.allowClient(name, pool.securityGroup.id)`.
     * @default none: no database settings, no secret access
     */
    database?: ServerPoolDatabase;
    /**
     * Tags added to every resource, and propagated to the instances.
     * @default none
     */
    tags?: Tags;
}
