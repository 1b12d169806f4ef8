/**
 * The rollout starter (lambda/rollout/): its decision, and its handler against a mocked Auto
 * Scaling API, run both from the source and from the bundle that the function ships.
 */
import {
    AutoScalingClient,
    DescribeAutoScalingGroupsCommand,
    DescribeInstanceRefreshesCommand,
    StartInstanceRefreshCommand,
} from "@aws-sdk/client-auto-scaling";
import { mockClient } from "aws-sdk-client-mock";
import { rolloutHandlerBundle } from "../components/serverPool/rolloutStarter";
import { decide, parseRequest, RolloutRequest } from "../lambda/rollout/decide";
import { startRollout } from "../lambda/rollout/handler";

const GROUP = "prod-active-0a1b2c3d";
const request = (version = "7"): RolloutRequest => ({
    autoScalingGroupName: GROUP,
    launchTemplate: { id: "lt-0abc", version },
    preferences: {
        minHealthyPercentage: 100,
        maxHealthyPercentage: 200,
        instanceWarmup: 120,
        checkpointPercentages: [50, 100],
        checkpointDelay: 300,
        skipMatching: true,
        autoRollback: true,
        alarms: ["prod-monitoring-alb-5xx-rate"],
    },
});
const onVersion = (version: string) => ({ launchTemplate: { id: "lt-0abc", version } });

describe("the rollout starter's decision", () => {
    it("should start a refresh when the group runs another version and no refresh runs", () => {
        expect(decide(request("7"), onVersion("6"), [{ id: "r-old", status: "Successful" }])).toEqual({
            action: "start",
            reason: "the group runs launch template lt-0abc version 6; rolling out launch template lt-0abc version 7",
        });
        // A refresh that rolled back (the group is still on 6) does not count as done.
        expect(
            decide(request("7"), onVersion("6"), [
                { id: "r-1", status: "RollbackSuccessful", desired: { id: "lt-0abc", version: "7" } },
            ]).action,
        ).toBe("start");
    });

    it("should do nothing when the group already runs that version (a new group, a refresh that succeeded)", () => {
        expect(decide(request("7"), onVersion("7"), [])).toEqual({
            action: "none",
            reason: "the group already runs launch template lt-0abc version 7",
        });
    });

    it("should leave a refresh alone that already rolls that version out (the invocation ran twice)", () => {
        const running = { id: "r-2", status: "InProgress", desired: { id: "lt-0abc", version: "7" } };
        expect(decide(request("7"), onVersion("6"), [running])).toEqual({
            action: "none",
            reason: "instance refresh r-2 (InProgress) already rolls out launch template lt-0abc version 7",
            instanceRefreshId: "r-2",
        });
    });

    it.each(["Pending", "InProgress", "Cancelling", "RollbackInProgress", "Baking"])(
        "should refuse while another version's refresh is %s, naming it and how to cancel it",
        (status) => {
            const other = { id: "r-3", status, desired: { id: "lt-0abc", version: "6" } };
            expect(() => decide(request("7"), onVersion("5"), [other])).toThrow(
                `Auto Scaling group ${GROUP} has instance refresh r-3 ${status}, rolling out launch template lt-0abc ` +
                    `version 6; launch template lt-0abc version 7 cannot start until it ends. Wait for it, or cancel it ` +
                    `(aws autoscaling cancel-instance-refresh --auto-scaling-group-name ${GROUP}), then run pulumi up again`,
            );
        },
    );

    it("should treat a group it cannot find as an error, never as nothing to roll", () => {
        expect(() => decide(request(), undefined, [])).toThrow(
            `Auto Scaling group ${GROUP} was not found: cannot roll out launch template lt-0abc version 7`,
        );
    });

    it.each([
        [
            { ...request(), launchTemplate: { id: "lt-0abc", version: "$Latest" } },
            'launchTemplate.version must be a launch template version number, got "$Latest"',
        ],
        [{ ...request(), autoScalingGroupName: "" }, 'autoScalingGroupName must be a non-empty string, got ""'],
        [
            { ...request(), preferences: { ...request().preferences, autoRollback: "yes" } },
            'preferences.autoRollback must be true or false, got "yes"',
        ],
        [
            { ...request(), preferences: { ...request().preferences, alarms: [1] } },
            "preferences.alarms[0] must be a non-empty string, got 1",
        ],
        ["go", 'the event must be an object, got "go"'],
    ])("should refuse a malformed request %#, naming the field", (event, message) => {
        expect(() => parseRequest(event)).toThrow(`rollout request: ${message}`);
    });
});

