import * as pulumi from "@pulumi/pulumi";
import { checkZones, chooseZones, Network, networkAvailabilityZones, ZoneOffering } from "../components/network";
import { orderableDbQuery, stackZoneOfferings } from "../components/webStack/placement";
import { EvaluateOptions, Evaluation, evaluate } from "../scripts/offline";
import { expectRejectedBeforeCreate, T, ofType, only, resolveRef, stackConfig } from "./helpers";

import program = require("../index");

const OFFERINGS = "aws:ec2/getInstanceTypeOfferings:getInstanceTypeOfferings";
const ORDERABLE = "aws:rds/getOrderableDbInstance:getOrderableDbInstance";

/** Mock answers in which `typeRefusedIn` does not offer the instance type and `dbRefusedIn` not the DB class. */
function refusing(typeRefusedIn: string[], dbRefusedIn: string[], seen: Record<string, any>[] = []) {
    const calls: EvaluateOptions["calls"] = {
        [OFFERINGS]: (inputs, answer) => {
            seen.push({ token: OFFERINGS, ...inputs });
            const keep = answer.locations.map((zone: string) => !typeRefusedIn.includes(zone));
            const pick = (list: string[]) => list.filter((_, i) => keep[i]);
            return {
                ...answer,
                locations: pick(answer.locations),
                instanceTypes: pick(answer.instanceTypes),
                locationTypes: pick(answer.locationTypes),
            };
        },
        [ORDERABLE]: (inputs, answer) => {
            seen.push({ token: ORDERABLE, ...inputs });
            return {
                ...answer,
                availabilityZones: answer.availabilityZones.filter((zone: string) => !dbRefusedIn.includes(zone)),
            };
        },
    };
    return calls;
}

const offered = (what: string, zones: string[]) => ({ what, zones });
const ALL = ["us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d", "us-east-1e", "us-east-1f"];
const WITHOUT_E = ALL.filter((z) => z !== "us-east-1e");

