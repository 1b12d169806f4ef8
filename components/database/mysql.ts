/**
 * MySQL on RDS: the engine versions, the server parameters and CA this library uses, and the
 * names MySQL or RDS keep for themselves. Pure data and helpers, no resources.
 */
import { ValidationError } from "../shared/validation";

/** MySQL's port; the security group rules and the app config use it. */
export const MYSQL_PORT = 3306;

/** RDS for MySQL allows up to 15 read replicas per source instance. */
export const MAX_REPLICAS = 15;

/**
 * The engine version used when none is given. RDS for MySQL 8.0 left RDS standard support on
 * 31 July 2026 (RDS Extended Support, which is charged, since); 8.4 is the current LTS release.
 */
export const DEFAULT_ENGINE_VERSION = "8.4";

/** The major versions accepted: 8.4 (LTS, default) and 8.0 (RDS Extended Support only, charged). */
export const ENGINE_MAJOR_VERSIONS = ["8.4", "8.0"] as const;

/** CA of the server certificates RDS presents (RSA 2048, the one most clients validate without fuss). */
export const CA_CERT_IDENTIFIER = "rds-ca-rsa2048-g1";

/** Log types exported to CloudWatch Logs (`/aws/rds/instance/<id>/error`, `.../slowquery`). */
export const CLOUDWATCH_LOG_EXPORTS = ["error", "slowquery"];

/**
 * Special characters of the generated master password. RDS refuses `/`, `"`, `@` and spaces in a
 * master password; `'` is left out too (it breaks naive shell quoting), as are `:`, `#`, `%`, `?`
 * and the brackets, so that the password also goes into a `mysql://user:password@host` URL as it is.
 */
export const PASSWORD_SPECIAL_CHARACTERS = "-_.~!*()+=";

/** Length of the generated master password (RDS for MySQL accepts 8 to 41 characters). */
export const PASSWORD_LENGTH = 40;

/**
 * Server parameters of the primary and of the replicas. All are dynamic (no reboot needed).
 * `read_only` is deliberately absent: RDS sets it to `{TrueIfReplica}` in every MySQL group, which
 * keeps the replicas read-only and the primary writable (also after a replica is promoted).
 */
export const MYSQL_PARAMETERS: ReadonlyArray<{ name: string; value: string }> = [
    { name: "character_set_server", value: "utf8mb4" },
    { name: "collation_server", value: "utf8mb4_0900_ai_ci" },
    // Slow queries go to the slow log file, which RDS ships to CloudWatch Logs (`slowquery`).
    { name: "slow_query_log", value: "1" },
    { name: "long_query_time", value: "1" },
    { name: "log_output", value: "FILE" },
    // Refuse unencrypted connections: clients must use TLS (error 3159 otherwise).
    { name: "require_secure_transport", value: "1" },
];

/** The DB parameter group family of an engine version: `mysql8.0` or `mysql8.4`. */
export function parameterGroupFamily(engineVersion: string): string {
    const major = /^(\d+\.\d+)/.exec(engineVersion)?.[1];
    if (!major || !(ENGINE_MAJOR_VERSIONS as readonly string[]).includes(major)) {
        throw new ValidationError(`no MySQL parameter group family for engine version ${engineVersion}`);
    }
    return `mysql${major}`;
}

/** System schemas that cannot be the application database. */
export const SYSTEM_SCHEMAS = ["mysql", "sys", "information_schema", "performance_schema"];

/** Users RDS for MySQL keeps for itself. */
export const RDS_RESERVED_USERS = ["rdsadmin", "rdsrepladmin", "rdstopmgr", "rdsproxyadmin"];

