import { lambdaBundle } from "../shared/lambdaBundle";

const failover = lambdaBundle("failover");

/** Where a build of this package keeps the failover handler bundled ahead of time (see lambdaBundle.ts). */
export const PREBUILT_HANDLER = failover.prebuilt;

/** `lambda/failover/handler.ts` bundled into one CommonJS file (see lambdaBundle.ts). */
export function bundleHandler(): string {
    return failover.code();
}

/** Bundles the handler from its source, with esbuild. */
export function buildHandlerBundle(): string {
    return failover.build();
}

/** Writes the bundle a compiled copy of the package reads (see {@link PREBUILT_HANDLER}). */
export function writePrebuiltHandler(): void {
    failover.writePrebuilt();
}
