/**
 * The launch lifecycle hook and the server bundle as a ServerPool registers them (under mocks);
 * what the loader does with them on an instance runs for real in server.test.ts.
 */
import { ServerPool, ServerPoolArgs } from "../components/serverPool";
import { BUNDLE_KEY, buildServerBundle } from "../components/serverPool/bundle";
import * as fs from "fs";
import * as path from "path";
import {
    autoScalingGroupName,
    DOWNLOAD_BUDGET_SECONDS,
    DOWNLOAD_TIMEOUT_SECONDS,
    LAUNCH_HOOK_HEARTBEAT_SECONDS,
    LAUNCH_HOOK_NAME,
    POOL_TAG_KEY,
    READY_TIMEOUT_SECONDS,
} from "../components/serverPool/lifecycle";
import { Evaluation, evaluate } from "../scripts/offline";
import { runPolicyPack } from "../scripts/plan/policyReport";
import { T, ofType, only, userDataOf } from "./helpers";

const base: ServerPoolArgs = {
    vpcId: "vpc-1",
    subnetIds: ["subnet-private-a"],
    targetGroupArn: "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/act-x/0123",
    loadBalancerSecurityGroupId: "sg-alb",
};
const build = (args: Partial<ServerPoolArgs> = {}) =>
    evaluate(() => new ServerPool("pool", { ...base, ...args }), { stack: "test" });
const BUCKET = "aws:s3/bucket:Bucket";
const OBJECT = "aws:s3/bucketObjectv2:BucketObjectv2";

describe("ServerPool: ready before traffic, booted from its own bucket", () => {
    let ev: Evaluation;
    beforeAll(async () => {
        ev = await build();
    });

    it("should hold each new instance in a launch hook that abandons by default", () => {
        const asg = only(ev, T.asg);
        expect(asg.inputs.initialLifecycleHooks).toEqual([
            {
                name: LAUNCH_HOOK_NAME,
                lifecycleTransition: "autoscaling:EC2_INSTANCE_LAUNCHING",
                defaultResult: "ABANDON",
                heartbeatTimeout: LAUNCH_HOOK_HEARTBEAT_SECONDS,
            },
        ]);
        // The heartbeat covers the loader's own waits (the bundle download's attempts, then the
        // wait for nginx and the app), so the loader's ABANDON comes first.
        expect(LAUNCH_HOOK_HEARTBEAT_SECONDS).toBeGreaterThan(DOWNLOAD_BUDGET_SECONDS + READY_TIMEOUT_SECONDS);
        const loader = fs.readFileSync(path.join(__dirname, "..", "server", "loader.sh"), "utf8");
        expect(loader).toContain(`HA_DOWNLOAD_TIMEOUT="\${HA_DOWNLOAD_TIMEOUT:-${DOWNLOAD_TIMEOUT_SECONDS}}"`);
        expect(loader).toContain(`HA_READY_TIMEOUT="\${HA_READY_TIMEOUT:-${READY_TIMEOUT_SECONDS}}"`);
        // A deterministic name, known before the group exists, and the pool's tag on the group.
        expect(asg.inputs.name).toBe(autoScalingGroupName("ha-webstack", "test", "pool"));
        expect(asg.inputs.name).toMatch(/^pool-[0-9a-f]{8}$/);
        expect(asg.inputs.tags).toContainEqual({
            key: POOL_TAG_KEY,
            value: "ha-webstack/test/pool",
            propagateAtLaunch: true,
        });
        // The user data completes that hook of that group.
        const script = userDataOf(only(ev, T.launchTemplate));
        expect(script).toContain(`HA_ASG_NAME='${asg.inputs.name}'`);
        expect(script).toContain(`HA_HOOK_NAME='${LAUNCH_HOOK_NAME}'`);
    });

    it("should let the instances complete their own group's hook and nothing more, before the group launches", () => {
        const asg = only(ev, T.asg);
        const policy = only(ev, T.rolePolicy, "-launch-hook");
        expect(policy.inputs.role).toBe(only(ev, T.role, "pool-role").state.name);
        expect(JSON.parse(policy.inputs.policy).Statement).toEqual([
            {
                Sid: "CompleteOwnLaunchHook",
                Effect: "Allow",
                Action: "autoscaling:CompleteLifecycleAction",
                Resource: `arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:*:autoScalingGroupName/${asg.inputs.name}`,
                Condition: { StringEquals: { [`autoscaling:ResourceTag/${POOL_TAG_KEY}`]: "ha-webstack/test/pool" } },
            },
        ]);
        // The group waits for both permissions: its first instances use them at once.
        expect(asg.options.dependencies).toEqual(
            expect.arrayContaining([policy.urn, only(ev, T.rolePolicy, "-bundle-read").urn]),
        );
    });

    it("should keep the bundle as one versioned object in a private, encrypted, TLS-only bucket", () => {
        const bucket = only(ev, BUCKET, "-bundle");
        const object = only(ev, OBJECT, "-bundle");
        const bundle = buildServerBundle();
        expect(object.inputs).toMatchObject({
            bucket: bucket.id,
            key: BUNDLE_KEY,
            contentBase64: bundle.archive.toString("base64"),
            checksumAlgorithm: "SHA256",
            serverSideEncryption: "AES256",
        });
        expect(only(ev, "aws:s3/bucketVersioning:BucketVersioning").inputs.versioningConfiguration).toEqual({
            status: "Enabled",
        });
        const lifecycle = only(ev, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration");
        expect(lifecycle.inputs.rules[0].noncurrentVersionExpiration).toEqual({
            noncurrentDays: 90,
            newerNoncurrentVersions: 10,
        });
        // The policy pack's S3 rules (public access block, encryption, TLS-only) hold for it.
        const report = runPolicyPack(ev.resources);
        expect(report.mandatory.filter((f) => /s3/.test(f.policy))).toEqual([]);
        // The role reads that one object, any version, and nothing else in S3.
        expect(JSON.parse(only(ev, T.rolePolicy, "-bundle-read").inputs.policy).Statement).toEqual([
            {
                Sid: "ReadServerBundle",
                Effect: "Allow",
                Action: ["s3:GetObject", "s3:GetObjectVersion"],
                Resource: `${bucket.state.arn}/${BUNDLE_KEY}`,
            },
        ]);
        // The launch template names the version and the hash: a bundle change rolls the servers.
        const script = userDataOf(only(ev, T.launchTemplate));
        expect(script).toContain(`HA_BUNDLE_BUCKET='${bucket.state.bucket}'`);
        expect(script).toContain(`HA_BUNDLE_VERSION='${object.state.versionId}'`);
        expect(script).toContain(`HA_BUNDLE_SHA256='${bundle.sha256}'`);
    });

    it("should give the same launch template bytes on a second evaluation (no roll without a change)", async () => {
        const again = await build();
        expect(only(again, T.launchTemplate).inputs.userData).toBe(only(ev, T.launchTemplate).inputs.userData);
        expect(only(again, OBJECT).inputs.contentBase64).toBe(only(ev, OBJECT).inputs.contentBase64);
    });

    it("should add neither hook nor bundle to a pool with its own user data (nothing would complete the hook)", async () => {
        const own = await build({ userData: "#!/bin/bash\necho own\n" });
        const asg = only(own, T.asg);
        expect(asg.inputs.initialLifecycleHooks).toBeUndefined();
        expect(asg.inputs.name).toBeUndefined();
        expect(ofType(own, BUCKET)).toEqual([]);
        const instanceRole = only(own, T.role, "pool-role").state.name;
        expect(ofType(own, T.rolePolicy).filter((p) => p.inputs.role === instanceRole)).toEqual([]);
    });
});
