import * as fs from "fs";
import * as path from "path";

/**
 * A file shipped with the package, outside `components/`: `server/` (what runs on the servers)
 * and `lambda/` (the failover controller's source). Found from this file's directory, which is
 * `components/shared/` in the source tree and `dist/components/shared/` once compiled.
 */
export function packageFile(...parts: string[]): string {
    const candidates = [path.join(__dirname, "..", "..", ...parts), path.join(__dirname, "..", "..", "..", ...parts)];
    const found = candidates.find((file) => fs.existsSync(file));
    if (!found) {
        throw new Error(`ha-webstack: ${parts.join("/")} not found in ${candidates.join(" or ")}`);
    }
    return found;
}

/** The package's root directory (where package.json is). */
export function packageRoot(): string {
    return path.dirname(packageFile("package.json"));
}