/** Reserved words of MySQL 8.0 and 8.4 (the (R) entries of the MySQL keyword reference), upper case. */
export const MYSQL_RESERVED_WORDS: ReadonlySet<string> = new Set(
    (
        "ACCESSIBLE ADD ALL ALTER ANALYZE AND AS ASC ASENSITIVE BEFORE BETWEEN BIGINT BINARY BLOB BOTH BY CALL CASCADE " +
        "CASE CHANGE CHAR CHARACTER CHECK COLLATE COLUMN CONDITION CONSTRAINT CONTINUE CONVERT CREATE CROSS CUBE CUME_DIST " +
        "CURRENT_DATE CURRENT_TIME CURRENT_TIMESTAMP CURRENT_USER CURSOR DATABASE DATABASES DAY_HOUR DAY_MICROSECOND " +
        "DAY_MINUTE DAY_SECOND DEC DECIMAL DECLARE DEFAULT DELAYED DELETE DENSE_RANK DESC DESCRIBE DETERMINISTIC DISTINCT " +
        "DISTINCTROW DIV DOUBLE DROP DUAL EACH ELSE ELSEIF EMPTY ENCLOSED ESCAPED EXCEPT EXISTS EXIT EXPLAIN FALSE FETCH " +
        "FIRST_VALUE FLOAT FLOAT4 FLOAT8 FOR FORCE FOREIGN FROM FULLTEXT FUNCTION GENERATED GET GRANT GROUP GROUPING GROUPS " +
        "HAVING HIGH_PRIORITY HOUR_MICROSECOND HOUR_MINUTE HOUR_SECOND IF IGNORE IN INDEX INFILE INNER INOUT INSENSITIVE " +
        "INSERT INT INT1 INT2 INT3 INT4 INT8 INTEGER INTERSECT INTERVAL INTO IO_AFTER_GTIDS IO_BEFORE_GTIDS IS ITERATE JOIN " +
        "JSON_TABLE KEY KEYS KILL LAG LAST_VALUE LATERAL LEAD LEADING LEAVE LEFT LIKE LIMIT LINEAR LINES LOAD LOCALTIME " +
        "LOCALTIMESTAMP LOCK LONG LONGBLOB LONGTEXT LOOP LOW_PRIORITY MANUAL MASTER_BIND MASTER_SSL_VERIFY_SERVER_CERT MATCH " +
        "MAXVALUE MEDIUMBLOB MEDIUMINT MEDIUMTEXT MIDDLEINT MINUTE_MICROSECOND MINUTE_SECOND MOD MODIFIES NATURAL NOT " +
        "NO_WRITE_TO_BINLOG NTH_VALUE NTILE NULL NUMERIC OF ON OPTIMIZE OPTIMIZER_COSTS OPTION OPTIONALLY OR ORDER OUT OUTER " +
        "OUTFILE OVER PARALLEL PARTITION PERCENT_RANK PRECISION PRIMARY PROCEDURE PURGE QUALIFY RANGE RANK READ READS " +
        "READ_WRITE REAL RECURSIVE REFERENCES REGEXP RELEASE RENAME REPEAT REPLACE REQUIRE RESIGNAL RESTRICT RETURN REVOKE " +
        "RIGHT RLIKE ROW ROWS ROW_NUMBER SCHEMA SCHEMAS SECOND_MICROSECOND SELECT SENSITIVE SEPARATOR SET SHOW SIGNAL " +
        "SMALLINT SPATIAL SPECIFIC SQL SQLEXCEPTION SQLSTATE SQLWARNING SQL_BIG_RESULT SQL_CALC_FOUND_ROWS SQL_SMALL_RESULT " +
        "SSL STARTING STORED STRAIGHT_JOIN SYSTEM TABLE TABLESAMPLE TERMINATED THEN TINYBLOB TINYINT TINYTEXT TO TRAILING " +
        "TRIGGER TRUE UNDO UNION UNIQUE UNLOCK UNSIGNED UPDATE USAGE USE USING UTC_DATE UTC_TIME UTC_TIMESTAMP VALUES " +
        "VARBINARY VARCHAR VARCHARACTER VARYING VIRTUAL WHEN WHERE WHILE WINDOW WITH WRITE XOR YEAR_MONTH ZEROFILL"
    ).split(" "),
);

export function isReservedWord(word: string): boolean {
    return MYSQL_RESERVED_WORDS.has(word.toUpperCase());
}
