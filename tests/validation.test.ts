import { subnetLayout, pickAvailabilityZones } from "../components/network";
import { amazonLinuxParameter, isArmInstanceType } from "../components/serverPool";
import {
    acmCertificateArn,
    booleanValue,
    instanceType,
    integerIn,
    ipv4Cidr,
    oneOf,
    subnetOf,
    ValidationError,
} from "../components/shared/validation";
import { poolPlacement } from "../components/webStack";

describe("validators", () => {
    it("should name the key, the value and what is allowed", () => {
        expect(() => oneOf("ha-webstack:mode", "active-pasive", ["active-passive", "active-active"])).toThrow(
            "ha-webstack:mode=active-pasive is not valid: expected one of active-passive, active-active",
        );
    });

    it.each([["two"], ["1.5"], ["1e3"], [""], [" "], ["-1"], ["16"]])(
        "should reject %j as an integer from 0 to 15",
        (raw) => {
            expect(() => integerIn("k", raw, 0, 15)).toThrow(ValidationError);
            expect(() => integerIn("k", raw, 0, 15)).toThrow(/an integer from 0 to 15/);
        },
    );

    it("should accept integers given as numbers or decimal strings", () => {
        expect(integerIn("k", "15", 0, 15)).toBe(15);
        expect(integerIn("k", 0, 0, 15)).toBe(0);
        expect(integerIn("k", " 3 ", 0, 15)).toBe(3);
    });

    it("should check CIDR blocks, including host bits and prefix bounds", () => {
        expect(ipv4Cidr("k", "10.0.0.0/16")).toBe("10.0.0.0/16");
        expect(() => ipv4Cidr("k", "10.0.0.1/16")).toThrow(/did you mean 10.0.0.0\/16/);
        expect(() => ipv4Cidr("k", "10.0.0.0/33")).toThrow(/k=10.0.0.0\/33/);
        expect(() => ipv4Cidr("k", "256.0.0.0/8")).toThrow(ValidationError);
        expect(() => ipv4Cidr("k", "10.0.0.0")).toThrow(ValidationError);
        expect(() => ipv4Cidr("k", "10.0.0.0/8", 16, 23)).toThrow(/prefix from \/16 to \/23/);
        expect(ipv4Cidr("k", "0.0.0.0/0")).toBe("0.0.0.0/0");
    });

    it("should accept only ACM certificate ARNs", () => {
        const good = "arn:aws:acm:eu-west-1:123456789012:certificate/0a1b2c3d-0000-4000-8000-000000000000";
        expect(acmCertificateArn("k", good)).toBe(good);
        expect(() => acmCertificateArn("k", "arn:aws:iam::123456789012:server-certificate/x")).toThrow(
            /an ACM certificate ARN/,
        );
        expect(() => acmCertificateArn("k", "my-cert")).toThrow(/k=my-cert/);
    });

    it("should accept EC2 instance types but not RDS classes", () => {
        expect(instanceType("k", "m7i-flex.large")).toBe("m7i-flex.large");
        expect(() => instanceType("k", "db.t4g.micro")).toThrow(/EC2 instance type/);
        expect(() => instanceType("k", "large")).toThrow(ValidationError);
    });

    it("should read booleans strictly", () => {
        expect(booleanValue("k", "true")).toBe(true);
        expect(booleanValue("k", false)).toBe(false);
        expect(() => booleanValue("k", "yes")).toThrow("k=yes is not valid: expected true or false");
    });
});

describe("subnet arithmetic", () => {
    it("should carve the n-th block like Terraform's cidrsubnet", () => {
        expect(subnetOf("10.0.0.0/16", 21, 0)).toBe("10.0.0.0/21");
        expect(subnetOf("10.0.0.0/16", 21, 9)).toBe("10.0.72.0/21");
        expect(subnetOf("192.168.0.0/23", 28, 31)).toBe("192.168.1.240/28");
        expect(() => subnetOf("10.0.0.0/16", 21, 32)).toThrow(/out of range/);
    });

    it.each([2, 3, 6])("should give %i AZs disjoint blocks inside the VPC", (azCount) => {
        const layout = subnetLayout("10.20.0.0/16", azCount);
        const all = [...layout.public, ...layout.private, ...layout.isolated];
        expect(layout.public).toHaveLength(azCount);
        expect(new Set(all).size).toBe(all.length);
        for (const cidr of all) {
            expect(cidr).toMatch(/^10\.20\.\d+\.0\/21$/);
        }
    });

    it("should pick the region's first AZs and fail clearly when there are too few", () => {
        expect(pickAvailabilityZones(["us-west-2c", "us-west-2a", "us-west-2b"], 2)).toEqual([
            "us-west-2a",
            "us-west-2b",
        ]);
        expect(() => pickAvailabilityZones(["x-1a", "x-1b"], 3)).toThrow(
            "azCount=3 is not valid here: the region has only 2 available AZs (x-1a, x-1b)",
        );
    });
});

describe("server placement", () => {
    it.each([
        ["t4g.micro", true],
        ["m7gd.large", true],
        ["c6gn.xlarge", true],
        ["a1.medium", true],
        ["t3.micro", false],
        ["g4dn.xlarge", false],
        ["m7i-flex.large", false],
    ])("should tell whether %s is Graviton (%s)", (type, arm) => {
        expect(isArmInstanceType(type)).toBe(arm);
        expect(amazonLinuxParameter(type)).toBe(
            `/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-${arm ? "arm64" : "x86_64"}`,
        );
    });

    it("should put the active and failover pools in different AZs", () => {
        expect(poolPlacement("active-passive", 2)).toEqual([
            { role: "active", azIndexes: [0] },
            { role: "failover", azIndexes: [1] },
        ]);
        expect(poolPlacement("active-passive", 3)).toEqual([
            { role: "active", azIndexes: [0, 1] },
            { role: "failover", azIndexes: [2] },
        ]);
        expect(poolPlacement("active-active", 3)).toEqual([{ role: "web", azIndexes: [0, 1, 2] }]);
    });
});
