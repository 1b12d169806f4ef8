import { ServerPool, ServerPoolArgs } from "../components/serverPool";
import { renderUserData } from "../components/userData";
import { evaluate } from "../scripts/offline";
import { expectRejectedBeforeCreate, T, ofType, only, userDataOf } from "./helpers";

const base: ServerPoolArgs = {
    vpcId: "vpc-1",
    subnetIds: ["subnet-private-a"],
    targetGroupArn: "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/act-x/0123",
    loadBalancerSecurityGroupId: "sg-alb",
};
const build = (args: Partial<ServerPoolArgs> = {}) => evaluate(() => new ServerPool("pool", { ...base, ...args }), { stack: "test" });

describe("ServerPool", () => {
    it("should launch Amazon Linux 2023 with IMDSv2 only, an encrypted gp3 root and no key pair", async () => {
        const ev = await build();
        const lt = only(ev, T.launchTemplate);
        expect(lt.inputs.imageId).toBe("resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64");
        expect(lt.inputs.instanceType).toBe("t4g.micro");
        expect(lt.inputs.metadataOptions).toMatchObject({ httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1 });
        expect(lt.inputs.blockDeviceMappings).toEqual([
            { deviceName: "/dev/xvda", ebs: { volumeType: "gp3", volumeSize: 16, encrypted: "true", deleteOnTermination: "true" } },
        ]);
        expect(lt.inputs.keyName).toBeUndefined();
        expect(lt.inputs.vpcSecurityGroupIds).toEqual(["pool-sg"]);
        expect(lt.inputs.iamInstanceProfile.arn).toBe(only(ev, T.instanceProfile).state.arn);
    });

    it("should pick the x86_64 AMI for an Intel or AMD instance type", async () => {
        const ev = await build({ instanceType: "m7i.large" });
        expect(only(ev, T.launchTemplate).inputs.imageId).toBe("resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64");
    });

    it("should install nginx and the sample app by default, on the app port", async () => {
        const ev = await build({ appPort: 8080 });
        const script = userDataOf(only(ev, T.launchTemplate));
        // What the script does on a server is run for real in server.test.ts; here: it is that script.
        expect(script).toBe(renderUserData({ region: "us-east-1", stack: "test", appPort: 8080 }));
        expect(Buffer.byteLength(script)).toBeLessThan(16384);
    });

    it("should take the user's own user data and AMI as they are", async () => {
        const ev = await build({ userData: "#!/bin/bash\necho custom\n", imageId: "ami-0123456789abcdef0" });
        const lt = only(ev, T.launchTemplate);
        expect(userDataOf(lt)).toBe("#!/bin/bash\necho custom\n");
        expect(lt.inputs.imageId).toBe("ami-0123456789abcdef0");
    });

    it("should keep the Auto Scaling group in the target group with ELB health checks and a rolling refresh", async () => {
        const ev = await build({ size: 2, subnetIds: ["subnet-a", "subnet-b"] });
        const asg = only(ev, T.asg);
        expect(asg.inputs).toMatchObject({
            minSize: 2,
            desiredCapacity: 2,
            maxSize: 4,
            vpcZoneIdentifiers: ["subnet-a", "subnet-b"],
            targetGroupArns: [base.targetGroupArn],
            healthCheckType: "ELB",
            launchTemplate: { id: "pool-lt", version: "1" },
            instanceRefresh: { strategy: "Rolling", preferences: { minHealthyPercentage: 100 } },
        });
        expect(asg.inputs.tags).toContainEqual({ key: "Name", value: "pool", propagateAtLaunch: true });
    });

    it("should admit only the load balancer on the app port, and open the load balancer's egress to this pool only", async () => {
        const ev = await build({ appPort: 8080 });
        const ingress = ofType(ev, T.ingress);
        expect(ingress.map((r) => r.inputs)).toEqual([
            expect.objectContaining({ securityGroupId: "pool-sg", referencedSecurityGroupId: "sg-alb", ipProtocol: "tcp", fromPort: 8080, toPort: 8080 }),
        ]);
        expect(ingress[0].inputs.cidrIpv4).toBeUndefined();
        const egress = ofType(ev, T.egress).map((r) => r.inputs);
        expect(egress).toContainEqual(expect.objectContaining({ securityGroupId: "sg-alb", referencedSecurityGroupId: "pool-sg", fromPort: 8080, toPort: 8080 }));
        // The servers themselves may only speak HTTPS outwards: no port 22, no all-protocol rule.
        expect(egress.filter((r) => r.securityGroupId === "pool-sg")).toEqual([
            expect.objectContaining({ cidrIpv4: "0.0.0.0/0", ipProtocol: "tcp", fromPort: 443, toPort: 443 }),
        ]);
    });

    it("should give the instances SSM Session Manager and any extra policies, and nothing inline", async () => {
        const extra = "arn:aws:iam::123456789012:policy/extra";
        const ev = await build({ policyArns: [extra] });
        const role = only(ev, T.role);
        expect(JSON.parse(role.inputs.assumeRolePolicy).Statement).toEqual([
            { Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" },
        ]);
        expect(ofType(ev, T.policyAttachment).map((a) => a.inputs.policyArn).sort()).toEqual([extra, "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"]);
        expect(ofType(ev, T.rolePolicy)).toEqual([]);
    });

    it.each([
        [{ size: 0 }, "ServerPool args.size=0 is not valid: expected an integer from 1 to 100"],
        [{ size: 3, maxSize: 2 }, "ServerPool args.maxSize=2 is not valid: expected an integer from 3 to 200"],
        [{ instanceType: "db.t4g.micro" }, "ServerPool args.instanceType=db.t4g.micro is not valid: expected an EC2 instance type"],
        [{ imageId: "ubuntu" }, "ServerPool args.imageId=ubuntu is not valid: expected an AMI id"],
        [{ appPort: 0 }, "ServerPool args.appPort=0 is not valid"],
        [{ rootVolumeSizeGb: 4 }, "ServerPool args.rootVolumeSizeGb=4 is not valid: expected an integer from 8 to 16384"],
        [{ subnetIds: [] }, "ServerPool args.subnetIds=[] is not valid: expected at least one private subnet"],
    ])("should reject %j before creating anything", async (args, message) => {
        await expectRejectedBeforeCreate(build(args as any), message);
    });
});
