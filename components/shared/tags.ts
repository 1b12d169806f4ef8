import * as pulumi from "@pulumi/pulumi";

/** Tags every resource of the library carries, plus the user's own. */
export type Tags = Record<string, string>;

/** The user's tags with a `Name` tag, which is what the EC2 console shows. */
export function named(tags: Tags | undefined, name: pulumi.Input<string>): pulumi.Input<Tags> {
    return pulumi.output(name).apply((n) => ({ ...(tags ?? {}), Name: n }));
}
