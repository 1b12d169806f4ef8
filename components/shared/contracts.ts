/**
 * The shapes one component hands another, defined here so that neither imports the other:
 * how servers reach a database (`Database.connection`, `ServerPoolArgs.database`), and a file the
 * user data writes (`cloudWatchAgentUserData`, `renderUserData`).
 */
import * as pulumi from "@pulumi/pulumi";

/** How the servers reach the database: what `Database.connection` holds. */
export interface ServerPoolDatabase {
    /** The writer (primary) endpoint's DNS name. */
    writerHost: pulumi.Input<string>;
    /** The replicas' DNS names, tried in order; empty: the app reads from the writer. */
    readerHosts: pulumi.Input<string[]>;
    /** MySQL's port, on the writer and the readers. */
    port: pulumi.Input<number>;
    /** The Secrets Manager secret with `{username, password, host, port, dbname, engine}`. */
    secretArn: pulumi.Input<string>;
    /** The database the app uses. */
    databaseName: pulumi.Input<string>;
}

/** A file the user data writes on the instance. */
export interface UserDataFile {
    /** Absolute path on the instance (written under $ROOT). */
    path: string;
    /** The file's text, written as is. */
    content: string;
    /**
     * Octal file mode.
     * @default "0644"
     */
    mode?: string;
}
