/**
 * Which AZs the network spans when the stack's servers and database need particular offerings: not
 * every AZ of a region offers every instance type or DB class (in us-east-1, one AZ refuses most
 * current-generation types in most accounts), and an AZ that does not would leave a pool or a
 * replica unlaunchable. No resources: the offerings are looked up by the caller.
 * https://docs.aws.amazon.com/ec2/latest/instancetypes/ec2-instance-regions.html
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { invalid, ValidationError } from "../shared/validation";
import { pickAvailabilityZones } from "./subnets";

/** Something the network's AZs must all offer, and the AZs that offer it. */
export interface ZoneOffering {
    /** What needs it, for messages: `instance type t4g.micro`, `DB instance class db.t4g.micro`. */
    what: pulumi.Input<string>;
    /** The AZ names that offer it (e.g. `aws.ec2.getInstanceTypeOfferings` by availability zone). */
    zones: pulumi.Input<string[]>;
}

/** A {@link ZoneOffering} once its inputs have resolved. */
export interface ResolvedZoneOffering {
    what: string;
    zones: string[];
}

/** Checks the offerings argument (a list of `{ what, zones }`), before anything is looked up. */
export function validateZoneOfferings(key: string, offerings: unknown): ZoneOffering[] {
    if (offerings === undefined) {
        return [];
    }
    if (!Array.isArray(offerings)) {
        throw invalid(key, offerings, "a list of { what, zones }: what must be offered, and the AZs that offer it");
    }
    offerings.forEach((o, i) => {
        if (typeof o !== "object" || o === null || o.what === undefined || o.zones === undefined) {
            throw invalid(`${key}[${i}]`, o, "{ what, zones }: what must be offered, and the AZs that offer it");
        }
    });
    return offerings as ZoneOffering[];
}

/** The offerings with their inputs resolved. */
export function resolveZoneOfferings(offerings: ZoneOffering[]): pulumi.Output<ResolvedZoneOffering[]> {
    return pulumi.output(
        offerings.map((o) => pulumi.all([o.what, o.zones]).apply(([what, zones]) => ({ what, zones }))),
    );
}

/** What `zone` lacks of `offerings`. */
function missingIn(zone: string, offerings: ResolvedZoneOffering[]): string[] {
    return offerings.filter((o) => !o.zones.includes(zone)).map((o) => o.what);
}

/**
 * The first `count` AZs (in name order) that offer everything; an error naming each refused AZ and
 * what it lacks when fewer than `count` do.
 */
export function chooseZones(available: string[], count: number, offerings: ResolvedZoneOffering[]): string[] {
    // A region with fewer AZs than asked for: that error first (pickAvailabilityZones throws).
    const sorted = pickAvailabilityZones(available, available.length);
    pickAvailabilityZones(sorted, count);
    const offering = sorted.filter((zone) => missingIn(zone, offerings).length === 0);
    if (offering.length < count) {
        const refused = sorted
            .filter((zone) => !offering.includes(zone))
            .map((zone) => `${zone} does not offer ${missingIn(zone, offerings).join(" or ")}`);
        throw new ValidationError(
            `azCount=${count} is not valid here: only ${offering.length} of the region's ${sorted.length} available AZs ` +
                `offer everything the stack needs (${offering.join(", ") || "none"}); ${refused.join("; ")}. ` +
                "Lower azCount, or choose an instance type and DB class that more AZs offer.",
        );
    }
    return offering.slice(0, count);
}

/** Explicit AZs as given, when each offers everything; otherwise an error naming each AZ and what it lacks. */
export function checkZones(zones: string[], offerings: ResolvedZoneOffering[], key: string): string[] {
    const refused = zones
        .map((zone) => ({ zone, missing: missingIn(zone, offerings) }))
        .filter((z) => z.missing.length > 0);
    if (refused.length > 0) {
        throw new ValidationError(
            `${key}=${JSON.stringify(zones)} is not valid: ` +
                refused.map(({ zone, missing }) => `${zone} does not offer ${missing.join(" or ")}`).join("; ") +
                ". Choose other AZs, or an instance type and DB class they offer.",
        );
    }
    return zones;
}

/**
 * The network's AZs: `explicit` checked against the offerings, or the region's first `azCount`
 * available AZs (needing no opt-in) that offer everything.
 */
export function networkAvailabilityZones(
    explicit: string[] | undefined,
    azCount: number,
    offerings: ZoneOffering[],
    parent: pulumi.Resource,
): pulumi.Output<string[]> {
    const resolved = resolveZoneOfferings(offerings);
    if (explicit) {
        return resolved.apply((o) => checkZones(explicit, o, "availabilityZones"));
    }
    const available = aws.getAvailabilityZonesOutput(
        { state: "available", filters: [{ name: "opt-in-status", values: ["opt-in-not-required"] }] },
        { parent },
    ).names;
    return pulumi.all([available, resolved]).apply(([names, o]) => chooseZones(names, azCount, o));
}