describe("the rollout starter's handler against a mocked Auto Scaling API", () => {
    const autoscaling = mockClient(AutoScalingClient);
    afterEach(() => autoscaling.reset());
    const group = (version: string) =>
        autoscaling.on(DescribeAutoScalingGroupsCommand, { AutoScalingGroupNames: [GROUP] }).resolves({
            AutoScalingGroups: [
                {
                    AutoScalingGroupName: GROUP,
                    LaunchTemplate: { LaunchTemplateId: "lt-0abc", Version: version },
                } as never,
            ],
        });

    it("should start the refresh with the new version as its desired configuration and the preferences", async () => {
        group("6");
        autoscaling.on(DescribeInstanceRefreshesCommand).resolves({ InstanceRefreshes: [] });
        autoscaling.on(StartInstanceRefreshCommand).resolves({ InstanceRefreshId: "r-new" });
        const lines: Record<string, unknown>[] = [];
        const result = await startRollout(new AutoScalingClient({}), request("7"), (l) => lines.push(l));
        expect(result).toMatchObject({ action: "started", instanceRefreshId: "r-new" });
        expect(autoscaling.commandCalls(StartInstanceRefreshCommand).map((c) => c.args[0].input)).toEqual([
            {
                AutoScalingGroupName: GROUP,
                Strategy: "Rolling",
                // The group stays on 6: AWS rolls back to it if the refresh fails or an alarm fires.
                DesiredConfiguration: { LaunchTemplate: { LaunchTemplateId: "lt-0abc", Version: "7" } },
                Preferences: {
                    MinHealthyPercentage: 100,
                    MaxHealthyPercentage: 200,
                    InstanceWarmup: 120,
                    CheckpointPercentages: [50, 100],
                    CheckpointDelay: 300,
                    SkipMatching: true,
                    AutoRollback: true,
                    AlarmSpecification: { Alarms: ["prod-monitoring-alb-5xx-rate"] },
                },
            },
        ]);
        expect(lines).toEqual([expect.objectContaining({ event: "rollout-started", instanceRefreshId: "r-new" })]);
    });

    it("should not start anything when the group already runs the version", async () => {
        group("7");
        autoscaling.on(DescribeInstanceRefreshesCommand).resolves({ InstanceRefreshes: [] });
        const result = await startRollout(new AutoScalingClient({}), request("7"));
        expect(result.action).toBe("none");
        expect(autoscaling.commandCalls(StartInstanceRefreshCommand)).toHaveLength(0);
    });

    it("should fail, and start nothing, when Auto Scaling cannot be read (an error is unknown, not 'nothing to do')", async () => {
        autoscaling.on(DescribeAutoScalingGroupsCommand).rejects(new Error("Rate exceeded"));
        await expect(startRollout(new AutoScalingClient({}), request("7"))).rejects.toThrow("Rate exceeded");
        group("6");
        autoscaling.on(DescribeInstanceRefreshesCommand).rejects(new Error("AccessDenied"));
        await expect(startRollout(new AutoScalingClient({}), request("7"))).rejects.toThrow("AccessDenied");
        expect(autoscaling.commandCalls(StartInstanceRefreshCommand)).toHaveLength(0);
    });

    it("should work the same from the bundle the function ships (its entry point, handler)", async () => {
        group("6");
        autoscaling
            .on(DescribeInstanceRefreshesCommand)
            .resolves({ InstanceRefreshes: [{ InstanceRefreshId: "r-1", Status: "RollbackSuccessful" }] });
        autoscaling.on(StartInstanceRefreshCommand).resolves({ InstanceRefreshId: "r-bundled" });
        // The bundle leaves @aws-sdk/* to the runtime: here, the mocked client's package; nothing else.
        const required = new Set<string>();
        const bundled = { exports: {} as { handler?: (event: unknown) => Promise<unknown> } };
        new Function("module", "exports", "require", rolloutHandlerBundle())(bundled, bundled.exports, (id: string) => {
            required.add(id);
            // eslint-disable-next-line @typescript-eslint/no-require-imports
            return require(id);
        });
        expect([...required]).toEqual(["@aws-sdk/client-auto-scaling"]);
        const log = jest.spyOn(console, "log").mockImplementation(() => undefined);
        try {
            const result = await bundled.exports.handler!(JSON.parse(JSON.stringify(request("7"))));
            expect(result).toMatchObject({ action: "started", instanceRefreshId: "r-bundled" });
            expect(JSON.parse(log.mock.calls[0][0])).toMatchObject({ event: "rollout-started" });
        } finally {
            log.mockRestore();
        }
        expect(autoscaling.commandCalls(StartInstanceRefreshCommand)).toHaveLength(1);
    });
});
