/** The package's public components: what tests expect `components/index.ts` to export, each in `components/<name>/<name>.ts`. */
export const PUBLIC_COMPONENTS = [
    "WebStack",
    "Network",
    "LoadBalancer",
    "ServerPool",
    "Database",
    "FailoverController",
    "Monitoring",
] as const;