describe("placement", () => {
    describe("choosing AZs (pure)", () => {
        it("should take the first AZs in name order that offer everything", () => {
            const offerings = [
                offered("instance type m7g.large", WITHOUT_E),
                offered("DB instance class db.m7g.large", ALL),
            ];
            expect(chooseZones([...ALL].reverse(), 5, offerings)).toEqual([
                "us-east-1a",
                "us-east-1b",
                "us-east-1c",
                "us-east-1d",
                "us-east-1f",
            ]);
            expect(chooseZones(ALL, 2, [])).toEqual(["us-east-1a", "us-east-1b"]);
        });

        it("should name each refused AZ and what it lacks when too few offer everything", () => {
            const offerings = [
                offered("instance type m7g.large", WITHOUT_E),
                offered(
                    "DB instance class db.m7g.large (MySQL 8.4)",
                    ALL.filter((z) => z !== "us-east-1b"),
                ),
            ];
            expect(() => chooseZones(ALL, 5, offerings)).toThrow(
                "azCount=5 is not valid here: only 4 of the region's 6 available AZs offer everything the stack needs " +
                    "(us-east-1a, us-east-1c, us-east-1d, us-east-1f); us-east-1b does not offer DB instance class " +
                    "db.m7g.large (MySQL 8.4); us-east-1e does not offer instance type m7g.large.",
            );
            // A region with too few AZs at all keeps its own message.
            expect(() => chooseZones(["x-1a", "x-1b"], 3, offerings)).toThrow("the region has only 2 available AZs");
        });

        it("should check explicit AZs and name the AZ and the type it lacks", () => {
            const offerings = [offered("instance type m7g.large", WITHOUT_E)];
            expect(checkZones(["us-east-1a", "us-east-1b"], offerings, "availabilityZones")).toEqual([
                "us-east-1a",
                "us-east-1b",
            ]);
            expect(() => checkZones(["us-east-1a", "us-east-1e"], offerings, "availabilityZones")).toThrow(
                'availabilityZones=["us-east-1a","us-east-1e"] is not valid: us-east-1e does not offer instance type m7g.large.',
            );
        });

        it("should reject offerings that are not a list of { what, zones } before creating anything", async () => {
            const build = (offerings: unknown) =>
                evaluate(() => new Network("net", { offerings: offerings as ZoneOffering[] }), { stack: "test" });
            await expectRejectedBeforeCreate(
                build("t4g.micro"),
                "Network args.offerings=t4g.micro is not valid: expected a list of { what, zones }",
            );
            await expectRejectedBeforeCreate(
                build([{ what: "instance type t4g.micro" }]),
                'Network args.offerings[0]={"what":"instance type t4g.micro"} is not valid: expected { what, zones }',
            );
        });

        it("should ask RDS for an exact version as it is, and for the latest one of a major version", () => {
            expect(orderableDbQuery("db.t4g.micro", "8.0.39")).toEqual({
                engine: "mysql",
                instanceClass: "db.t4g.micro",
                storageType: "gp3",
                vpc: true,
                engineVersion: "8.0.39",
            });
            expect(orderableDbQuery("db.t4g.micro", "8.4")).toEqual({
                engine: "mysql",
                instanceClass: "db.t4g.micro",
                storageType: "gp3",
                vpc: true,
                engineLatestVersion: true,
                preferredInstanceClasses: ["db.t4g.micro"],
            });
        });
    });

    describe("under Pulumi.prod.yaml with azCount 4, us-east-1e refusing m7g.large and us-east-1b db.m7g.large", () => {
        let ev: Evaluation;
        const seen: Record<string, any>[] = [];
        beforeAll(async () => {
            ev = await evaluate(program, {
                stack: "prod",
                config: stackConfig("prod", { azCount: "4" }),
                calls: refusing(["us-east-1e"], ["us-east-1b"], seen),
            });
        });

        it("should look up the instance type by AZ and the DB class for MySQL on gp3", () => {
            expect(seen.filter((c) => c.token === OFFERINGS)).toEqual([
                {
                    token: OFFERINGS,
                    locationType: "availability-zone",
                    filters: [{ name: "instance-type", values: ["m7g.large"] }],
                },
            ]);
            expect(seen.filter((c) => c.token === ORDERABLE)).toEqual([
                { token: ORDERABLE, ...orderableDbQuery("db.m7g.large", "8.4") },
            ]);
        });

        it("should build every tier in the AZs that offer both, and put the failover pool in one of them", () => {
            const zones = ["us-east-1a", "us-east-1c", "us-east-1d", "us-east-1f"];
            for (const tier of ["public", "private", "isolated"]) {
                expect(
                    ofType(ev, T.subnet)
                        .filter((s) => s.inputs.tags.Tier === tier)
                        .map((s) => s.inputs.availabilityZone),
                ).toEqual(zones);
            }
            const azs = (suffix: string) =>
                only(ev, T.asg, suffix).inputs.vpcZoneIdentifiers.map(
                    (id: string) => resolveRef(ev, id)?.inputs.availabilityZone,
                );
            expect(azs("-active-asg")).toEqual(["us-east-1a", "us-east-1c", "us-east-1d"]);
            expect(azs("-failover-asg")).toEqual(["us-east-1f"]);
            const replicas = ofType(ev, "aws:rds/instance:Instance")
                .map((db) => db.inputs.availabilityZone)
                .filter(Boolean);
            expect(replicas.every((z: string) => zones.includes(z))).toBe(true);
        });
    });

    describe("refusals under mocks (the lookups and the choice the network makes)", () => {
        // An error in an Output that resources wait on escapes a jest test as unhandled rejections,
        // so these evaluate the network's AZ choice itself, on the same lookups, with nothing waiting on it.
        const zonesUnderMocks = async (
            explicit: string[] | undefined,
            azCount: number,
            calls: EvaluateOptions["calls"],
        ): Promise<string[]> => {
            let zones: Promise<string[]> | undefined;
            await evaluate(
                () => {
                    const parent = new pulumi.ComponentResource("test:index:Placement", "placement");
                    const offerings = stackZoneOfferings(
                        { instanceType: "m7g.large", dbInstanceClass: "db.m7g.large", dbEngineVersion: "8.4" },
                        "WebStack args",
                        parent,
                    );
                    // The Output's own promises (internal but stable), observed as soon as they exist:
                    // the value's rejects with the choice's error, and the derived ones with it.
                    const output = networkAvailabilityZones(explicit, azCount, offerings, parent) as any;
                    [output.isKnown, output.isSecret, output.allResources()].forEach((p: Promise<unknown>) =>
                        p.catch(() => undefined),
                    );
                    zones = output.promise();
                    zones!.catch(() => undefined);
                },
                { stack: "prod", calls },
            );
            return zones!;
        };

        it("should choose the zones that offer both", async () => {
            expect(await zonesUnderMocks(undefined, 5, refusing(["us-east-1e"], []))).toEqual([
                "us-east-1a",
                "us-east-1b",
                "us-east-1c",
                "us-east-1d",
                "us-east-1f",
            ]);
        });

        it("should fail naming the zone and the type when too few offer them", async () => {
            await expect(zonesUnderMocks(undefined, 6, refusing(["us-east-1e"], []))).rejects.toThrow(
                "us-east-1e does not offer instance type m7g.large",
            );
            await expect(zonesUnderMocks(undefined, 5, refusing([], ["us-east-1a", "us-east-1b"]))).rejects.toThrow(
                "us-east-1a does not offer DB instance class db.m7g.large (MySQL 8.4); us-east-1b does not offer DB instance class db.m7g.large (MySQL 8.4)",
            );
        });

        it("should fail naming the explicit zone that does not offer the type", async () => {
            await expect(
                zonesUnderMocks(["us-east-1a", "us-east-1e"], 2, refusing(["us-east-1e"], [])),
            ).rejects.toThrow(
                'availabilityZones=["us-east-1a","us-east-1e"] is not valid: us-east-1e does not offer instance type m7g.large',
            );
        });
    });
});
