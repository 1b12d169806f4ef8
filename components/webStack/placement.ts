/**
 * What the stack's AZs must offer: the servers' instance type and the database's instance class.
 * Looked up at deploy time (EC2 `DescribeInstanceTypeOfferings` by availability zone, RDS
 * `DescribeOrderableDBInstanceOptions`), so the network takes only AZs that offer both, or fails
 * naming the AZ and the type (see components/network/zones.ts).
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeInstanceTypeOfferings.html
 * https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DescribeOrderableDBInstanceOptions.html
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { dbEngineVersion, dbInstanceClass, DEFAULT_ENGINE_VERSION, ENGINE_MAJOR_VERSIONS } from "../database";
import type { ZoneOffering } from "../network";
import { checkInput, instanceType as checkInstanceType } from "../shared/validation";

export interface PlacementNeeds {
    /** The servers' EC2 instance type. */
    instanceType: pulumi.Input<string>;
    /** The primary's and the replicas' RDS instance class. */
    dbInstanceClass: pulumi.Input<string>;
    /** The MySQL version: a major version (`8.4`) or an exact one (`8.4.6`). */
    dbEngineVersion: string;
}

/** The two offerings the stack's AZs need, each looked up by AZ under `parent`. */
export function stackZoneOfferings(needs: PlacementNeeds, label: string, parent: pulumi.Resource): ZoneOffering[] {
    // Checked here too: the lookups run before the pools and the database check their own args.
    const instanceType = checkInput(needs.instanceType, (t) => checkInstanceType(`${label}.instanceType`, t));
    const instanceClass = checkInput(needs.dbInstanceClass, (c) => dbInstanceClass(`${label}.dbInstanceClass`, c));
    const engineVersion = dbEngineVersion(`${label}.dbEngineVersion`, needs.dbEngineVersion);
    const servers = aws.ec2.getInstanceTypeOfferingsOutput(
        { locationType: "availability-zone", filters: [{ name: "instance-type", values: [instanceType] }] },
        { parent },
    );
    const database = pulumi
        .output(instanceClass)
        .apply((c) => aws.rds.getOrderableDbInstanceOutput(orderableDbQuery(c, engineVersion), { parent }));
    return [
        { what: pulumi.interpolate`instance type ${instanceType}`, zones: servers.locations },
        {
            what: pulumi.interpolate`DB instance class ${instanceClass} (MySQL ${engineVersion})`,
            zones: database.availabilityZones,
        },
    ];
}

/**
 * The RDS query for a class: MySQL on gp3 in a VPC. An exact version is asked for as it is; for a
 * major version (`8.4`), which RDS's filter does not match, the latest version RDS offers the class
 * in is taken (the provider's `engineLatestVersion`), whose AZs stand for the class's.
 */
export function orderableDbQuery(instanceClass: string, engineVersion: string = DEFAULT_ENGINE_VERSION) {
    const major = (ENGINE_MAJOR_VERSIONS as readonly string[]).includes(engineVersion);
    return {
        engine: "mysql",
        instanceClass,
        storageType: "gp3",
        vpc: true,
        ...(major ? { engineLatestVersion: true, preferredInstanceClasses: [instanceClass] } : { engineVersion }),
    };
}
